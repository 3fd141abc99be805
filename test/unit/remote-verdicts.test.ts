import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GUARD_EVENT_TRIGGERS } from "../../components/audit-guard-sql";
import { parseOrgSpec } from "../../spec/spec";
import { declaredDatabaseAcl, declaredRoles } from "../../remote/database-claims";
import { declaredSchemaAcl } from "../../remote/schema-claims";
import { aclVerdict, eventTriggerVerdict, PRIVILEGED_ATTRIBUTES, publicVerdict, roleVerdict, type AclEntry } from "../../remote/verdicts";
import { NOW, validOrgInput } from "../helpers/spec-builder";

/*
 * How the after-deploy proof judges what it read (remote/verdicts.ts), as the operator or
 * tenant migration that changed the server behind the deploy's back would test it: whatever was
 * added, lifted or removed, generated, the verdict fails and names it; what the stack declares,
 * in any order and however often the catalog repeats it, holds.
 */

const spec = parseOrgSpec(validOrgInput(), { now: NOW });
const DATABASE_PRIVILEGES = ["CONNECT", "CREATE", "TEMPORARY"];

/** The declared ACL as the catalog could list it: any order, entries repeated (one per grantor). */
function asListed(declared: ReadonlyMap<string, readonly string[]>) {
  const entries = [...declared].flatMap(([grantee, privileges]) => privileges.map((privilege) => ({ grantee, privilege })));
  return fc.shuffledSubarray(entries, { minLength: entries.length, maxLength: entries.length })
    .chain((shuffled) => fc.subarray(shuffled).map((again) => [...shuffled, ...again]));
}

describe("the org database's ACL (aclVerdict over declaredDatabaseAcl)", () => {
  const declared = declaredDatabaseAcl(spec);

  it("is the owner's own privileges and CONNECT for each login role, nothing else", () => {
    expect([...declared]).toEqual([
      ["tn_acme_owner", DATABASE_PRIVILEGES],
      ...["dev", "test", "prod"].flatMap((env) => [[`tn_acme_${env}_runtime`, ["CONNECT"]], [`tn_acme_${env}_ddl`, ["CONNECT"]]]),
    ]);
  });

  it("holds for the declared ACL, listed in any order and with repeats", () => {
    fc.assert(fc.property(asListed(declared), (entries) => {
      expect(aclVerdict(declared, entries).holds).toBe(true);
    }));
  });

  it("fails, naming it, for any privilege held beyond the declared, by a declared grantee or any other", () => {
    const grantee = fc.oneof(fc.constantFrom(...declared.keys()), fc.stringMatching(/^[a-z][a-z0-9_]{0,20}$/));
    const extra = fc.record({ grantee, privilege: fc.constantFrom(...DATABASE_PRIVILEGES) })
      .filter(({ grantee: g, privilege }) => !(declared.get(g) ?? []).includes(privilege));
    fc.assert(fc.property(asListed(declared), extra, (entries, added) => {
      const verdict = aclVerdict(declared, [...entries, added]);
      expect(verdict.holds).toBe(false);
      expect(verdict.result).toContain(`${added.grantee} holds ${added.privilege}`);
    }));
  });

  it("fails, naming it, when a declared privilege is missing", () => {
    const listed = [...declared].flatMap(([grantee, privileges]) => privileges.map((privilege) => ({ grantee, privilege })));
    fc.assert(fc.property(fc.integer({ min: 0, max: listed.length - 1 }), (i) => {
      const { grantee, privilege } = listed[i] as AclEntry;
      const verdict = aclVerdict(declared, listed.filter((_, j) => j !== i));
      expect(verdict).toEqual({ result: `${grantee} lacks ${privilege}`, holds: false });
    }));
  });

  it("(control) a grant to PUBLIC is the PUBLIC claim's to report: publicVerdict names it", () => {
    fc.assert(fc.property(fc.subarray(DATABASE_PRIVILEGES, { minLength: 1 }), (privileges) => {
      expect(publicVerdict(privileges.map((privilege) => ({ grantee: "PUBLIC", privilege })))).toEqual({ result: `PUBLIC holds ${[...privileges].sort().join(", ")}`, holds: false });
    }));
    expect(publicVerdict([{ grantee: "tn_acme_owner", privilege: "CONNECT" }]).holds).toBe(true);
  });
});

describe("a workspace schema's ACL (aclVerdict over declaredSchemaAcl)", () => {
  const declared = declaredSchemaAcl(spec, "dev", "web_dev", "tn_acme_dev_ddl");

  it("is the DDL role's CREATE and USAGE, and USAGE for the environment's runtime role", () => {
    expect([...declared]).toEqual([["tn_acme_dev_ddl", ["CREATE", "USAGE"]], ["tn_acme_dev_runtime", ["USAGE"]]]);
  });

  it("fails for PUBLIC, another environment's role, or CREATE for the runtime role", () => {
    const listed = [...declared].flatMap(([grantee, privileges]) => privileges.map((privilege) => ({ grantee, privilege })));
    for (const added of [{ grantee: "PUBLIC", privilege: "USAGE" }, { grantee: "tn_acme_prod_runtime", privilege: "USAGE" }, { grantee: "tn_acme_dev_runtime", privilege: "CREATE" }]) {
      expect(aclVerdict(declared, [...listed, added]).holds).toBe(false);
    }
    expect(aclVerdict(declared, listed).holds).toBe(true);
  });
});

describe("a role's attributes (roleVerdict over declaredRoles)", () => {
  const roles = declaredRoles(spec);

  it("declares the owner and the audit owner NOLOGIN, and each login role with its connection limit", () => {
    expect(roles.slice(0, 2)).toEqual([{ name: "tn_acme_owner", login: false }, { name: "tn_acme_audit", login: false }]);
    expect(roles.slice(2).every((role) => role.login && role.connectionLimit !== undefined && role.connectionLimit > 0)).toBe(true);
  });

  it("fails for any privileged attribute a role holds, naming each", () => {
    fc.assert(fc.property(fc.constantFrom(...roles), fc.subarray([...PRIVILEGED_ATTRIBUTES], { minLength: 1 }), (role, privileged) => {
      const verdict = roleVerdict(role, { login: role.login, connectionLimit: role.connectionLimit ?? -1, privileged });
      expect(verdict.holds).toBe(false);
      for (const attribute of privileged) expect(verdict.result).toContain(attribute);
    }));
  });

  it("fails for a login role whose connection limit is not the declared one, and for a role that logs in when declared not to", () => {
    fc.assert(fc.property(fc.constantFrom(...roles.slice(2)), fc.integer({ min: -1, max: 10_000 }), (role, limit) => {
      fc.pre(limit !== role.connectionLimit);
      expect(roleVerdict(role, { login: true, connectionLimit: limit, privileged: [] }).holds).toBe(false);
    }));
    expect(roleVerdict(roles[0]!, { login: true, connectionLimit: -1, privileged: [] }).result).toBe("LOGIN (declared NOLOGIN)");
  });

  it("holds for a role exactly as declared, and fails for a missing one", () => {
    for (const role of roles) expect(roleVerdict(role, { login: role.login, connectionLimit: role.connectionLimit ?? -1, privileged: [] }).holds).toBe(true);
    expect(roleVerdict(roles[0]!, undefined)).toEqual({ result: "missing", holds: false });
  });
});

describe("an event trigger of the ledger (eventTriggerVerdict)", () => {
  const declared = GUARD_EVENT_TRIGGERS.map((t) => ({ event: t.event, handler: `audit__guard.${t.handler}()`, tags: t.tags ?? [] }));

  it("holds for each as declared, enabled (O), tags in any order", () => {
    for (const shape of declared) expect(eventTriggerVerdict(shape, { ...shape, tags: [...shape.tags].reverse(), enabled: "O" }).holds).toBe(true);
  });

  it("fails when disabled, replica-only, on another event, with other tags, or calling another function", () => {
    const change = fc.constantFrom(
      (s: (typeof declared)[number]) => ({ ...s, enabled: "D" }),
      (s: (typeof declared)[number]) => ({ ...s, enabled: "R" }),
      (s: (typeof declared)[number]) => ({ ...s, enabled: "O", event: s.event === "sql_drop" ? "ddl_command_end" : "sql_drop" }),
      (s: (typeof declared)[number]) => ({ ...s, enabled: "O", tags: [...s.tags, "DROP TABLE"] }),
      (s: (typeof declared)[number]) => ({ ...s, enabled: "O", tags: s.tags.slice(1) }),
      (s: (typeof declared)[number]) => ({ ...s, enabled: "O", handler: "public.noop()" }),
    );
    fc.assert(fc.property(fc.constantFrom(...declared), change, (shape, changed) => {
      const row = changed(shape);
      fc.pre(row.tags.length !== shape.tags.length || row.enabled !== "O" || row.event !== shape.event || row.handler !== shape.handler);
      expect(eventTriggerVerdict(shape, row).holds).toBe(false);
    }));
    expect(eventTriggerVerdict(declared[0]!, undefined)).toEqual({ result: "missing", holds: false });
  });
});
