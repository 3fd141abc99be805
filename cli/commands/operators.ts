import { existsSync } from "node:fs";
import { join } from "node:path";
import { readStackFile } from "../../harness/stack-file";
import { localPaths } from "../../local/paths";
import { grantOperator, listOperators, revokeOperator, type AllowlistStore, type ListedOperator } from "../../local/operator-allowlist";
import { startOperatorGateway } from "../../local/operator-gateway";
import { OPERATOR_ROLES, type OperatorRole } from "../../workers/lib/operator-access";
import { EXIT_INVALID, EXIT_OK } from "../exit-codes";

/*
 * `tenantry operators grant|revoke|list`: the operator gateway's allowlist. Locally, the D1
 * database miniflare keeps in the local state folder (the one the local gateway reads); with
 * --remote, production's, through Cloudflare's D1 HTTP route (remote/d1-http.ts). Both run the
 * same statements with the same parameters (workers/lib/operator-allowlist-sql.ts).
 */

export interface TargetOptions {
  /** Production: Cloudflare's D1 HTTP route instead of the local allowlist. */
  readonly remote?: boolean;
  readonly accountId?: string;
  readonly databaseId?: string;
}

export interface GrantOptions extends TargetOptions {
  readonly role: string;
  readonly grantedBy: string;
  readonly expiresAt?: string;
}

/** Where the remote route goes: Cloudflare's API, unless a test points it at a stand-in. */
export interface RemoteEndpoint {
  readonly apiBase?: string;
}

/** The gateway's account as the platform stack declares it (`tenantry:platform.operators.accountId`), if it does. */
function platformAccountId(projectDir: string): string | undefined {
  const path = join(projectDir, "platform", "Pulumi.platform.yaml");
  if (!existsSync(path)) return undefined;
  const platform = readStackFile(path).values["tenantry:platform"];
  const accountId = platform === undefined ? undefined : (JSON.parse(platform) as { operators?: { accountId?: unknown } }).operators?.accountId;
  return typeof accountId === "string" ? accountId : undefined;
}

class TargetError extends Error {}

async function withAllowlist<T>(projectDir: string, target: TargetOptions, endpoint: RemoteEndpoint, use: (store: AllowlistStore) => Promise<T>): Promise<T> {
  if (target.remote === true) {
    const { d1HttpStore, d1RouteProblems } = await import("../../remote/d1-http.js");
    const route = { accountId: target.accountId ?? platformAccountId(projectDir) ?? "", databaseId: target.databaseId ?? "", token: process.env["CLOUDFLARE_API_TOKEN"] ?? "", ...endpoint };
    const problems = d1RouteProblems(route);
    if (problems.length > 0) throw new TargetError(problems.join("\n"));
    return use(d1HttpStore(route));
  }
  if (target.accountId !== undefined || target.databaseId !== undefined) throw new TargetError("--account-id and --database-id name the production allowlist: add --remote");
  const gateway = await startOperatorGateway({ persistTo: localPaths(projectDir).operatorAllowlistDir });
  try {
    return await use(await gateway.allowlist());
  } finally {
    await gateway.dispose();
  }
}

/** Runs `use` on the chosen allowlist; a wrong target or a refusal by Cloudflare is the user's to fix (exit 2), said on stderr. */
async function onAllowlist(projectDir: string, target: TargetOptions, endpoint: RemoteEndpoint, use: (store: AllowlistStore) => Promise<void>): Promise<number> {
  try {
    await withAllowlist(projectDir, target, endpoint, use);
    return EXIT_OK;
  } catch (error) {
    const { D1RouteError } = await import("../../remote/d1-http.js");
    if (error instanceof TargetError || error instanceof D1RouteError || (error instanceof Error && /^(not an ASCII|role must|a grant names)/.test(error.message))) {
      process.stderr.write(`error: ${error.message}\n`);
      return EXIT_INVALID;
    }
    throw error;
  }
}

const where = (target: TargetOptions) => (target.remote === true ? " (production, through Cloudflare's D1 API)" : "");

export async function grant(email: string, options: GrantOptions, projectDir: string, endpoint: RemoteEndpoint = {}): Promise<number> {
  if (!(OPERATOR_ROLES as readonly string[]).includes(options.role)) {
    process.stderr.write(`error: --role must be one of ${OPERATOR_ROLES.join(", ")}\n`);
    return EXIT_INVALID;
  }
  let expiresAt: number | undefined;
  if (options.expiresAt !== undefined) {
    expiresAt = Date.parse(options.expiresAt);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(options.expiresAt) || Number.isNaN(expiresAt) || expiresAt <= Date.now()) {
      process.stderr.write("error: --expires-at must be an ISO 8601 time in the future (2026-12-01T18:00:00Z)\n");
      return EXIT_INVALID;
    }
  }
  const grant = { email, role: options.role as OperatorRole, grantedBy: options.grantedBy, ...(expiresAt === undefined ? {} : { expiresAt }) };
  const code = await onAllowlist(projectDir, options, endpoint, (store) => grantOperator(store, grant));
  if (code !== EXIT_OK) return code;
  process.stdout.write(`granted ${email.toLowerCase()} ${options.role}${expiresAt === undefined ? "" : ` until ${new Date(expiresAt).toISOString()}`}${where(options)}\n`);
  return EXIT_OK;
}

export async function revoke(email: string, options: TargetOptions, projectDir: string, endpoint: RemoteEndpoint = {}): Promise<number> {
  let removed = false;
  const code = await onAllowlist(projectDir, options, endpoint, async (store) => {
    removed = await revokeOperator(store, email);
  });
  if (code !== EXIT_OK) return code;
  if (!removed) {
    // A typo must not read as a revocation: the person it was meant for is still admitted.
    process.stderr.write(`error: ${email.toLowerCase()} is not on the allowlist${where(options)}: nothing was revoked (tenantry operators list${options.remote === true ? " --remote" : ""} shows who is)\n`);
    return EXIT_INVALID;
  }
  process.stdout.write(`revoked ${email.toLowerCase()}${where(options)}: the gateway refuses its next request\n`);
  return EXIT_OK;
}

export async function list(options: TargetOptions & { json?: boolean }, projectDir: string, endpoint: RemoteEndpoint = {}): Promise<number> {
  let entries: ListedOperator[] = [];
  const code = await onAllowlist(projectDir, options, endpoint, async (store) => {
    entries = await listOperators(store);
  });
  if (code !== EXIT_OK) return code;
  const rows = entries.map((e) => ({ email: e.email, role: e.role, expiresAt: e.expiresAt === null ? null : new Date(Number(e.expiresAt)).toISOString(), grantedBy: e.grantedBy, grantedAt: new Date(Number(e.grantedAt)).toISOString() }));
  if (options.json === true) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else if (rows.length === 0) process.stdout.write("no operators\n");
  else for (const r of rows) process.stdout.write(`${r.email}\t${r.role}\t${r.expiresAt ?? "no expiry"}\tgranted by ${r.grantedBy} at ${r.grantedAt}\n`);
  return EXIT_OK;
}
