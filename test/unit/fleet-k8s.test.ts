import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { EXIT_INVALID, EXIT_OK } from "../../cli/exit-codes";

/*
 * `tenantry fleet k8s`: one Pulumi Kubernetes Operator Stack per org stack, validated against the
 * operator's published CRD schema (pulumi.com/v1 Stack of pulumi-kubernetes-operator v2.9.0,
 * test/fixtures/pko/stack-v1.schema.json; see its $comment for what was trimmed).
 */

const REPO = join(__dirname, "..", "..");
const CRD = JSON.parse(readFileSync(join(REPO, "test", "fixtures", "pko", "stack-v1.schema.json"), "utf8")) as { group: string; kind: string; version: string; schema: object };
// OpenAPI v3 as Kubernetes uses it: x-kubernetes-* keywords and formats such as int64.
// Kubernetes drops unknown fields silently; here a misspelt field under spec is an error.
const strictSchema = structuredClone(CRD.schema) as { properties: { spec: Record<string, unknown> } };
strictSchema.properties.spec["additionalProperties"] = false;
const validate = new Ajv({ strict: false, validateFormats: false, allErrors: true }).compile(strictSchema);

const tenantry = (...args: string[]) => spawnSync(process.execPath, [join(REPO, "dist", "cli", "main.js"), ...args], { cwd: REPO, encoding: "utf8" });

describe("tenantry fleet k8s", () => {
  const run = tenantry("fleet", "k8s", "--repo", "https://github.com/example-org/tenantry-orgs", "--pulumi-org", "example-org");
  const documents = parseAllDocuments(run.stdout).map((d) => d.toJS() as { apiVersion: string; kind: string; metadata: { name: string; labels: Record<string, string> }; spec: Record<string, unknown> });

  it("emits one Stack per org stack in stacks/", () => {
    expect(run.status).toBe(EXIT_OK);
    expect(documents.map((d) => [d.apiVersion, d.kind, d.metadata.name, d.spec["stack"]])).toEqual([
      [`${CRD.group}/${CRD.version}`, CRD.kind, "org-acme", "example-org/org-acme"],
      [`${CRD.group}/${CRD.version}`, CRD.kind, "org-globex", "example-org/org-globex"],
    ]);
  });

  it("validates against the operator's CRD schema", () => {
    for (const document of documents) {
      const valid = validate(document);
      expect(validate.errors ?? [], document.metadata.name).toEqual([]);
      expect(valid).toBe(true);
    }
  });

  it("takes every credential from a Kubernetes Secret and never destroys an org on delete", () => {
    for (const { spec } of documents) {
      expect(Object.values(spec["envRefs"] as Record<string, { type: string }>).every((ref) => ref.type === "Secret")).toBe(true);
      expect([spec["destroyOnFinalize"], spec["branch"], spec["serviceAccountName"]]).toEqual([false, "main", "tenantry-deployer"]);
    }
  });

  it("is caught by the schema when a field is wrong (the check can fail)", () => {
    const [first] = documents;
    expect(validate({ ...first, spec: { ...first?.spec, resyncFrequencySeconds: "often" } })).toBe(false);
    expect(validate({ ...first, spec: { ...first?.spec, stack: undefined } })).toBe(false);
    expect(validate({ ...first, spec: { ...first?.spec, envRefs: { X: { secret: { name: "s", key: "k" } } } } })).toBe(false);
    expect(validate({ ...first, spec: { ...first?.spec, destroyOnFinalise: false } })).toBe(false);
  });

  it("refuses a repository that is not an https URL", () => {
    expect(tenantry("fleet", "k8s", "--repo", "git@github.com:example-org/x.git").status).toBe(EXIT_INVALID);
  });
});
