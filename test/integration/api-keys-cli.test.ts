import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { openLocalKeyStore } from "../../local/api-key-store";
import { parseApiKey } from "../../workers/lib/api-key-format";
import { keyHashOf } from "../../workers/lib/api-key-store-sql";
import { fileCount, filesHolding } from "../helpers/canary";
import { CliProject, CLI_TEST_TIMEOUT_MS } from "../helpers/cli-project";
import { keyedOrgInput } from "../helpers/keyed-org";

/* `tenantry keys`, run as a user runs it: the key is printed once, and only its hash is kept anywhere. */

describe("tenantry keys, locally", () => {
  const project = new CliProject([keyedOrgInput()]);
  afterAll(() => rmSync(project.dir, { recursive: true, force: true }));

  it("mints a key of the slot's kind and org, printing only the key on stdout, and keeps no copy of it anywhere", () => {
    const minted = project.run("keys", "mint", "org-acme", "finance-sync");
    expect(minted.code).toBe(0);
    expect(minted.stdout).toMatch(/^tnsk_acme_[0-9A-Za-z]{36}\n$/);
    const key = minted.stdout.trim();
    expect(parseApiKey(key)).toEqual({ kind: "secret", org: "acme" });
    expect(minted.stderr).toMatch(/^minted key_[0-9a-f]{16} for slot finance-sync: shown once, only its SHA-256 is stored\n$/);

    const publishable = project.run("keys", "mint", "org-acme", "storefront-browser");
    expect(parseApiKey(publishable.stdout.trim())).toEqual({ kind: "publishable", org: "acme" });

    const listed = [project.run("keys", "list", "org-acme"), project.run("keys", "list", "org-acme", "--json")];
    for (const out of listed) {
      expect(out.code).toBe(0);
      expect(out.out).toContain("finance-sync");
      expect(out.out).not.toContain(key);
    }
    // The canary: the key is in no file of the project (stack files, local state, the store's SQLite pages).
    expect(fileCount(project.dir)).toBeGreaterThan(1);
    expect(filesHolding(project.dir, [key])).toEqual([]);
  }, CLI_TEST_TIMEOUT_MS);

  it("lists neither a key nor its hash", async () => {
    const key = project.run("keys", "mint", "org-acme", "finance-sync").stdout.trim();
    const hash = await keyHashOf(key);
    const json = project.run("keys", "list", "org-acme", "--json");
    const rows = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(Object.keys(rows[0] ?? {}).sort()).toEqual(["app", "createdAt", "environment", "id", "kind", "revokedAt", "slot"]);
    expect(json.stdout).not.toContain(hash);
    // Control: the hash is in the store, so the list leaving it out is a choice, not an accident.
    expect(filesHolding(project.paths.apiKeysDir, [hash]).length).toBeGreaterThan(0);
  }, CLI_TEST_TIMEOUT_MS);

  it("refuses a slot the org does not declare (exit 2), printing nothing on stdout", () => {
    const refused = project.run("keys", "mint", "org-acme", "admin-everything");
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toBe("error: org acme has no API key slot \"admin-everything\" (apiKeys: storefront-browser, finance-sync)\n");
  }, CLI_TEST_TIMEOUT_MS);

  it("revokes every live key of a slot, shows when, and says so when nothing is left to revoke", () => {
    const revoked = project.run("keys", "revoke", "org-acme", "finance-sync");
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(/^revoked key_[0-9a-f]{16}, key_[0-9a-f]{16}: the router refuses them from the next request\n$/);
    const rows = JSON.parse(project.run("keys", "list", "org-acme", "--json").stdout) as { slot: string; revokedAt: string | null }[];
    expect(rows.filter((r) => r.slot === "finance-sync").every((r) => r.revokedAt !== null)).toBe(true);
    expect(rows.filter((r) => r.slot === "storefront-browser").map((r) => r.revokedAt)).toEqual([null]);
    const again = project.run("keys", "revoke", "org-acme", "finance-sync");
    expect(again.code).toBe(2);
    expect(again.stderr).toBe("error: no live key of org acme has id or slot \"finance-sync\" (see tenantry keys list org-acme)\n");
  }, CLI_TEST_TIMEOUT_MS);
});

describe("the key store itself", () => {
  it("refuses, by its CHECKs, a row whose hash is a key rather than a SHA-256, or of an unknown kind", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tenantry-keys-store-"));
    const local = await openLocalKeyStore(dir);
    try {
      const insert = (hash: string, kind: string) => local.store.run({ sql: "INSERT INTO api_keys (id, key_hash, slot, app, environment, kind, created_at) VALUES (?1, ?2, 's', 'a', 'prod', ?3, 1)",
        params: [`key_${"0".repeat(15)}${kind.length % 10}`, hash, kind] });
      await expect(insert("tnsk_acme_0123456789abcdefghijABCDEFGHIJ0a1B2c", "secret")).rejects.toThrow(/CHECK constraint failed/);
      await expect(insert("A".repeat(64), "secret")).rejects.toThrow(/CHECK constraint failed/);
      await expect(insert("a".repeat(64), "admin")).rejects.toThrow(/CHECK constraint failed/);
      // Control: a lower-case hex SHA-256 of a known kind goes in.
      await expect(insert("a".repeat(64), "secret")).resolves.toBeDefined();
    } finally {
      await local.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
