import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SpecError } from "../../spec/spec-errors";
import { tenantStackFromConfig } from "../../spec/stack-config";
import { stackConfigFor, validOrgInput } from "../helpers/spec-builder";

/*
 * postgresql:sslrootcert and postgresql:clientcert at the edge, as a stack-file author writes
 * them: every refusal names the field, and what is accepted reaches the settings unchanged.
 */

function outcome(extra: Record<string, string>): { settings?: object; messages: string[] } {
  try {
    return { settings: tenantStackFromConfig(stackConfigFor(validOrgInput(), extra)).provider, messages: [] };
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    return { messages: error.problems.map((p) => p.message) };
  }
}

describe("postgresql:sslrootcert", () => {
  it("is accepted as a file path with verify-ca or verify-full, and system with verify-full", () => {
    expect(outcome({ "postgresql:sslmode": "verify-full", "postgresql:sslrootcert": "./rds-global-bundle.pem" }).settings)
      .toMatchObject({ sslmode: "verify-full", sslrootcert: "./rds-global-bundle.pem" });
    expect(outcome({ "postgresql:sslmode": "verify-ca", "postgresql:sslrootcert": "/etc/ssl/rds.pem" }).settings).toMatchObject({ sslrootcert: "/etc/ssl/rds.pem" });
    expect(outcome({ "postgresql:sslmode": "verify-full", "postgresql:sslrootcert": "system" }).settings).toMatchObject({ sslrootcert: "system" });
  });

  it("is refused with require, where lib/pq would skip the check silently when the file is missing", () => {
    expect(outcome({ "postgresql:sslmode": "require", "postgresql:sslrootcert": "./rds-global-bundle.pem" }).messages).toEqual([
      "postgresql:sslrootcert needs postgresql:sslmode verify-full (or verify-ca): with require, the provider's driver (lib/pq) checks the certificate only if this file exists on the machine that runs pulumi up, and silently skips the check when it does not",
    ]);
  });

  it("is refused as system without verify-full", () => {
    expect(outcome({ "postgresql:sslmode": "verify-ca", "postgresql:sslrootcert": "system" }).messages).toEqual([
      "postgresql:sslrootcert system needs postgresql:sslmode verify-full (got verify-ca): lib/pq, the provider's driver, refuses it with any other mode",
    ]);
  });

  it("is refused, naming the field, when empty, too long or holding a control character, whatever else it holds", () => {
    const bad = fc.oneof(
      fc.constant(""),
      fc.string({ minLength: 1025, maxLength: 1100 }),
      fc.tuple(fc.string(), fc.integer({ min: 0, max: 0x1f }), fc.string()).map(([a, c, b]) => `${a}${String.fromCharCode(c)}${b}`),
    );
    fc.assert(fc.property(bad, (value) => {
      expect(outcome({ "postgresql:sslmode": "verify-full", "postgresql:sslrootcert": value }).messages).toEqual([
        "postgresql:sslrootcert must be the path of a PEM file of CA certificates on the machine that runs pulumi up (relative to the project directory), or system",
      ]);
    }), { numRuns: 200 });
  });
});

describe("postgresql:clientcert", () => {
  const clientcert = (value: unknown) => outcome({ "postgresql:clientcert": JSON.stringify(value) });

  it("is accepted as the paths of a certificate and its key, with sslinline absent or false", () => {
    expect(clientcert({ cert: "./deploy.crt", key: "./deploy.key" }).settings).toMatchObject({ clientcert: { cert: "./deploy.crt", key: "./deploy.key" } });
    expect(clientcert({ cert: "./deploy.crt", key: "./deploy.key", sslinline: false }).settings).toMatchObject({ clientcert: { cert: "./deploy.crt", key: "./deploy.key" } });
  });

  it("is refused inline: the private key would be stack config", () => {
    expect(clientcert({ cert: "-----BEGIN CERTIFICATE-----", key: "-----BEGIN PRIVATE KEY-----", sslinline: true }).messages).toEqual([
      "postgresql:clientcert.sslinline must be false: inline, the private key would sit in the stack's config, and lib/pq would read postgresql:sslrootcert as PEM text too; keep the certificate and key in files on the machine that runs pulumi up",
    ]);
  });

  it("is refused without a certificate or key path, or with a key the provider does not take, naming each field", () => {
    expect(clientcert({ cert: "./deploy.crt", password: "x" }).messages).toEqual([
      "postgresql:clientcert.password is not a setting of the provider's client certificate: it takes cert, key and sslinline",
      "postgresql:clientcert.key must be the path of a PEM file on the machine that runs pulumi up (relative to the project directory)",
    ]);
    expect(outcome({ "postgresql:clientcert": "./deploy.crt" }).messages).toEqual([
      "postgresql:clientcert must be an object { cert, key }: the paths of the client certificate and its key (PEM) on the machine that runs pulumi up",
    ]);
  });
});
