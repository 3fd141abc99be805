import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SQL_MIGRATION_KIND } from "../../components/sql-migration";
import { orgProviderName, providerType } from "../../components/provider-plan";
import { runProgram } from "../../harness/run-program";
import { runPolicies } from "../../harness/run-policies";
import { stackConfigFor, validOrgInput } from "../helpers/spec-builder";
import { urnsRefusedBy, withInputs } from "../helpers/verdicts";

/*
 * Finding 5 of issue 14: the stack's TLS trust settings reach the provider and, the same,
 * every migration's connection, and the pack accepts exactly that.
 */

const TLS_CONFIG = {
  "postgresql:sslmode": "verify-full",
  "postgresql:sslrootcert": "./rds-global-bundle.pem",
  "postgresql:clientcert": JSON.stringify({ cert: "./deploy.crt", key: "./deploy.key" }),
};

let once: ReturnType<typeof runProgram> | undefined;
const runWithTls = () => (once ??= runProgram(stackConfigFor(validOrgInput(), TLS_CONFIG)));

describe("postgresql:sslrootcert and postgresql:clientcert", () => {
  it("reach the org's Postgres provider and every migration's connection alike", async () => {
    const { resources } = await runWithTls();
    const provider = resources.find((r) => r.type === providerType("postgresql") && r.name === orgProviderName("org-acme", "postgresql"))!;
    expect(provider.inputs).toMatchObject({ sslmode: "verify-full", sslrootcert: "./rds-global-bundle.pem" });
    expect(JSON.parse(String(provider.inputs["clientcert"]))).toEqual({ cert: "./deploy.crt", key: "./deploy.key" });
    const migrations = resources.filter((r) => r.inputs["kind"] === SQL_MIGRATION_KIND);
    expect(migrations).toHaveLength(4);
    for (const migration of migrations) {
      expect(migration.inputs["connection"]).toMatchObject({
        sslmode: "verify-full", sslrootcert: "./rds-global-bundle.pem", clientcert: { cert: "./deploy.crt", key: "./deploy.key" },
      });
    }
  });

  it("leave the pack with nothing to refuse", async () => {
    const { resources } = await runWithTls();
    const mandatory = (await runPolicies(resources)).filter((v) => v.enforcementLevel === "mandatory");
    expect(mandatory.map((v) => `${v.policy}: ${v.message}`)).toEqual([]);
  });
});

describe("the pack, judging TLS settings against the stack's", () => {
  /** Other trust than the stack's: another CA file, none, the default roots, another or no client certificate, an inline one. */
  const otherTrust = fc.oneof(
    fc.constantFrom("./other-bundle.pem", "system", "/etc/ssl/certs/ca-certificates.crt", undefined).map((sslrootcert) => ({ sslrootcert })),
    fc.constantFrom(undefined, { cert: "./deploy.crt", key: "./other.key" }, { cert: "./other.crt", key: "./deploy.key" },
      { cert: "./deploy.crt", key: "./deploy.key", sslinline: true }).map((clientcert) => ({ clientcert })),
  );

  it("refuses a migration that trusts other roots or presents another client certificate than the stack's", async () => {
    const { resources } = await runWithTls();
    const migrations = resources.filter((r) => r.inputs["kind"] === SQL_MIGRATION_KIND);
    await fc.assert(fc.asyncProperty(fc.nat({ max: migrations.length - 1 }), otherTrust, async (i, patch) => {
      const migration = migrations[i]!;
      const changed = withInputs(migration, { connection: { ...(migration.inputs["connection"] as object), ...patch } });
      expect(await urnsRefusedBy("postgres-migrations-match-platform-sql", resources, changed)).toEqual([changed.urn]);
    }), { numRuns: 40 });
  });

  it("refuses every resource on an org provider that trusts other roots or presents another client certificate", async () => {
    const { resources } = await runWithTls();
    const provider = resources.find((r) => r.type === providerType("postgresql") && r.name === orgProviderName("org-acme", "postgresql"))!;
    const postgresResources = resources.filter((r) => r.type.startsWith("postgresql:")).map((r) => r.urn).sort();
    await fc.assert(fc.asyncProperty(otherTrust, async (patch) => {
      // The SDK sends the client certificate block as JSON text.
      const inputs = "clientcert" in patch ? { clientcert: patch.clientcert === undefined ? undefined : JSON.stringify(patch.clientcert) } : patch;
      const refused = await urnsRefusedBy("postgres-org-provider", resources, withInputs(provider, inputs));
      expect(refused.sort()).toEqual(postgresResources);
    }), { numRuns: 8 });
  });
});
