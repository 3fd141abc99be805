import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { inject } from "vitest";
import { stringify } from "yaml";
import { localPaths } from "../../local/paths";
import { loadLocalStack, type LocalStack } from "../../local/up";
import { PROVIDER_CONFIG } from "./spec-builder";

export const REPO_DIR = join(__dirname, "..", "..");

/**
 * A stack loaded as `tenantry up --local` would, but applied to the test run's shared server
 * with a state file and a proof journal of its own, so test files never write each other's.
 */
export function localStack(stackOrPath: string, stateName: string): LocalStack {
  const dir = inject("localDir");
  const loaded = loadLocalStack(REPO_DIR, stackOrPath);
  return { ...loaded, paths: { ...localPaths(dir), stateFile: join(dir, `state-${stateName}.json`), proofFile: join(dir, `proof-${stateName}.json`) } };
}

/** The text of a stack file for an org spec, with the provider settings every stack carries. */
export function stackFileText(org: { slug: string } & Record<string, unknown>): string {
  return stringify({ config: { ...PROVIDER_CONFIG, "postgresql:database": "postgres", "tenantry:org": org } });
}

/** Writes `Pulumi.org-<slug>.yaml` for an org spec into the run's directory and returns its path. */
export function writeStackFile(org: { slug: string } & Record<string, unknown>): string {
  const dir = join(inject("localDir"), "stacks");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `Pulumi.org-${org.slug}.yaml`);
  writeFileSync(path, stackFileText(org));
  return path;
}
