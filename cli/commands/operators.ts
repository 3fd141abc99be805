import { localPaths } from "../../local/paths";
import { grantOperator, listOperators, revokeOperator } from "../../local/operator-allowlist";
import { startOperatorGateway } from "../../local/operator-gateway";
import { OPERATOR_ROLES, type OperatorRole } from "../../workers/lib/operator-access";
import { EXIT_INVALID, EXIT_OK } from "../exit-codes";

/*
 * `tenantry operators grant|revoke|list`: the local operator gateway's allowlist, in the D1
 * database miniflare keeps in the local state folder (the one the local gateway reads). In
 * production the same statements go through Cloudflare's D1 HTTP route (docs/operators.md).
 */

export interface GrantOptions {
  readonly role: string;
  readonly grantedBy: string;
  readonly expiresAt?: string;
}

async function withAllowlist<T>(projectDir: string, use: (db: Awaited<ReturnType<Awaited<ReturnType<typeof startOperatorGateway>>["allowlist"]>>) => Promise<T>): Promise<T> {
  const gateway = await startOperatorGateway({ persistTo: localPaths(projectDir).operatorAllowlistDir });
  try {
    return await use(await gateway.allowlist());
  } finally {
    await gateway.dispose();
  }
}

export async function grant(email: string, options: GrantOptions, projectDir: string): Promise<number> {
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
  try {
    await withAllowlist(projectDir, (db) => grantOperator(db, { email, role: options.role as OperatorRole, grantedBy: options.grantedBy, ...(expiresAt === undefined ? {} : { expiresAt }) }));
  } catch (error) {
    if (error instanceof Error && /^(not an ASCII|role must|a grant names)/.test(error.message)) {
      process.stderr.write(`error: ${error.message}\n`);
      return EXIT_INVALID;
    }
    throw error;
  }
  process.stdout.write(`granted ${email.toLowerCase()} ${options.role}${expiresAt === undefined ? "" : ` until ${new Date(expiresAt).toISOString()}`}\n`);
  return EXIT_OK;
}

export async function revoke(email: string, projectDir: string): Promise<number> {
  await withAllowlist(projectDir, (db) => revokeOperator(db, email));
  process.stdout.write(`revoked ${email.toLowerCase()}: the gateway refuses its next request\n`);
  return EXIT_OK;
}

export async function list(options: { json?: boolean }, projectDir: string): Promise<number> {
  const entries = await withAllowlist(projectDir, listOperators);
  const rows = entries.map((e) => ({ email: e.email, role: e.role, expiresAt: e.expiresAt === null ? null : new Date(e.expiresAt).toISOString(), grantedBy: e.grantedBy, grantedAt: new Date(e.grantedAt).toISOString() }));
  if (options.json === true) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else if (rows.length === 0) process.stdout.write("no operators\n");
  else for (const r of rows) process.stdout.write(`${r.email}\t${r.role}\t${r.expiresAt ?? "no expiry"}\tgranted by ${r.grantedBy} at ${r.grantedAt}\n`);
  return EXIT_OK;
}
