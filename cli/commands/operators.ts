import { existsSync } from "node:fs";
import { join } from "node:path";
import { readStackFile } from "../../harness/stack-file";
import { localPaths } from "../../local/paths";
import { grantOperator, listOperators, revokeOperator, type AllowlistStore, type ListedOperator } from "../../local/operator-allowlist";
import { startOperatorGateway } from "../../local/operator-gateway";
import { OPERATOR_ROLES, type OperatorRole } from "../../workers/lib/operator-access";
import { ALLOWLIST_ROUTE_LABELS } from "../../remote/d1-http";
import { exitCodeOf, productionSuffix, withD1Store, type D1Target, type RemoteEndpoint, type TargetOptions } from "../d1-target";
import { EXIT_INVALID, EXIT_OK } from "../exit-codes";

/*
 * `tenantry operators grant|revoke|list`: the operator gateway's allowlist. Locally, the D1
 * database miniflare keeps in the local state folder (the one the local gateway reads); with
 * --remote, production's, through Cloudflare's D1 HTTP route (remote/d1-http.ts). Both run the
 * same statements with the same parameters (workers/lib/operator-allowlist-sql.ts).
 */

export type { RemoteEndpoint, TargetOptions } from "../d1-target";

export interface GrantOptions extends TargetOptions {
  readonly role: string;
  readonly grantedBy: string;
  readonly expiresAt?: string;
}

/** The gateway's account as the platform stack declares it (`tenantry:platform.operators.accountId`), if it does. */
function platformAccountId(projectDir: string): string | undefined {
  const path = join(projectDir, "platform", "Pulumi.platform.yaml");
  if (!existsSync(path)) return undefined;
  const platform = readStackFile(path).values["tenantry:platform"];
  const accountId = platform === undefined ? undefined : (JSON.parse(platform) as { operators?: { accountId?: unknown } }).operators?.accountId;
  return typeof accountId === "string" ? accountId : undefined;
}

/** The allowlist: the local gateway's D1, or production's (the platform stack's account unless --account-id names another). */
function allowlist(projectDir: string): D1Target {
  return {
    what: "allowlist",
    accountId: platformAccountId(projectDir),
    labels: ALLOWLIST_ROUTE_LABELS,
    openLocal: async () => {
      const gateway = await startOperatorGateway({ persistTo: localPaths(projectDir).operatorAllowlistDir });
      try {
        return { store: await gateway.allowlist(), dispose: () => gateway.dispose() };
      } catch (error) {
        await gateway.dispose();
        throw error;
      }
    },
  };
}

/** grantOf's refusals of its input (local/operator-allowlist.ts). */
const isGrantRefusal = (error: Error) => /^(not an ASCII|role must|a grant names)/.test(error.message);

/** Runs `use` on the chosen allowlist; a wrong target or a refusal by Cloudflare is the user's to fix (exit 2), said on stderr. */
const onAllowlist = (projectDir: string, target: TargetOptions, endpoint: RemoteEndpoint, use: (store: AllowlistStore) => Promise<void>) =>
  exitCodeOf(() => withD1Store(target, endpoint, allowlist(projectDir), use), isGrantRefusal);

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
  process.stdout.write(`granted ${email.toLowerCase()} ${options.role}${expiresAt === undefined ? "" : ` until ${new Date(expiresAt).toISOString()}`}${productionSuffix(options)}\n`);
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
    process.stderr.write(`error: ${email.toLowerCase()} is not on the allowlist${productionSuffix(options)}: nothing was revoked (tenantry operators list${options.remote === true ? " --remote" : ""} shows who is)\n`);
    return EXIT_INVALID;
  }
  process.stdout.write(`revoked ${email.toLowerCase()}${productionSuffix(options)}: the gateway refuses its next request\n`);
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
