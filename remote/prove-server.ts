import { orgFactsOf } from "../components/org-facts";
import { planMigrations } from "../components/migration-plan";
import type { ClaimResult } from "../local/proof/claim";
import { SpecError } from "../spec/spec-errors";
import type { TenantStack } from "../spec/stack-config";
import type { CatalogClaim, CatalogContext } from "./catalog-claim";
import { CatalogSession } from "./catalog-session";
import { databaseIsDeclared, databasePrivilegesAreDeclared, providerLoginInheritsOwner, rolesAreDeclared, sharedDatabasesAreClosed } from "./database-claims";
import { migrationsDoNotDrift } from "./drift-claims";
import { eventTriggersAreInPlace, publicHoldsNothingInTheDatabase, schemasAreDeclared } from "./schema-claims";
import { isLoopback, parseServerUrl, SERVER_URL_OPTION, shownUrl, type ServerUrl, type UrlSslmode } from "./server-url";
import { skippedClaims } from "./skipped-claims";
import { connectionSslmode, pgSsl } from "./tls";

/*
 * `tenantry prove <stack> --server-url <url>`: the after-deploy check. It reads, as the stack's
 * provider login, what the catalog of a deployed server shows of the org, and judges it against
 * what the stack declares; every read is in a READ ONLY transaction that is rolled back
 * (catalog-session.ts), so it creates nothing and changes nothing. It refuses a superuser's login:
 * a managed server has none, and a superuser reads past every privilege the proof is about.
 */

/** In table order. */
const CLAIMS: readonly CatalogClaim[] = [
  databaseIsDeclared,
  databasePrivilegesAreDeclared,
  sharedDatabasesAreClosed,
  rolesAreDeclared,
  providerLoginInheritsOwner,
  migrationsDoNotDrift,
  eventTriggersAreInPlace,
  schemasAreDeclared,
  publicHoldsNothingInTheDatabase,
];

export interface ServerProof {
  /** The URL read, without its password. */
  readonly target: string;
  readonly login: string;
  readonly sslmode: UrlSslmode;
  /** The URL carried the password (visible in the process list): the CLI warns. */
  readonly passwordInUrl: boolean;
  readonly results: readonly ClaimResult[];
}

function refuse(message: string): never {
  throw new SpecError([{ field: SERVER_URL_OPTION, message }]);
}

/** The URL's login must be the stack's provider login: every claim is about what that login holds and reads. */
function checkLogin(url: ServerUrl, stack: TenantStack): void {
  const expected = stack.provider.adminRole;
  if (url.login !== expected) {
    refuse(`${SERVER_URL_OPTION} must log in as the stack's provider login ${expected} (postgresql:username), not ${url.login}: the claims are about what that login holds`);
  }
}

export async function proveServer(stack: TenantStack, urlText: string, env: { readonly PGPASSWORD?: string | undefined }): Promise<ServerProof> {
  const url = parseServerUrl(urlText, env);
  checkLogin(url, stack);
  const sslmode = connectionSslmode(stack.provider.sslmode, url.sslmode, url.host, isLoopback(url.host));
  const providerDatabase = url.database ?? stack.provider.database;
  const target = shownUrl(url, providerDatabase);
  const session = new CatalogSession({ host: url.host, port: url.port, user: url.login, password: url.password, ssl: pgSsl(sslmode, {
    ...(stack.provider.sslrootcert === undefined ? {} : { sslrootcert: stack.provider.sslrootcert }),
    ...(stack.provider.clientcert === undefined ? {} : { clientcert: stack.provider.clientcert }),
  }) });
  try {
    const refused = await session.refusal(providerDatabase);
    if (refused !== undefined) refuse(`could not connect to ${SERVER_URL_OPTION} ${target} as ${url.login}: ${refused.code ?? ""} (${refused.message ?? ""})`);
    const who = await session.read(providerDatabase, "SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user");
    if (who.code !== undefined) refuse(`could not read pg_roles as ${url.login} through ${SERVER_URL_OPTION} ${target}: ${who.code} (${who.message ?? ""})`);
    if (who.rows[0]?.["rolsuper"] === true) {
      refuse(`${SERVER_URL_OPTION} logs in as ${url.login}, a superuser: a managed server has none, the stack requires postgresql:superuser false, ` +
        "and a superuser reads past every privilege the proof is about; prove as the deploy's non-superuser provider login");
    }
    const ctx: CatalogContext = {
      session, spec: stack.spec, login: url.login, providerDatabase, migrations: planMigrations(orgFactsOf(stack.spec, stack.provider)),
    };
    const results: ClaimResult[] = [];
    for (const claim of CLAIMS) results.push(...(await claim(ctx)));
    return { target, login: url.login, sslmode, passwordInUrl: url.passwordFrom === "url", results: [...results, ...skippedClaims(stack.spec)] };
  } finally {
    await session.end();
  }
}
