import type { ProviderTls } from "../spec/provider-settings";

/*
 * How a SqlMigration secures its connection: exactly as the org's Postgres provider does, so a
 * migration reaches the server when, and only when, the provider would. The provider
 * (cyrilgdn/terraform-provider-postgresql, postgresql/config.go `connParams`) puts `sslmode`,
 * `sslrootcert` and its `clientcert` block's `cert`/`key` (as `sslcert`/`sslkey`) into a
 * connection string for lib/pq v1.12.3 (the version pulumi-postgresql 3.18 builds with), and
 * lib/pq decides (ssl.go `ssl`, connector.go `newConfig`):
 *
 * - a setting missing from the connection string is taken from PGSSLROOTCERT, PGSSLCERT,
 *   PGSSLKEY; a root certificate still missing from ~/.postgresql/root.crt if that file exists,
 *   a client certificate from ~/.postgresql/postgresql.crt and .key;
 * - `require` encrypts and verifies nothing, unless a root certificate file exists: then it
 *   checks the chain, as `verify-ca` does ("for backwards compatibility", libpq's rule); a root
 *   certificate file that does not exist is dropped silently;
 * - `verify-ca` checks the chain against the root certificates, not the host name;
 * - `verify-full` checks the chain and that the certificate is for the host;
 * - without root certificates the verify modes use the machine's default roots; `system` is
 *   allowed with `verify-full` only;
 * - a client certificate file that does not exist is not presented; its key must not be
 *   readable by group or others (0600, or 0640 owned by root).
 *
 * These functions are pure (the machine is passed in) and are serialized into every
 * SqlMigration's provider code, so they import nothing at run time.
 */

/** What lib/pq reads beyond the connection string, on the machine the migration runs on. */
export interface DeployMachine {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `~/.postgresql` (lib/pq's pqutil.Home(true)); undefined when there is no home. */
  readonly pgHome: string | undefined;
  readonly exists: (path: string) => boolean;
}

/** A file the connection reads, and the setting it came from (for messages). */
export interface TlsFile {
  readonly path: string;
  readonly from: string;
}

export interface TlsPlan {
  /** What the connection verifies of the server's certificate. */
  readonly verify: "nothing" | "chain" | "chain and host name";
  /** The root certificates the chain must end in: a PEM file, or the machine's default roots. */
  readonly roots: TlsFile | "default roots";
  readonly clientcert?: { readonly cert: TlsFile; readonly key: TlsFile };
}

const joinPath = (dir: string, file: string) => `${dir.replace(/\/+$/, "")}/${file}`;
/** lib/pq takes an empty setting as unset (it only loads a file "if not blank, like libpq"). */
const given = (value: string | undefined) => (value === undefined || value === "" ? undefined : value);

/** Which root certificate file lib/pq would use: the stack's, PGSSLROOTCERT, then ~/.postgresql/root.crt if it exists. */
function rootCertificate(tls: ProviderTls, machine: DeployMachine): TlsFile | undefined {
  const stack = given(tls.sslrootcert);
  if (stack !== undefined) return { path: stack, from: "postgresql:sslrootcert" };
  const env = given(machine.env["PGSSLROOTCERT"]);
  if (env !== undefined) return { path: env, from: "PGSSLROOTCERT" };
  const home = machine.pgHome === undefined ? undefined : joinPath(machine.pgHome, "root.crt");
  return home !== undefined && machine.exists(home) ? { path: home, from: "~/.postgresql/root.crt" } : undefined;
}

/** Which client certificate lib/pq would present (sslClientCertificates): none when its certificate file does not exist. */
function clientCertificate(tls: ProviderTls, machine: DeployMachine): TlsPlan["clientcert"] {
  const pick = (stack: string | undefined, variable: string, file: string): TlsFile | undefined => {
    if (given(stack) !== undefined) return { path: stack as string, from: `postgresql:clientcert.${file === "postgresql.crt" ? "cert" : "key"}` };
    const env = given(machine.env[variable]);
    if (env !== undefined) return { path: env, from: variable };
    return machine.pgHome === undefined ? undefined : { path: joinPath(machine.pgHome, file), from: `~/.postgresql/${file}` };
  };
  const cert = pick(tls.clientcert?.cert, "PGSSLCERT", "postgresql.crt");
  if (cert === undefined || !machine.exists(cert.path)) return undefined;
  const key = pick(tls.clientcert?.key, "PGSSLKEY", "postgresql.key");
  if (key === undefined) throw new Error(`the client certificate ${cert.path} (${cert.from}) has no key: set postgresql:clientcert.key`);
  return { cert, key };
}

/** What the migration's connection verifies and reads, resolved as lib/pq resolves it; throws where lib/pq refuses to connect. */
export function planTls(tls: ProviderTls, machine: DeployMachine): TlsPlan {
  let root = rootCertificate(tls, machine);
  const clientcert = clientCertificate(tls, machine);
  const withClient = clientcert === undefined ? {} : { clientcert };
  if (root?.path === "system") {
    if (tls.sslmode !== "verify-full") {
      throw new Error(`sslrootcert=system (${root.from}) may be used with sslmode verify-full only (got ${tls.sslmode}), as lib/pq refuses it otherwise`);
    }
    return { verify: "chain and host name", roots: "default roots", ...withClient };
  }
  if (tls.sslmode === "require") {
    // A root certificate that is not there is dropped, and require then verifies nothing.
    if (root !== undefined && !machine.exists(root.path)) root = undefined;
    return root === undefined ? { verify: "nothing", roots: "default roots", ...withClient } : { verify: "chain", roots: root, ...withClient };
  }
  return { verify: tls.sslmode === "verify-ca" ? "chain" : "chain and host name", roots: root ?? "default roots", ...withClient };
}

/** The PEM text of the files a plan names, read on the deploy machine. */
export interface TlsMaterial {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

/** The options node-postgres hands to `tls.connect` for a plan: the same checks lib/pq makes, no more, no fewer. */
export function pgSslOptions(plan: TlsPlan, material: TlsMaterial): Record<string, unknown> {
  const client = material.cert === undefined || material.key === undefined ? {} : { cert: material.cert, key: material.key };
  if (plan.verify === "nothing") return { rejectUnauthorized: false, ...client };
  // Go's x509, which verifies for lib/pq, takes any certificate among the roots as an anchor (an
  // intermediate alone will do); OpenSSL does so only when asked (Node >= 20.18 and 22.9).
  const roots = material.ca === undefined ? {} : { ca: material.ca, allowPartialTrustChain: true };
  // verify-ca: the chain is checked (rejectUnauthorized), the name is not (lib/pq verifies
  // the peer certificates itself with no DNSName); verify-full keeps Node's name check.
  const nameCheck = plan.verify === "chain" ? { checkServerIdentity: () => undefined } : {};
  return { rejectUnauthorized: true, ...roots, ...client, ...nameCheck };
}

/**
 * Why lib/pq refuses a client key file with these permissions (pqutil.CheckPermissions), or
 * undefined: 0600 or less, or 0640 or less when root owns it.
 */
export function keyFileProblem(key: TlsFile, mode: number, ownerUid: number): string | undefined {
  const permissions = mode & 0o777;
  if ((permissions & ~0o600) === 0) return undefined;
  if (ownerUid === 0 && (permissions & ~0o640) === 0) return undefined;
  return `the client key ${key.path} (${key.from}) has mode ${permissions.toString(8).padStart(4, "0")}: lib/pq, the provider's driver, refuses a key readable by others; make it u=rw (0600), or u=rw,g=r (0640) owned by root`;
}
