import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";
import { generate, type CertificateExtension } from "selfsigned";
import { localPaths, type LocalPaths } from "../../local/paths";
import { adminClient, ensureServer, stopServer, type ServerInfo } from "../../local/server";

/*
 * An embedded Postgres of its own (not the run's shared one) with TLS on, serving a certificate
 * for the host name `localhost` only (connecting to `localhost` matches it, connecting to
 * `127.0.0.1` does not), issued as RDS issues its own: a throwaway root CA signs an
 * intermediate, the intermediate signs the server's certificate, and the server sends both.
 * A second throwaway CA signed nothing the server shows.
 */

export interface TlsServer {
  readonly server: ServerInfo;
  /** PEM files of the root CA above the server's certificate, and of one that is not. */
  readonly rightCa: string;
  /** A PEM file of the intermediate CA alone, which signed the server's certificate. */
  readonly intermediateCa: string;
  readonly wrongCa: string;
  /** A folder for files a test writes (client certificates, more CA files); removed by stop(). */
  readonly dir: string;
  /** The CA's key and certificate, to sign client certificates with. */
  readonly caKeyPair: { readonly key: string; readonly cert: string };
  stop(): Promise<void>;
}

/** A login the server admits only with a client certificate the CA signed for it (pg_hba `cert`). */
export const CERTIFICATE_LOGIN = "tls_certificate_login";

/** The name the server's certificate is for; 127.0.0.1 reaches the same server without matching it. */
export const CERTIFIED_HOST = "localhost";
export const UNCERTIFIED_HOST = "127.0.0.1";

const caExtensions: CertificateExtension[] = [
  { name: "basicConstraints", cA: true, critical: true },
  { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
];

/** A CA: self-signed, or signed by `issuer` (an intermediate). */
async function throwawayCa(name: string, issuer?: { key: string; cert: string }) {
  const pems = await generate([{ name: "commonName", value: name }], { keyType: "ec", algorithm: "sha256", extensions: caExtensions, ...(issuer === undefined ? {} : { ca: issuer }) });
  return { key: pems.private, cert: pems.cert };
}

/** A leaf certificate the CA signs: for the server (`serverAuth`, its DNS names) or a client (`clientAuth`, CN = the login). */
export async function signedCertificate(ca: { key: string; cert: string }, commonName: string, usage: "server" | "client", dnsNames: string[] = []) {
  const pems = await generate([{ name: "commonName", value: commonName }], {
    keyType: "ec", algorithm: "sha256", ca,
    extensions: [
      { name: "basicConstraints", cA: false } as const,
      { name: "keyUsage", digitalSignature: true, critical: true } as const,
      { name: "extKeyUsage", serverAuth: usage === "server", clientAuth: usage === "client" } as const,
      ...(dnsNames.length === 0 ? [] : [{ name: "subjectAltName", altNames: dnsNames.map((value) => ({ type: 2 as const, value })) } as const]),
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

export async function startTlsServer(): Promise<TlsServer> {
  const base = mkdtempSync(join(tmpdir(), "tenantry-tls-"));
  // As root the server runs as the postgres OS user, which must be able to reach its data.
  chmodSync(base, 0o755);
  const paths = localPaths(base);
  const stop = async () => {
    await stopServer(paths);
    rmSync(base, { recursive: true, force: true });
  };
  try {
    return { ...(await configure(base, paths)), stop };
  } catch (error) {
    // A server left running would outlive the test run: it is detached, with its enforcer.
    await stop();
    throw error;
  }
}

async function configure(base: string, paths: LocalPaths): Promise<Omit<TlsServer, "stop">> {
  const { server } = await ensureServer(paths);
  const ca = await throwawayCa("tenantry test CA");
  const other = await throwawayCa("tenantry test CA (not the server's)");
  const intermediate = await throwawayCa("tenantry test intermediate CA", ca);
  const leaf = await signedCertificate(intermediate, CERTIFIED_HOST, "server", [CERTIFIED_HOST]);

  // Postgres reads server.crt and server.key from its data directory, and refuses a key
  // that anyone but its owner can read; root.crt is the CA client certificates must chain to.
  const owner = statSync(paths.dataDir);
  for (const [file, text] of [["server.crt", `${leaf.cert}\n${intermediate.cert}\n`], ["server.key", leaf.key], ["root.crt", ca.cert]] as const) {
    const path = join(paths.dataDir, file);
    writeFileSync(path, text, { mode: 0o600 });
    chownSync(path, owner.uid, owner.gid);
  }
  const dir = join(base, "client");
  mkdirSync(dir);
  const rightCa = join(base, "right-ca.pem");
  const wrongCa = join(base, "wrong-ca.pem");
  const intermediateCa = join(base, "intermediate-ca.pem");
  writeFileSync(rightCa, ca.cert);
  writeFileSync(wrongCa, other.cert);
  writeFileSync(intermediateCa, intermediate.cert);

  const admin = adminClient(server);
  await admin.connect();
  try {
    await admin.query(`CREATE ROLE ${CERTIFICATE_LOGIN} LOGIN`);
    // First match wins: this login may come in over TLS with a certificate for its name only.
    const hba = join(paths.dataDir, "pg_hba.conf");
    writeFileSync(hba, `hostssl all ${CERTIFICATE_LOGIN} 127.0.0.1/32 cert\nhost all ${CERTIFICATE_LOGIN} 127.0.0.1/32 reject\n${readFileSync(hba, "utf8")}`);
    await admin.query("ALTER SYSTEM SET ssl = on");
    await admin.query("ALTER SYSTEM SET ssl_ca_file = 'root.crt'");
    await admin.query("SELECT pg_reload_conf()");
  } finally {
    await admin.end();
  }
  await untilTlsServes(server);
  return { server, rightCa, wrongCa, intermediateCa, dir, caKeyPair: ca };
}

/** A reload is asynchronous: wait until a new session can negotiate TLS. */
async function untilTlsServes(server: ServerInfo): Promise<void> {
  for (let waited = 0; waited < 10_000; waited += 100) {
    const client = new Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: "postgres", ssl: { rejectUnauthorized: false } });
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error("the embedded Postgres did not serve TLS within 10 s of ssl = on");
}
