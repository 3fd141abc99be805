import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { sqlMigrationProviderCode } from "../../components/sql-migration";
import { loadMigrationProvider, type LoadedMigrationProvider } from "../helpers/migration-provider";
import { CERTIFICATE_LOGIN, CERTIFIED_HOST, signedCertificate, startTlsServer, UNCERTIFIED_HOST, type TlsServer } from "../helpers/tls-server";

/*
 * Finding 5 of issue 14: a SqlMigration must reach the server exactly when the Postgres provider
 * would, with the same `postgresql:ssl*` settings. The provider (cyrilgdn/terraform-provider-
 * postgresql, postgresql/config.go connParams) hands sslmode, sslrootcert and clientcert's
 * sslcert/sslkey to lib/pq v1.12.3, whose ssl.go decides: `require` verifies nothing unless a
 * root certificate is there, and then checks the chain (as verify-ca); `verify-ca` checks the
 * chain, not the host name; `verify-full` checks both. The oracle below states that, and the
 * migration's own serialized provider code connects to a real server with TLS on.
 */

let tls: TlsServer;
let provider: LoadedMigrationProvider;
let home: string;
const saved = { HOME: process.env["HOME"], PGSSLROOTCERT: process.env["PGSSLROOTCERT"] };

beforeAll(async () => {
  tls = await startTlsServer();
  provider = loadMigrationProvider(await sqlMigrationProviderCode());
  // lib/pq also trusts ~/.postgresql/root.crt: a home of the test's own, empty unless a test fills it.
  home = mkdtempSync(join(tls.dir, "home-"));
  process.env["HOME"] = home;
  delete process.env["PGSSLROOTCERT"];
});

afterEach(() => {
  delete process.env["PGSSLROOTCERT"];
});

afterAll(async () => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await tls?.stop();
});

type Mode = "require" | "verify-ca" | "verify-full";
type Roots = "no sslrootcert" | "the server's CA" | "another CA";
type Outcome = "connects" | "refused: chain" | "refused: host name";

/** lib/pq v1.12.3 ssl.go, as the provider's connections behave. */
function libpqOutcome(mode: Mode, roots: Roots, host: string): Outcome {
  // Without a root certificate, require encrypts only, and the verify modes check against the
  // system's roots, which do not hold a throwaway CA.
  if (roots === "no sslrootcert") return mode === "require" ? "connects" : "refused: chain";
  if (roots === "another CA") return "refused: chain";
  return mode === "verify-full" && host !== CERTIFIED_HOST ? "refused: host name" : "connects";
}

/** What became of the migration's connection: its TLS error sorted into chain or host name. */
async function outcomeOf(connection: Record<string, unknown>): Promise<Outcome | string> {
  try {
    await provider.create({ migration: "tls-probe", database: "postgres", sql: "SELECT 1", connection });
    return "connects";
  } catch (error) {
    const code = (error as { code?: string }).code ?? "";
    if (code === "ERR_TLS_CERT_ALTNAME_INVALID") return "refused: host name";
    if (/^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT)$/.test(code)) return "refused: chain";
    return `failed otherwise: ${code} ${(error as Error).message}`;
  }
}

const asSuperuser = () => ({ port: tls.server.port, user: tls.server.user, password: tls.server.password });
const rootFile = (roots: Roots) => (roots === "the server's CA" ? tls.rightCa : roots === "another CA" ? tls.wrongCa : undefined);

const MODES: Mode[] = ["require", "verify-ca", "verify-full"];
const ROOTS: Roots[] = ["no sslrootcert", "the server's CA", "another CA"];
const HOSTS = [CERTIFIED_HOST, UNCERTIFIED_HOST];
const EVERY_CASE = MODES.flatMap((mode) => ROOTS.flatMap((roots) => HOSTS.map((host) => [mode, roots, host, libpqOutcome(mode, roots, host)] as const)));

describe("a migration's connection, against a server whose certificate a throwaway CA signed for localhost", () => {
  it.each(EVERY_CASE)("sslmode %s with %s, to %s: %s, as the provider's", async (mode, roots, host, expected) => {
    const sslrootcert = rootFile(roots);
    expect(await outcomeOf({ ...asSuperuser(), host, sslmode: mode, ...(sslrootcert === undefined ? {} : { sslrootcert }) })).toBe(expected);
  });

  it("takes an intermediate CA in sslrootcert as a trust anchor, as Go's x509 does for lib/pq", async () => {
    for (const mode of ["verify-ca", "verify-full"] as const) {
      expect(await outcomeOf({ ...asSuperuser(), host: CERTIFIED_HOST, sslmode: mode, sslrootcert: tls.intermediateCa })).toBe("connects");
    }
  });

  it("refuses a verify mode whose sslrootcert file is missing, naming the file", async () => {
    const missing = join(tls.dir, "no-such-bundle.pem");
    const outcome = await outcomeOf({ ...asSuperuser(), host: CERTIFIED_HOST, sslmode: "verify-full", sslrootcert: missing });
    expect(outcome).toMatch(/^failed otherwise: .*no-such-bundle\.pem/);
  });
});

describe("the root certificates lib/pq finds without postgresql:sslrootcert", () => {
  it("trusts PGSSLROOTCERT: verify-full connects with the server's CA there", async () => {
    process.env["PGSSLROOTCERT"] = tls.rightCa;
    expect(await outcomeOf({ ...asSuperuser(), host: CERTIFIED_HOST, sslmode: "verify-full" })).toBe("connects");
  });

  it("turns require into verify-ca with PGSSLROOTCERT: another CA there is refused", async () => {
    process.env["PGSSLROOTCERT"] = tls.wrongCa;
    expect(await outcomeOf({ ...asSuperuser(), host: UNCERTIFIED_HOST, sslmode: "require" })).toBe("refused: chain");
  });

  it("prefers the stack's sslrootcert to PGSSLROOTCERT", async () => {
    process.env["PGSSLROOTCERT"] = tls.wrongCa;
    expect(await outcomeOf({ ...asSuperuser(), host: UNCERTIFIED_HOST, sslmode: "verify-ca", sslrootcert: tls.rightCa })).toBe("connects");
  });

  it("trusts ~/.postgresql/root.crt, and with require then checks the chain against it", async () => {
    mkdirSync(join(home, ".postgresql"), { recursive: true });
    const file = join(home, ".postgresql", "root.crt");
    try {
      copyFileSync(tls.wrongCa, file);
      expect(await outcomeOf({ ...asSuperuser(), host: UNCERTIFIED_HOST, sslmode: "require" })).toBe("refused: chain");
      copyFileSync(tls.rightCa, file);
      expect(await outcomeOf({ ...asSuperuser(), host: CERTIFIED_HOST, sslmode: "verify-full" })).toBe("connects");
    } finally {
      rmSync(join(home, ".postgresql"), { recursive: true, force: true });
    }
  });
});

describe("a client certificate (postgresql:clientcert)", () => {
  /** Writes a certificate the CA signed for `login` and its key (mode `keyMode`) into the test's folder. */
  async function clientFiles(login: string, keyMode: number): Promise<{ cert: string; key: string }> {
    const pair = await signedCertificate(tls.caKeyPair, login, "client");
    const dir = mkdtempSync(join(tls.dir, "clientcert-"));
    const files = { cert: join(dir, "client.crt"), key: join(dir, "client.key") };
    writeFileSync(files.cert, pair.cert);
    writeFileSync(files.key, pair.key, { mode: keyMode });
    return files;
  }
  const asCertificateLogin = { port: 0, user: CERTIFICATE_LOGIN };

  it("is presented to a server that admits the login by certificate only", async () => {
    const clientcert = await clientFiles(CERTIFICATE_LOGIN, 0o600);
    const connection = { ...asCertificateLogin, port: tls.server.port, host: CERTIFIED_HOST, sslmode: "verify-full", sslrootcert: tls.rightCa };
    expect(await outcomeOf({ ...connection, clientcert })).toBe("connects");
    // The control: the same connection without the certificate is turned away by the server.
    expect(await outcomeOf(connection)).toMatch(/^failed otherwise: .*certificate/);
  });

  it("is refused, naming the key file, when the certificate is there but its key is not", async () => {
    const clientcert = { ...(await clientFiles(CERTIFICATE_LOGIN, 0o600)), key: join(tls.dir, "no-such.key") };
    const connection = { ...asCertificateLogin, port: tls.server.port, host: CERTIFIED_HOST, sslmode: "verify-full", sslrootcert: tls.rightCa, clientcert };
    expect(await outcomeOf(connection)).toMatch(/^failed otherwise: .*postgresql:clientcert\.key .*no-such\.key cannot be read on this machine \(ENOENT\)/);
  });

  it("is refused when its key file is readable by others, as lib/pq refuses it", async () => {
    const clientcert = await clientFiles(CERTIFICATE_LOGIN, 0o644);
    const connection = { ...asCertificateLogin, port: tls.server.port, host: CERTIFIED_HOST, sslmode: "verify-full", sslrootcert: tls.rightCa, clientcert };
    expect(await outcomeOf(connection)).toMatch(/^failed otherwise: .*client\.key.*(0600|permissions)/);
  });
});
