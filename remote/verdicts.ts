import type { Verdict } from "./catalog-claim";

/*
 * How the after-deploy proof judges what it read: pure functions from catalog rows (as plain
 * data) and what the stack declares to a verdict. Each judges by allowlist: what is declared is
 * all that may be there, so a privilege, attribute or setting nobody thought to forbid still
 * fails. Pure: no I/O, tested directly (test/unit/remote-verdicts.test.ts).
 */

/** One privilege one grantee holds, as `aclexplode` lists it (`PUBLIC` for grantee 0). */
export interface AclEntry {
  readonly grantee: string;
  readonly privilege: string;
}

export const PUBLIC_GRANTEE = "PUBLIC";

const unique = (items: readonly string[]) => [...new Set(items)].sort();

/** What PUBLIC holds among `entries`: a verdict that holds only when it is nothing. */
export function publicVerdict(entries: readonly AclEntry[]): Verdict {
  const held = unique(entries.filter((e) => e.grantee === PUBLIC_GRANTEE).map((e) => e.privilege));
  return held.length === 0 ? { result: "PUBLIC holds nothing", holds: true } : { result: `PUBLIC holds ${held.join(", ")}`, holds: false };
}

/**
 * Every grantee holds exactly its declared privileges: a privilege not declared, or a grantee
 * not declared at all (PUBLIC included), fails, and so does a declared privilege that is missing.
 */
export function aclVerdict(declared: ReadonlyMap<string, readonly string[]>, entries: readonly AclEntry[]): Verdict {
  const held = new Map<string, string[]>();
  for (const { grantee, privilege } of entries) held.set(grantee, unique([...(held.get(grantee) ?? []), privilege]));
  const problems: string[] = [];
  for (const [grantee, privileges] of [...held].sort(([a], [b]) => a.localeCompare(b))) {
    const allowed = declared.get(grantee) ?? [];
    const extra = privileges.filter((p) => !allowed.includes(p));
    if (extra.length > 0) problems.push(`${grantee} holds ${extra.join(", ")}${declared.has(grantee) ? "" : " (not a declared grantee)"}`);
  }
  for (const [grantee, privileges] of declared) {
    const missing = unique(privileges).filter((p) => !(held.get(grantee) ?? []).includes(p));
    if (missing.length > 0) problems.push(`${grantee} lacks ${missing.join(", ")}`);
  }
  if (problems.length > 0) return { result: problems.join("; "), holds: false };
  const described = [...declared].map(([grantee, privileges]) => `${grantee} ${unique(privileges).join(", ")}`);
  return { result: `as declared: ${described.join("; ")}`, holds: true };
}

/** A role as the stack declares it: whether it logs in, and (login roles) its connection limit. */
export interface DeclaredRole {
  readonly name: string;
  readonly login: boolean;
  readonly connectionLimit?: number;
}

/** A role as pg_roles shows it. */
export interface RoleRow {
  readonly login: boolean;
  readonly connectionLimit: number;
  /** Each of SUPERUSER, CREATEDB, CREATEROLE, REPLICATION, BYPASSRLS the role holds. */
  readonly privileged: readonly string[];
}

/** The role attributes no tenant role may ever hold (DESIGN property 3). */
export const PRIVILEGED_ATTRIBUTES = ["SUPERUSER", "CREATEDB", "CREATEROLE", "REPLICATION", "BYPASSRLS"] as const;

export function roleVerdict(declared: DeclaredRole, row: RoleRow | undefined): Verdict {
  if (row === undefined) return { result: "missing", holds: false };
  const problems = [
    ...(row.login === declared.login ? [] : [`${row.login ? "LOGIN" : "NOLOGIN"} (declared ${declared.login ? "LOGIN" : "NOLOGIN"})`]),
    ...(declared.connectionLimit === undefined || row.connectionLimit === declared.connectionLimit
      ? [] : [`connection limit ${row.connectionLimit} (declared ${declared.connectionLimit})`]),
    ...row.privileged.map((attribute) => `${attribute} (declared without)`),
  ];
  if (problems.length > 0) return { result: problems.join("; "), holds: false };
  const limit = declared.connectionLimit === undefined ? "" : `, connection limit ${declared.connectionLimit}`;
  return { result: `${declared.login ? "LOGIN" : "NOLOGIN"}${limit}; none of ${PRIVILEGED_ATTRIBUTES.join(", ")}`, holds: true };
}

/** An event trigger as declared (components/audit-guard-sql.ts GUARD_EVENT_TRIGGERS) or as read. */
export interface EventTriggerShape {
  readonly event: string;
  /** `schema.function()` */
  readonly handler: string;
  /** Empty: fires for every command of the event. */
  readonly tags: readonly string[];
}

/** pg_event_trigger.evtenabled: `O` fires in normal sessions; `D` disabled; `R`/`A` replica-only or always. */
export function eventTriggerVerdict(declared: EventTriggerShape, row: (EventTriggerShape & { readonly enabled: string }) | undefined): Verdict {
  if (row === undefined) return { result: "missing", holds: false };
  const problems = [
    ...(row.enabled === "O" ? [] : [row.enabled === "D" ? "disabled" : `enabled as ${row.enabled}, not O (origin)`]),
    ...(row.event === declared.event ? [] : [`on ${row.event} (declared ${declared.event})`]),
    ...(unique(row.tags).join() === unique(declared.tags).join() ? [] : [`tags ${unique(row.tags).join(", ") || "(all)"} (declared ${unique(declared.tags).join(", ") || "(all)"})`]),
    ...(row.handler === declared.handler ? [] : [`calls ${row.handler} (declared ${declared.handler})`]),
  ];
  if (problems.length > 0) return { result: problems.join("; "), holds: false };
  return { result: `enabled, on ${row.event}${row.tags.length === 0 ? "" : ` (${unique(row.tags).join(", ")})`}, calls ${row.handler}`, holds: true };
}
