import { describe, expect, it } from "vitest";
import { SQL_MIGRATION_KIND } from "../../components/sql-migration";
import { orgProviderName, providerType } from "../../components/provider-plan";
import { runProgram } from "../../harness/run-program";
import { runPolicies } from "../../harness/run-policies";
import { stackConfigFor, validOrgInput } from "../helpers/spec-builder";

/*
 * Finding 5 of issue 14: the stack's TLS trust settings reach the provider and, the same,
 * every migration's connection, and the pack accepts exactly that.
 */

const TLS_CONFIG = {
  "postgresql:sslmode": "verify-full",
  "postgresql:sslrootcert": "./rds-global-bundle.pem",
  "postgresql:clientcert": JSON.stringify({ cert: "./deploy.crt", key: "./deploy.key" }),
};

const runWithTls = () => runProgram(stackConfigFor(validOrgInput(), TLS_CONFIG));

describe("postgresql:sslrootcert and postgresql:clientcert", () => {
  it("reach the org's Postgres provider and every migration's connection alike", async () => {
    const { resources } = await runWithTls();
    const provider = resources.find((r) => r.type === providerType("postgresql") && r.name === orgProviderName("org-acme", "postgresql"))!;
    expect(provider.inputs).toMatchObject({ sslmode: "verify-full", sslrootcert: "./rds-global-bundle.pem" });
    expect(JSON.parse(String(provider.inputs["clientcert"]))).toEqual({ cert: "./deploy.crt", key: "./deploy.key" });
    const migrations = resources.filter((r) => r.inputs["kind"] === SQL_MIGRATION_KIND);
    expect(migrations).toHaveLength(4);
    for (const migration of migrations) {
      expect(migration.inputs["connection"]).toMatchObject({
        sslmode: "verify-full", sslrootcert: "./rds-global-bundle.pem", clientcert: { cert: "./deploy.crt", key: "./deploy.key" },
      });
    }
  });

  it("leave the pack with nothing to refuse", async () => {
    const { resources } = await runWithTls();
    const mandatory = (await runPolicies(resources)).filter((v) => v.enforcementLevel === "mandatory");
    expect(mandatory.map((v) => `${v.policy}: ${v.message}`)).toEqual([]);
  });
});
