import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkServerIdentity } from "node:tls";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isLoopback, parseServerUrl, shownUrl, URL_SSLMODES } from "../../remote/server-url";
import { connectionSslmode, pgSsl } from "../../remote/tls";
import { TLS_MODES } from "../../spec/provider-settings";
import { SpecError } from "../../spec/spec-errors";

/*
 * `--server-url`: what it takes, what it refuses (naming the option), that a password never
 * appears in anything it prints, and the TLS the proof connects with: never less than a deploy's
 * unless the traffic stays on the machine.
 */

const NO_PASSWORD = {};

function refusal(text: string, env: { PGPASSWORD?: string } = { PGPASSWORD: "from-env" }): string {
  try {
    parseServerUrl(text, env);
  } catch (error) {
    if (error instanceof SpecError) return error.message;
    throw error;
  }
  throw new Error(`${text} was accepted`);
}

describe("parseServerUrl", () => {
  it("reads login, host, port, database and sslmode, the password from PGPASSWORD", () => {
    expect(parseServerUrl("postgres://tenantry@pg.example.internal:6543/postgres?sslmode=verify-full", { PGPASSWORD: "pw" })).toEqual({
      host: "pg.example.internal", port: 6543, login: "tenantry", password: "pw", passwordFrom: "PGPASSWORD", database: "postgres", sslmode: "verify-full",
    });
  });

  it("defaults the port to 5432 and leaves the database to the stack when the URL names none", () => {
    expect(parseServerUrl("postgresql://tenantry@[::1]", { PGPASSWORD: "pw" })).toEqual({ host: "::1", port: 5432, login: "tenantry", password: "pw", passwordFrom: "PGPASSWORD" });
  });

  it("takes a percent-encoded password from the URL over PGPASSWORD, and says it came from the URL", () => {
    expect(parseServerUrl("postgres://tenantry:p%40ss%2Fw@db.internal/postgres", { PGPASSWORD: "other" })).toMatchObject({ password: "p@ss/w", passwordFrom: "url" });
  });

  it.each([
    ["pg.example.internal:5432", "--server-url must be a URL: postgres://<login>@<host>:<port>/<database>"],
    ["https://tenantry@pg.example.internal/postgres", "--server-url must start with postgres:// or postgresql:// (got https:)"],
    ["postgres://pg.example.internal/postgres", "--server-url must name the login: postgres://<login>@<host>:<port>/<database>"],
    ["postgres://tenantry@/postgres", "--server-url must be a URL: postgres://<login>@<host>:<port>/<database>"],
    ["postgres://tenantry@db.internal/postgres#x", "--server-url must not have a #fragment"],
    ["postgres://tenantry@db.internal/a/b", "--server-url must name one database after the host: postgres://<login>@<host>:<port>/<database>"],
    ["postgres://tenantry@db.internal/postgres?sslrootcert=ca.pem", "--server-url takes no parameter but sslmode (got sslrootcert)"],
    ["postgres://tenantry@db.internal/postgres?sslmode=prefer", "--server-url sslmode must be one of disable, require, verify-ca, verify-full"],
  ])("refuses %s, naming --server-url", (text, message) => {
    expect(refusal(text)).toBe(message);
  });

  it("refuses a URL with no password and no PGPASSWORD, saying where a password goes", () => {
    expect(refusal("postgres://tenantry@db.internal/postgres", NO_PASSWORD)).toBe("--server-url gives no password for tenantry: set PGPASSWORD (or put it in the URL)");
  });

  it("never prints the password, whatever the URL gets wrong", () => {
    const password = fc.string({ minLength: 8, maxLength: 30, unit: fc.constantFrom(..."abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789_-.~") });
    const wrong = fc.constantFrom(
      (pw: string) => `https://tenantry:${pw}@db.internal/postgres`,
      (pw: string) => `postgres://:${pw}@db.internal/postgres`,
      (pw: string) => `postgres://tenantry:${pw}@/postgres`,
      (pw: string) => `postgres://tenantry:${pw}@db.internal/a/b`,
      (pw: string) => `postgres://tenantry:${pw}@db.internal/postgres?application_name=x`,
      (pw: string) => `postgres://tenantry:${pw}@db.internal/postgres?sslmode=allow`,
      (pw: string) => `postgres://tenantry:${pw}@db.internal:99999/postgres`,
      (pw: string) => `postgres://tenantry:${pw}@db.internal/postgres#frag`,
    );
    fc.assert(fc.property(password, wrong, (pw, url) => {
      expect(refusal(url(pw), { PGPASSWORD: pw })).not.toContain(pw);
    }));
  });

  it("shows a URL without its password, in a form it parses back to the same server", () => {
    const host = fc.oneof(fc.domain(), fc.ipV4(), fc.ipV6());
    const login = fc.stringMatching(/^[a-z][a-z0-9_@.]{0,20}$/);
    fc.assert(fc.property(host, fc.integer({ min: 1, max: 65535 }), login, fc.stringMatching(/^[a-z_][a-z0-9_ ]{0,20}$/), (h, port, user, database) => {
      const shown = shownUrl({ host: h, port, login: user }, database);
      const parsed = parseServerUrl(shown, { PGPASSWORD: "secret-pw" });
      expect(shown).not.toContain("secret-pw");
      expect([parsed.port, parsed.login, parsed.database]).toEqual([port, user, database]);
    }));
  });
});

describe("isLoopback", () => {
  it.each(["localhost", "LOCALHOST", "127.0.0.1", "127.3.2.1", "::1", "0:0:0:0:0:0:0:1"])("%s is loopback", (host) => expect(isLoopback(host)).toBe(true));
  it.each(["pg.example.internal", "localhost.example.com", "10.0.0.5", "128.0.0.1", "::2", "::ffff:7f00:1", "1::1", "0.0.0.0"])("%s is not", (host) =>
    expect(isLoopback(host)).toBe(false));
});

describe("the TLS the proof connects with", () => {
  const stackMode = fc.constantFrom(...TLS_MODES);
  const askedMode = fc.option(fc.constantFrom(...URL_SSLMODES), { nil: undefined });
  const strength = (mode: string) => (URL_SSLMODES as readonly string[]).indexOf(mode);

  it("to a host that is not loopback: never without TLS, never weaker than the stack's postgresql:sslmode, whatever the URL asks", () => {
    fc.assert(fc.property(stackMode, askedMode, fc.domain(), (stack, asked, host) => {
      let mode: string | undefined;
      try {
        mode = connectionSslmode(stack, asked, host, false);
      } catch (error) {
        // Refused only when the URL asked for less than the stack: never silently raised or lowered.
        expect(error).toBeInstanceOf(SpecError);
        expect(asked !== undefined && strength(asked) < strength(stack)).toBe(true);
        return;
      }
      expect(pgSsl(mode as "require", {})).not.toBe(false);
      expect(strength(mode)).toBeGreaterThanOrEqual(strength(stack));
      expect(mode).toBe(asked ?? stack);
    }));
  });

  it("to a loopback host: what the URL asks, and no TLS when it asks nothing", () => {
    expect(connectionSslmode("verify-full", undefined, "127.0.0.1", true)).toBe("disable");
    expect(connectionSslmode("verify-full", "require", "localhost", true)).toBe("require");
  });

  it("refuses sslmode=disable to a remote host, naming --server-url and the stack's mode", () => {
    expect(() => connectionSslmode("require", "disable", "pg.example.internal", false)).toThrowError(
      "--server-url asks for sslmode=disable, but pg.example.internal is not a loopback address: TLS is required (the stack's postgresql:sslmode is require)");
  });

  it("maps each mode as libpq does: require encrypts unverified, verify-ca checks the chain only, verify-full the chain and the host name", () => {
    expect(pgSsl("disable", {})).toBe(false);
    expect(pgSsl("require", {})).toEqual({ rejectUnauthorized: false });
    const ca = pgSsl("verify-ca", {});
    expect(ca).toMatchObject({ rejectUnauthorized: true });
    // A certificate for another host name passes verify-ca's identity check, not verify-full's.
    const otherHost = { subject: { CN: "other.example" }, subjectaltname: "DNS:other.example" } as never;
    expect(ca !== false && ca.checkServerIdentity?.("pg.example.internal", otherHost)).toBeUndefined();
    // verify-full keeps Node's own identity check, which refuses that certificate.
    expect(pgSsl("verify-full", {})).toEqual({ rejectUnauthorized: true });
    expect(checkServerIdentity("pg.example.internal", otherHost)).toBeInstanceOf(Error);
  });

  it("trusts what the stack's migrations trust: the CAs of postgresql:sslrootcert, read on this machine", () => {
    const dir = mkdtempSync(join(tmpdir(), "tenantry-ca-"));
    try {
      const file = join(dir, "rds-bundle.pem");
      writeFileSync(file, "-----BEGIN CERTIFICATE-----\nstand-in\n-----END CERTIFICATE-----\n");
      expect(pgSsl("verify-full", { sslrootcert: file })).toMatchObject({ rejectUnauthorized: true, ca: readFileSync(file, "utf8") });
      expect(() => pgSsl("verify-full", { sslrootcert: join(dir, "missing.pem") })).toThrowError(/postgresql:sslrootcert .*missing\.pem cannot be read on this machine/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
