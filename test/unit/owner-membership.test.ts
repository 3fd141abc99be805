import { beforeAll, describe, expect, it } from "vitest";
import type { ProgramRun } from "../../harness/run-program";
import type { RegisteredResource } from "../../harness/recording-monitor";
import { ofType, runOrg, TYPES } from "../helpers/program";
import { validOrgInput } from "../helpers/spec-builder";

/*
 * Issue 14, findings 2 and 3: everything the provider login does as the org database's owner
 * needs its membership in the owner role, and a real engine runs independent resources in
 * parallel. The provider's own Schema create grants and revokes that same membership for the
 * duration of its statement (withRolesGranted), so a schema created alongside the GrantRole can
 * revoke it from under it. Each such resource must wait for the membership.
 */

const SQL_MIGRATION = "pulumi-nodejs:dynamic:Resource";

let run: ProgramRun;
beforeAll(async () => {
  run = await runOrg(validOrgInput());
});

/** Every URN `resource` waits for, directly or through what it waits for. */
function waitsFor(resource: RegisteredResource, byUrn: ReadonlyMap<string, RegisteredResource>): Set<string> {
  const seen = new Set<string>();
  const visit = (r: RegisteredResource) => {
    for (const urn of r.dependsOn) {
      if (seen.has(urn)) continue;
      seen.add(urn);
      const next = byUrn.get(urn);
      if (next !== undefined) visit(next);
    }
  };
  visit(resource);
  return seen;
}

describe("the provider login's membership in the org's owner role", () => {
  it("is what every schema, grant, default privilege and org-database migration waits for", () => {
    const [membership, ...others] = ofType(run, TYPES.grantRole);
    expect(others).toEqual([]);
    if (membership === undefined) throw new Error("no GrantRole registered");
    const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
    const database = ofType(run, TYPES.database)[0]?.inputs["name"];
    const needing = run.resources.filter((r) =>
      [TYPES.schema, TYPES.grant, TYPES.defaultPrivileges].includes(r.type as never)
      || (r.type === SQL_MIGRATION && r.inputs["database"] === database));
    expect(needing.length).toBeGreaterThan(10);
    const waiting = needing.filter((r) => !waitsFor(r, byUrn).has(membership.urn)).map((r) => r.name);
    expect(waiting).toEqual([]);
  });

  it("is not diffed on withAdminOption after the create, and is deleted before it is replaced", () => {
    const membership = ofType(run, TYPES.grantRole)[0];
    expect(membership?.ignoreChanges).toEqual(["withAdminOption"]);
    expect(membership?.deleteBeforeReplace).toBe(true);
  });
});
