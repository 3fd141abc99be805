import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT_INVALID, EXIT_OK } from "../../cli/exit-codes";
import { parseStackFile } from "../../harness/stack-file";
import { SpecError } from "../../spec/spec-errors";

/*
 * The stack file's top level holds Pulumi's stack settings only (STACK_FILE_KEYS): any other key
 * is refused, as unknown keys are everywhere in a stack, with the key it most likely meant. The
 * schema and the program agreeing on generated keys is test/unit/stack-schema.test.ts.
 */

const REPO = join(__dirname, "..", "..");
const CLI = join(REPO, "dist", "cli", "main.js");
const ACME = readFileSync(join(REPO, "stacks", "Pulumi.org-acme.yaml"), "utf8");
const scratch = mkdtempSync(join(tmpdir(), "tenantry-top-level-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function refusal(text: string): string[] {
  try {
    parseStackFile(text, "Pulumi.org-acme.yaml");
  } catch (error) {
    if (error instanceof SpecError) return error.problems.map((p) => p.message);
    throw error;
  }
  return [];
}

describe("a stack file's top-level keys", () => {
  it("refuses a key Pulumi's stack file does not have, naming it and what is allowed", () => {
    expect(refusal(`${ACME}notes: reviewed by ops\n`)).toEqual([
      "notes is not a stack file setting: Pulumi.org-acme.yaml may hold only config, secretsprovider, encryptedkey, encryptionsalt, environment at its top level (tenantry reads config)",
    ]);
  });

  it("answers a misspelt key with the one it most likely meant, each unknown key on its own", () => {
    const misspelt = ACME.replace(/^config:/m, "confg:");
    expect(misspelt).not.toBe(ACME);
    expect(refusal(`${misspelt}secretsProvider: passphrase\n`)).toEqual([
      "confg is not a stack file setting: Pulumi.org-acme.yaml may hold only config, secretsprovider, encryptedkey, encryptionsalt, environment at its top level (tenantry reads config); did you mean config?",
      "secretsProvider is not a stack file setting: Pulumi.org-acme.yaml may hold only config, secretsprovider, encryptedkey, encryptionsalt, environment at its top level (tenantry reads config); did you mean secretsprovider?",
    ]);
  });

  it("refuses a value of Pulumi's own keys that is not of the shape Pulumi reads, as the schema does", () => {
    expect(refusal(`${ACME}secretsprovider: 5\nenvironment: acme/prod\n`)).toEqual([
      "secretsprovider must be a string (Pulumi's setting)",
      "environment must be a list of environment names or a mapping (Pulumi's setting)",
    ]);
  });

  it("accepts Pulumi's own keys beside config (control: the same file, which the refusals above differ from by one key)", () => {
    expect(refusal(ACME)).toEqual([]);
    expect(refusal(`${ACME}secretsprovider: passphrase\nencryptionsalt: v1:c2FsdA==\nencryptedkey: ""\nenvironment: [acme/prod]\n`)).toEqual([]);
  });

  it("is refused by tenantry validate with exit 2, where it used to pass", () => {
    const path = join(scratch, "Pulumi.org-acme.yaml");
    writeFileSync(path, `${ACME}notes: reviewed by ops\n`);
    const run = spawnSync(process.execPath, [CLI, "validate", path], { cwd: REPO, encoding: "utf8" });
    expect([run.status, run.stderr]).toEqual([EXIT_INVALID, expect.stringContaining("notes is not a stack file setting")]);
    writeFileSync(path, ACME);
    expect(spawnSync(process.execPath, [CLI, "validate", path], { cwd: REPO, encoding: "utf8" }).status).toBe(EXIT_OK);
  });
});
