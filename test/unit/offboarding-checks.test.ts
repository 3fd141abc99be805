import { beforeAll, describe, expect, it } from "vitest";
import { offlineOnlyChecks } from "../../harness/offline-checks";
import type { RegisteredResource } from "../../harness/recording-monitor";
import { runPolicies } from "../../harness/run-policies";
import type { ProgramRun } from "../../harness/run-program";
import { runOrg, TYPES } from "../helpers/program";
import { validOrgInput } from "../helpers/spec-builder";

/*
 * The pack and `tenantry check`'s offline checks over an org marked for offboarding: the
 * program's own resources pass, and each change that would let a destroy drop data is refused.
 * The pack cannot see retainOnDelete (the analyzer protocol does not carry it); the offline
 * check can, so both are run here, as `tenantry check` runs them.
 */

const MARKER = { requestedBy: "ops@tenantry.example", reason: "contract ended on 2026-05-31" };

let active: ProgramRun;
let marked: ProgramRun;
beforeAll(async () => {
  active = await runOrg(validOrgInput());
  marked = await runOrg({ ...validOrgInput(), offboarding: MARKER });
});

const refusals = async (resources: readonly RegisteredResource[]) =>
  [...(await runPolicies(resources)), ...offlineOnlyChecks(resources)].map((v) => `${v.policy}: ${v.message}`);

function changed(run: ProgramRun, match: (r: RegisteredResource) => boolean, change: (r: RegisteredResource) => RegisteredResource): RegisteredResource[] {
  expect(run.resources.some(match)).toBe(true);
  return run.resources.map((r) => (match(r) ? change(r) : r));
}
const isDatabase = (r: RegisteredResource) => r.type === TYPES.database;
const named = (name: string) => (r: RegisteredResource) => r.name === name;

describe("tenantry check over an org marked for offboarding", () => {
  it("passes the program's own resources: the database unprotected but retained, nothing else changed", async () => {
    expect(await refusals(marked.resources)).toEqual([]);
  });

  it("refuses a database that is not retained, offboarding or not (a delete drops it WITH (FORCE))", async () => {
    const message = "data-retained-on-delete (offline only): org-acme-db-database must be retainOnDelete: deleting a database drops it WITH (FORCE).";
    expect(await refusals(changed(marked, isDatabase, (r) => ({ ...r, retainOnDelete: false })))).toEqual([message]);
    expect(await refusals(changed(active, isDatabase, (r) => ({ ...r, retainOnDelete: false })))).toEqual([message]);
  });

  it("refuses, while offboarding, a schema, role or grant that a destroy would drop or revoke", async () => {
    for (const name of ["org-acme-prod-web", "org-acme-db-prod-ddl", "org-acme-prod-web_prod-runtime-tables"]) {
      expect(await refusals(changed(marked, named(name), (r) => ({ ...r, retainOnDelete: false })))).toEqual([
        `data-retained-on-delete (offline only): ${name} must be retainOnDelete while the org is marked for offboarding: a destroy must drop, revoke or reassign nothing.`,
      ]);
      // The control: an active org drops a schema it stops declaring (RESTRICT), as designed.
      expect(await refusals(changed(active, named(name), (r) => ({ ...r, retainOnDelete: false })))).toEqual([]);
    }
  });

  it("refuses a stack that stops declaring the org's database, offboarding or not", async () => {
    const message = "postgres-org-database-declared: Org acme must declare its database tn_acme exactly once (found 0): a database the stack stops declaring is deleted.";
    expect(await refusals(marked.resources.filter((r) => !isDatabase(r)))).toContain(message);
    expect(await refusals(active.resources.filter((r) => !isDatabase(r)))).toContain(message);
  });

  it("still refuses a change that replaces the database (and so drops it)", async () => {
    expect(await refusals(changed(marked, isDatabase, (r) => ({ ...r, inputs: { ...r.inputs, encoding: "LATIN1" } })))).toEqual([
      "postgres-database-fixed-settings: Database org-acme-db-database must keep encoding=UTF8.",
    ]);
  });

  it("refuses, while offboarding, a login role that can still log in; an active org's must", async () => {
    const login = (value: boolean) => (r: RegisteredResource) => ({ ...r, inputs: { ...r.inputs, login: value } });
    expect(await refusals(changed(marked, named("org-acme-db-prod-runtime"), login(true)))).toContain(
      "postgres-roles-match-allowed-kinds: Role org-acme-db-prod-runtime (tn_acme_prod_runtime) must be NOLOGIN (login: false): an org marked for offboarding keeps its roles but none may log in.",
    );
    expect(await refusals(changed(active, named("org-acme-db-prod-runtime"), login(false)))).toContain(
      "postgres-roles-match-allowed-kinds: Role org-acme-db-prod-runtime (tn_acme_prod_runtime) must be LOGIN (login: true): a runtime role is the app pool's login.",
    );
  });

  it("lifts the protection requirement only for the marked org: an active production org still needs protect", async () => {
    expect(await refusals(changed(active, isDatabase, (r) => ({ ...r, protect: false })))).toEqual([
      "postgres-production-database-protected: Database org-acme-db-database of a production org must be protected (protect: true).",
    ]);
  });
});
