import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { apiKeysMigrationSql, insertKeyStatement, INSERT_KEY_SQL, keyHashOf, LIST_KEYS_SQL, listKeysStatement, revokeKeyStatement } from "../../workers/lib/api-key-store-sql";
import { createHash } from "node:crypto";

/* The key store's statements: one text for the local path and the D1 route, and nothing in them that could hold a key. */

describe("the API key store's SQL", () => {
  it("is the migration file the router's D1 is created from", () => {
    const file = readFileSync(join(__dirname, "..", "..", "workers", "dispatch", "migrations", "0001_api_keys.sql"), "utf8");
    expect(file).toBe(apiKeysMigrationSql());
  });

  it("lists keys without their hashes", () => {
    expect(LIST_KEYS_SQL).not.toMatch(/key_hash/);
    expect(listKeysStatement().params).toEqual([]);
  });

  it("binds every value as a text parameter, never into the SQL text", () => {
    const statement = insertKeyStatement({ id: "key_0123456789abcdef", keyHash: "a".repeat(64), slot: "s'; DROP TABLE api_keys; --", app: "storefront", environment: "prod", kind: "secret", createdAt: 1.7e12 + 0.5 });
    expect(statement.sql).toBe(INSERT_KEY_SQL);
    expect(statement.params).toEqual(["key_0123456789abcdef", "a".repeat(64), "s'; DROP TABLE api_keys; --", "storefront", "prod", "secret", "1700000000000"]);
    expect(revokeKeyStatement("finance-sync", 5).params).toEqual(["finance-sync", "5"]);
  });

  it("hashes a key with SHA-256 as Node does, in lower-case hex", async () => {
    const key = "tnsk_acme_0123456789abcdefghijABCDEFGHIJ0a1B2c";
    expect(await keyHashOf(key)).toBe(createHash("sha256").update(key).digest("hex"));
  });
});
