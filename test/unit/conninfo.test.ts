import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { conninfo } from "../../cli/offboard-plan";
import type { ProviderSettings } from "../../spec/provider-settings";

/* The connection `tenantry offboard` prints for psql and pg_dump carries the stack's TLS files. */

const PROVIDER: ProviderSettings = { adminRole: "tenantry", host: "pg.tenants.internal", port: 5432, database: "postgres", sslmode: "require", maxConnections: 2 };

/** libpq's conninfo parser (fe-connect.c conninfo_parse), restated: keyword=value, values quoted with '...' and \\-escapes. */
function parseConninfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const pattern = /(\w+)=(?:'((?:[^'\\]|\\.)*)'|(\S+))\s*/gy;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    out[match[1]!] = match[2] === undefined ? match[3]! : match[2].replace(/\\(.)/g, "$1");
  }
  return out;
}

describe("the offboarding steps' conninfo", () => {
  it("names the root and client certificate files the stack sets, as libpq keywords", () => {
    expect(conninfo({ ...PROVIDER, sslmode: "verify-full", sslrootcert: "./rds-global-bundle.pem", clientcert: { cert: "./d.crt", key: "./d.key" } }, "tn_acme"))
      .toBe("host=pg.tenants.internal port=5432 dbname=tn_acme user=tenantry sslmode=verify-full sslrootcert=./rds-global-bundle.pem sslcert=./d.crt sslkey=./d.key");
    expect(conninfo(PROVIDER, "tn_acme")).toBe("host=pg.tenants.internal port=5432 dbname=tn_acme user=tenantry sslmode=require");
  });

  it("quotes a path so libpq reads it back unchanged, whatever spaces, quotes or backslashes it holds", () => {
    const path = fc.string({ unit: fc.constantFrom("a", "/", " ", "'", "\\\\", ".", "é"), minLength: 1, maxLength: 30 });
    fc.assert(fc.property(path, (sslrootcert) => {
      expect(parseConninfo(conninfo({ ...PROVIDER, sslmode: "verify-full", sslrootcert }, "tn_acme"))["sslrootcert"]).toBe(sslrootcert);
    }), { numRuns: 300 });
  });
});
