import * as aws from "@pulumi/aws";
import type { PolicyProviderResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { providerType } from "../../components/provider-plan";
import { defaultProviderName, providerUrnOf } from "../../harness/provider-reference";
import { isSecretValue } from "../../harness/recording-monitor";
import { runPolicies } from "../../harness/run-policies";
import { runProgram } from "../../harness/run-program";

/*
 * The offline harness gives policies what the engine gives them about providers: every custom
 * resource has one, a resource declared without one gets the package's default provider (which
 * the engine registers itself from the stack's config), and the analyzer hands each resource's
 * provider (type, URN, name, inputs) to the pack.
 */

const STACK = { stack: "org-acme", values: { "aws:region": "us-east-1", "aws:secretKey": "[secret]" }, secretKeys: new Set(["aws:secretKey"]) };

/** A program that forgets the provider: two AWS resources and an explicit provider beside them. */
const forgetful = () => {
  new aws.kms.Key("org-acme-key", { enableKeyRotation: true });
  new aws.iam.User("org-acme-user", { name: "tn-acme-user" });
  const explicit = new aws.Provider("org-acme-aws", { region: "eu-west-1" });
  new aws.iam.User("org-acme-explicit", { name: "tn-acme-explicit" }, { provider: explicit });
  return {};
};

describe("the recording monitor, as the engine", () => {
  it("registers a package's default provider once, named by version, from the stack's config for that package", async () => {
    const run = await runProgram(STACK, { program: forgetful });
    const defaults = run.resources.filter((r) => r.type === providerType("aws") && r.name !== "org-acme-aws");
    expect(defaults.map((r) => [r.urn, r.name])).toEqual([["urn:pulumi:org-acme::tenantry::pulumi:providers:aws::default_7_48_0", "default_7_48_0"]]);
    const inputs = defaults[0]!.inputs;
    expect([inputs["region"], inputs["version"], isSecretValue(inputs["secretKey"])]).toEqual(["us-east-1", "7.48.0", true]);
  });

  it("gives a resource declared without a provider the default provider's reference, and one declared with a provider that one", async () => {
    const run = await runProgram(STACK, { program: forgetful });
    const providerNameOf = (name: string) => {
      const reference = run.resources.find((r) => r.name === name)?.provider;
      return run.resources.find((r) => reference !== undefined && r.urn === providerUrnOf(reference))?.name;
    };
    expect(["org-acme-key", "org-acme-user", "org-acme-explicit"].map(providerNameOf)).toEqual(["default_7_48_0", "default_7_48_0", "org-acme-aws"]);
    const explicit = run.resources.find((r) => r.name === "org-acme-aws")!;
    expect([explicit.provider, explicit.inputs]).toEqual([undefined, expect.objectContaining({ region: "eu-west-1", version: "7.48.0" })]);
  });

  it("names default providers as the engine does: default, then the version's parts", () => {
    expect(["7.48.0", "", "not-a-version", "1.2.3-alpha.1+build.5", "v6.0.10"].map(defaultProviderName))
      .toEqual(["default_7_48_0", "default", "default", "default_1_2_3_alpha_1_build_5", "default_6_0_10"]);
  });
});

describe("the in-process pack, as the analyzer", () => {
  it("hands every custom resource its provider, to resource and stack policies alike, secrets unwrapped", async () => {
    const run = await runProgram(STACK, { program: forgetful });
    const seen: Record<string, Record<string, PolicyProviderResource | undefined>> = { resource: {}, stack: {} };
    const resourcePolicy: ResourceValidationPolicy = {
      name: "record-resource", description: "records", enforcementLevel: "advisory",
      validateResource: (args) => { seen["resource"]![args.name] = args.provider; },
    };
    const stackPolicy: StackValidationPolicy = {
      name: "record-stack", description: "records", enforcementLevel: "advisory",
      validateStack: (args) => { for (const r of args.resources) seen["stack"]![r.name] = r.provider; },
    };
    expect(await runPolicies(run.resources, [resourcePolicy, stackPolicy])).toEqual([]);
    for (const view of [seen["resource"]!, seen["stack"]!]) {
      const key = view["org-acme-key"]!;
      expect([key.type, key.name, key.urn]).toEqual(["pulumi:providers:aws", "default_7_48_0", "urn:pulumi:org-acme::tenantry::pulumi:providers:aws::default_7_48_0"]);
      expect({ ...key.props }).toEqual({ region: "us-east-1", secretKey: "[secret]", version: "7.48.0" });
      expect(view["org-acme-explicit"]?.name).toBe("org-acme-aws");
      // Components and providers have no provider of their own.
      expect([view["org-acme-aws"], view["org-acme-user"]?.name]).toEqual([undefined, "default_7_48_0"]);
    }
  });
});
