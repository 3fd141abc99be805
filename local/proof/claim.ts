import type { Credentials, Outcome } from "../attempt";
import type { ProofObject } from "../proof-objects";
import type { ServerInfo } from "../server";
import type { OrgSpec } from "../../spec/spec";

/** SQLSTATEs the claims expect the server to answer with. */
export { SQLSTATE } from "../sqlstate";

/** One row of the proof table: `claim | attempt | result`. */
export interface ClaimResult {
  readonly claim: string;
  readonly attempt: string;
  readonly result: string;
  readonly status: "pass" | "fail" | "skip";
  /** The part of the posture the row belongs to, when it is not the org's own database and edge; the output heads each such part. */
  readonly section?: string;
  /** DESIGN.md's posture properties (1-20) the row demonstrates: set where the claims are assembled, never read from the claim's text. */
  readonly properties?: readonly number[];
  /** When the claim ran (ISO 8601). */
  readonly at?: string;
}

/** A number of DESIGN.md's posture table. */
export type PropertyNumber = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13 | 14 | 15 | 16 | 17 | 18 | 19 | 20;

/** At least one property: a claim that demonstrates none does not compile. */
export type Demonstrates = readonly [PropertyNumber, ...PropertyNumber[]];

/**
 * The rows a claim function returned, tagged with the properties it demonstrates and stamped
 * with the time they came back (a row that already carries its own keeps it).
 */
export function tagged(properties: Demonstrates, rows: readonly ClaimResult[], at: string = new Date().toISOString()): ClaimResult[] {
  return rows.map((row) => ({ ...row, properties: row.properties ?? [...properties], at: row.at ?? at }));
}

/** Property 9's rows: the operator gateway in workerd, and the org router refusing operator tokens. */
export const OPERATOR_SECTION = "operators (property 9): the gateway in workerd, and this org's router";

export interface OtherOrg {
  readonly slug: string;
  readonly database: string;
  /** Its runtime roles, one per environment. */
  readonly runtimes: readonly Credentials[];
}

/** What a claim needs: the server, the org as declared, and the credentials the apply generated. */
export interface ProofContext {
  readonly server: ServerInfo;
  readonly spec: OrgSpec;
  /** Login role name -> credentials, from the local state. */
  readonly credentials: ReadonlyMap<string, Credentials>;
  /** The stack's provider login (`postgresql:username`), whose membership in the owner role the deploy relies on. */
  readonly providerLogin: string;
  /** Other orgs applied to the same server, for the cross-tenant claims. */
  readonly otherOrgs: readonly OtherOrg[];
  /** A per-run suffix for objects the proof creates (and drops again). */
  readonly nonce: string;
  /** Must be called before creating anything that outlives a transaction, so it is dropped even after a kill. */
  readonly willCreate: (object: ProofObject) => void;
  /**
   * The repair `up` runs after every apply (local/logins.ts), for claims that change what it
   * repairs; resolves with the roles whose password it repaired and those whose settings it restored.
   */
  readonly repairRoles: () => Promise<{ readonly passwords: readonly string[]; readonly settings: readonly string[] }>;
}

export type Claim = (ctx: ProofContext) => Promise<ClaimResult[]>;

/** Passes when the server refused with exactly `code` (e.g. 42501 insufficient_privilege). */
export function expectRefused(claim: string, attempt: string, outcome: Outcome, code: string): ClaimResult {
  if (outcome.code === code) return { claim, attempt, result: `refused ${code}`, status: "pass" };
  const got = outcome.code === undefined ? "ALLOWED" : `refused ${outcome.code}`;
  return { claim, attempt, result: `${got}, expected refused ${code}`, status: "fail" };
}

/** Passes when the server accepted every statement. */
export function expectAllowed(claim: string, attempt: string, outcome: Outcome): ClaimResult {
  if (outcome.code === undefined) return { claim, attempt, result: "allowed", status: "pass" };
  return { claim, attempt, result: `refused ${outcome.code} (${outcome.message ?? ""}), expected allowed`, status: "fail" };
}

export function credentialsOf(ctx: Pick<ProofContext, "credentials">, role: string): Credentials {
  const found = ctx.credentials.get(role);
  if (found === undefined) throw new Error(`no credentials for ${role} in the local state: run \`npx tenantry up --local\` first`);
  return found;
}
