import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { keyFileProblem, pgSslOptions, planTls, type DeployMachine, type TlsPlan } from "../../components/migration-tls";
import type { ProviderTls, TlsMode } from "../../spec/provider-settings";

/*
 * The migration's TLS decision against lib/pq v1.12.3 (ssl.go), the driver of the Postgres
 * provider: each rule as a claim, then generated settings and machines. The real handshakes are
 * in test/integration/migration-tls.test.ts.
 */

const HOME = "/home/deploy/.postgresql";
/** A deploy machine holding `files`, with `env`, and a home unless told otherwise. */
const machine = (files: string[] = [], env: Record<string, string> = {}, home = true): DeployMachine =>
  ({ env, pgHome: home ? HOME : undefined, exists: (path) => files.includes(path) });
const tls = (sslmode: TlsMode, more: Partial<ProviderTls> = {}): ProviderTls => ({ sslmode, ...more });

describe("planTls, as lib/pq decides", () => {
  it("verifies nothing under require when no root certificate is anywhere", () => {
    expect(planTls(tls("require"), machine())).toEqual({ verify: "nothing", roots: "default roots" });
  });

  it("checks the chain under require once a root certificate file exists, wherever lib/pq finds it", () => {
    expect(planTls(tls("require"), machine(["/ca/env.pem"], { PGSSLROOTCERT: "/ca/env.pem" })))
      .toEqual({ verify: "chain", roots: { path: "/ca/env.pem", from: "PGSSLROOTCERT" } });
    expect(planTls(tls("require"), machine([`${HOME}/root.crt`])))
      .toEqual({ verify: "chain", roots: { path: `${HOME}/root.crt`, from: "~/.postgresql/root.crt" } });
  });

  it("drops a root certificate that does not exist under require, and then verifies nothing (lib/pq's silent fallback)", () => {
    expect(planTls(tls("require"), machine([], { PGSSLROOTCERT: "/ca/gone.pem" }))).toEqual({ verify: "nothing", roots: "default roots" });
  });

  it("keeps a missing root certificate under the verify modes, so reading it fails the connection", () => {
    for (const mode of ["verify-ca", "verify-full"] as const) {
      expect(planTls(tls(mode, { sslrootcert: "./gone.pem" }), machine()).roots).toEqual({ path: "./gone.pem", from: "postgresql:sslrootcert" });
    }
  });

  it("takes the stack's sslrootcert before PGSSLROOTCERT, and PGSSLROOTCERT before ~/.postgresql/root.crt", () => {
    const files = ["/ca/stack.pem", "/ca/env.pem", `${HOME}/root.crt`];
    expect(planTls(tls("verify-ca", { sslrootcert: "/ca/stack.pem" }), machine(files, { PGSSLROOTCERT: "/ca/env.pem" })).roots).toMatchObject({ path: "/ca/stack.pem" });
    expect(planTls(tls("verify-ca"), machine(files, { PGSSLROOTCERT: "/ca/env.pem" })).roots).toMatchObject({ path: "/ca/env.pem" });
    expect(planTls(tls("verify-ca"), machine(files, { PGSSLROOTCERT: "" })).roots).toMatchObject({ path: `${HOME}/root.crt` });
    expect(planTls(tls("verify-ca"), machine(files, {}, false)).roots).toBe("default roots");
  });

  it("uses the default roots for sslrootcert=system under verify-full, and refuses it under any other mode, from the stack or PGSSLROOTCERT", () => {
    expect(planTls(tls("verify-full", { sslrootcert: "system" }), machine())).toEqual({ verify: "chain and host name", roots: "default roots" });
    expect(() => planTls(tls("verify-ca", { sslrootcert: "system" }), machine())).toThrow("sslrootcert=system (postgresql:sslrootcert) may be used with sslmode verify-full only (got verify-ca)");
    expect(() => planTls(tls("require"), machine([], { PGSSLROOTCERT: "system" }))).toThrow("sslrootcert=system (PGSSLROOTCERT) may be used with sslmode verify-full only (got require)");
  });

  it("presents the stack's client certificate, else PGSSLCERT/PGSSLKEY, else ~/.postgresql's, and none whose certificate file is missing", () => {
    const stack = { cert: "./deploy.crt", key: "./deploy.key" };
    expect(planTls(tls("require", { clientcert: stack }), machine(["./deploy.crt"])).clientcert).toEqual({
      cert: { path: "./deploy.crt", from: "postgresql:clientcert.cert" }, key: { path: "./deploy.key", from: "postgresql:clientcert.key" },
    });
    expect(planTls(tls("require"), machine(["/c.crt"], { PGSSLCERT: "/c.crt", PGSSLKEY: "/c.key" })).clientcert).toMatchObject({ cert: { path: "/c.crt" }, key: { path: "/c.key" } });
    expect(planTls(tls("require"), machine([`${HOME}/postgresql.crt`])).clientcert).toMatchObject({ key: { path: `${HOME}/postgresql.key` } });
    expect(planTls(tls("require", { clientcert: stack }), machine()).clientcert).toBeUndefined();
  });

  it("refuses a client certificate without a key anywhere, as lib/pq cannot load the pair", () => {
    expect(() => planTls(tls("require"), machine(["/c.crt"], { PGSSLCERT: "/c.crt" }, false))).toThrow("the client certificate /c.crt (PGSSLCERT) has no key");
  });
});

describe("pgSslOptions", () => {
  const roots = { path: "/ca.pem", from: "postgresql:sslrootcert" };
  const optionsFor = (verify: TlsPlan["verify"]) => pgSslOptions({ verify, roots }, { ca: "CA PEM" });

  it("verifies nothing for require without roots: no chain check, no name check", () => {
    expect(pgSslOptions({ verify: "nothing", roots: "default roots" }, {})).toEqual({ rejectUnauthorized: false });
  });

  it("checks the chain against the given roots and skips only the name check for verify-ca (and require with roots)", () => {
    const options = optionsFor("chain");
    expect(options).toMatchObject({ rejectUnauthorized: true, ca: "CA PEM", allowPartialTrustChain: true });
    expect((options["checkServerIdentity"] as () => unknown)()).toBeUndefined();
  });

  it("keeps Node's own name check for verify-full", () => {
    expect(optionsFor("chain and host name")).toEqual({ rejectUnauthorized: true, ca: "CA PEM", allowPartialTrustChain: true });
  });

  it("passes the client certificate and key whatever is verified", () => {
    for (const verify of ["nothing", "chain", "chain and host name"] as const) {
      expect(pgSslOptions({ verify, roots }, { cert: "C", key: "K" })).toMatchObject({ cert: "C", key: "K" });
    }
  });
});

describe("generated settings and machines", () => {
  const path = fc.constantFrom("/ca/a.pem", "./b.pem", `${HOME}/root.crt`, "/ca/missing.pem");
  const settings = fc.record({
    sslmode: fc.constantFrom<TlsMode>("require", "verify-ca", "verify-full"),
    sslrootcert: fc.option(fc.oneof(path, fc.constant("system")), { nil: undefined }),
  });
  const deploy = fc.record({
    env: fc.record({ PGSSLROOTCERT: fc.option(path, { nil: undefined }) }),
    files: fc.subarray(["/ca/a.pem", "./b.pem", `${HOME}/root.crt`]),
    hasHome: fc.boolean(),
  }).map(({ env, files, hasHome }) => machine(files, Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string>, hasHome));

  /** The plan, or undefined where lib/pq refuses the configuration itself. */
  const planOrRefusal = (s: ProviderTls, m: DeployMachine) => {
    try {
      return planTls(s, m);
    } catch {
      return undefined;
    }
  };

  it("check the host name exactly under verify-full, and the chain under every verify mode", () => {
    fc.assert(fc.property(settings, deploy, (s, m) => {
      const plan = planOrRefusal(s, m);
      if (plan === undefined) return;
      expect(plan.verify === "chain and host name").toBe(s.sslmode === "verify-full");
      if (s.sslmode !== "require") expect(plan.verify).not.toBe("nothing");
    }), { numRuns: 500 });
  });

  it("verify nothing under require exactly when no root certificate file exists where lib/pq looks", () => {
    fc.assert(fc.property(settings.filter((s) => s.sslmode === "require" && s.sslrootcert !== "system"), deploy, (s, m) => {
      const candidate = s.sslrootcert ?? m.env["PGSSLROOTCERT"] ?? (m.pgHome === undefined ? undefined : `${m.pgHome}/root.crt`);
      const rootExists = candidate !== undefined && candidate !== "system" && m.exists(candidate);
      const plan = planOrRefusal(s, m);
      if (plan === undefined) return expect(candidate).toBe("system");
      expect(plan.verify).toBe(rootExists ? "chain" : "nothing");
    }), { numRuns: 500 });
  });

  it("never map a verifying plan to options that skip the chain", () => {
    fc.assert(fc.property(settings, deploy, (s, m) => {
      const plan = planOrRefusal(s, m);
      if (plan === undefined) return;
      const options = pgSslOptions(plan, { ca: "CA" });
      expect(options["rejectUnauthorized"]).toBe(plan.verify !== "nothing");
      expect("checkServerIdentity" in options).toBe(plan.verify === "chain");
    }), { numRuns: 500 });
  });
});

describe("keyFileProblem, lib/pq's rule for client keys", () => {
  const key = { path: "./deploy.key", from: "postgresql:clientcert.key" };

  it("accepts 0600 or less from any owner, and 0640 or less owned by root", () => {
    fc.assert(fc.property(fc.nat({ max: 0o600 }).map((m) => m & 0o600), fc.nat({ max: 65535 }), (mode, uid) => {
      expect(keyFileProblem(key, 0o100000 | mode, uid)).toBeUndefined();
    }));
    expect(keyFileProblem(key, 0o100640, 0)).toBeUndefined();
  });

  it("refuses any key others can reach, whoever owns it, and group access unless root owns it", () => {
    fc.assert(fc.property(fc.nat({ max: 0o777 }), fc.nat({ max: 65535 }), (mode, uid) => {
      fc.pre((mode & 0o007) !== 0 || ((mode & 0o070) !== 0 && uid !== 0) || (mode & 0o130) !== 0);
      expect(keyFileProblem(key, 0o100000 | mode, uid)).toMatch(/^the client key \.\/deploy\.key \(postgresql:clientcert\.key\) has mode 0\d{3}: lib\/pq/);
    }), { numRuns: 300 });
  });
});
