import { canonicalConsolePath, isAdminPath } from "./console-path";
import { refusedQueryParam } from "./console-query";

/*
 * The operator gateway's verdict, as a pure function: who may reach the operator console, with
 * which methods, decided from the verified token's address and the allowlist entry read for it
 * on this very request (never a cached one). Anything not positively allowed is refused.
 */

/** Operator roles, least to most: read-only support, support that may change things, admin. */
export const OPERATOR_ROLES = ["support-read", "support-write", "admin"] as const;
export type OperatorRole = (typeof OPERATOR_ROLES)[number];

/** One allowlist row as the gateway reads it from D1. */
export interface AllowlistEntry {
  readonly email: string;
  readonly role: string;
  /** Milliseconds since the epoch; null: no expiry. */
  readonly expiresAt: number | null;
  readonly grantedBy: string;
}

export type OperatorDecision =
  /** `path` and `search`: the canonical path and the query judged, and the only ones the gateway may forward. */
  | { readonly allow: true; readonly status: 200; readonly role: OperatorRole; readonly reason: string; readonly path: string; readonly search: string }
  | { readonly allow: false; readonly status: 400 | 401 | 403; readonly reason: string };

/** Methods that change nothing: all a `support-read` operator may send. */
const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"]);

const isRole = (role: string): role is OperatorRole => (OPERATOR_ROLES as readonly string[]).includes(role);

export interface OperatorRequest {
  /** The verified token's address (lower-case), or undefined when the token did not verify. */
  readonly email: string | undefined;
  /** The allowlist entry for that address, read on this request. */
  readonly entry: AllowlistEntry | undefined;
  readonly method: string;
  /** The request URL's pathname, as received: judged only in its canonical form (console-path.ts). */
  readonly path: string;
  /** The query to forward (`?...` or empty), token parameters already removed: judged by console-query.ts. */
  readonly search: string;
  /** Milliseconds since the epoch. */
  readonly now: number;
}

export function decideOperator({ email, entry, method, path, search, now }: OperatorRequest): OperatorDecision {
  if (email === undefined) return { allow: false, status: 401, reason: "no verified operator token" };
  // The entry must be this address's own: an exact match, so no look-alike row can stand in.
  if (entry === undefined || entry.email !== email) return { allow: false, status: 403, reason: "not on the allowlist" };
  if (entry.expiresAt !== null && !(entry.expiresAt > now)) return { allow: false, status: 403, reason: "allowlist entry expired" };
  if (!isRole(entry.role)) return { allow: false, status: 403, reason: "unknown role" };
  const canonical = canonicalConsolePath(path);
  if (canonical === undefined) return { allow: false, status: 400, reason: "path outside the console path grammar" };
  if (refusedQueryParam(search) !== undefined) return { allow: false, status: 400, reason: "query parameter outside the grammar or naming a method" };
  const upper = method.toUpperCase();
  if (entry.role === "support-read" && !SAFE_METHODS.has(upper)) return { allow: false, status: 403, reason: "support-read may only read" };
  if (entry.role !== "admin" && isAdminPath(canonical)) return { allow: false, status: 403, reason: "admin paths need the admin role" };
  return { allow: true, status: 200, role: entry.role, reason: `allowed as ${entry.role}`, path: canonical, search };
}

/** An address as the allowlist keys it: ASCII only (case folding outside it can merge two addresses), lower-case. */
export function allowlistKey(email: string): string | undefined {
  return /^[\x21-\x7e]+@[\x21-\x7e]+$/.test(email) ? email.toLowerCase() : undefined;
}
