import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { orgSpecFromStackConfig } from "../../spec/stack-config";
import { runProgram } from "../../harness/run-program";
import { readStackFile } from "../../harness/stack-file";
import { TYPES } from "../helpers/program";

const STACKS_DIR = join(__dirname, "..", "..", "stacks");
const stackFiles = readdirSync(STACKS_DIR).filter((f) => /^Pulumi\..+\.yaml$/.test(f));

describe("the stacks in stacks/", () => {
  it("include the production example acme and the sandbox example globex", () => {
    expect(stackFiles).toEqual(expect.arrayContaining(["Pulumi.org-acme.yaml", "Pulumi.org-globex.yaml"]));
  });

  it.each(stackFiles)("%s validates and declares its org", async (file) => {
    const stackFile = readStackFile(join(STACKS_DIR, file));
    const spec = orgSpecFromStackConfig({ ...stackFile, now: new Date() });
    expect(`Pulumi.org-${spec.slug}.yaml`).toBe(file);
    const run = await runProgram(stackFile);
    expect(run.resources.filter((r) => r.type === TYPES.database)).toHaveLength(1);
  });

  it("keep provider credentials out of plain text (only secure: values or PGPASSWORD)", () => {
    for (const file of stackFiles) {
      const { values, secretKeys } = readStackFile(join(STACKS_DIR, file));
      expect(values["postgresql:password"] === undefined || secretKeys.has("postgresql:password")).toBe(true);
      expect(values["postgresql:superuser"]).toBe("false");
      expect(values["postgresql:maxConnections"]).toBe("2");
    }
  });
});
