import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLocalJWKSet, jwtVerify } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import { ephemeralSigningKey, LOCAL_ISSUER, persistedSigningKey, signToken } from "../../local/identity-key";
import { localPaths } from "../../local/paths";
import { resetLocal } from "../../local/reset";

/*
 * The local identity provider's kept key: `tenantry dev` trusts it and `tenantry token` signs
 * with it, in two processes, so both must read one key; it is a private file of the local state,
 * gone with `down --local --reset`.
 */

const scratch = mkdtempSync(join(tmpdir(), "tenantry-identity-key-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let dirs = 0;
const freshPaths = () => localPaths(join(scratch, String((dirs += 1))));
const settings = { issuer: LOCAL_ISSUER, audience: "tenantry-apps", expiresIn: 300 };

describe("the local identity provider's key", () => {
  it("is made on first use as a file only its owner can read, in a folder only its owner can list", async () => {
    const { identityKeyFile, root } = freshPaths();
    await persistedSigningKey(identityKeyFile);
    expect(statSync(identityKeyFile).mode & 0o777).toBe(0o600);
    expect(statSync(root).mode & 0o077).toBe(0);
  });

  it("is the same key for a second process: what one signs, the other's public key verifies", async () => {
    const { identityKeyFile } = freshPaths();
    const dev = await persistedSigningKey(identityKeyFile);
    const token = await persistedSigningKey(identityKeyFile);
    const signed = await signToken(token, { sub: "a@acme.com" }, settings);
    const { payload } = await jwtVerify(signed, createLocalJWKSet({ keys: [dev.publicJwk] }), { issuer: LOCAL_ISSUER, audience: "tenantry-apps" });
    expect(payload.sub).toBe("a@acme.com");
  });

  it("keeps a key another process made first, rather than replacing it", async () => {
    const { identityKeyFile } = freshPaths();
    const first = await persistedSigningKey(identityKeyFile);
    const before = readFileSync(identityKeyFile, "utf8");
    await persistedSigningKey(identityKeyFile);
    expect(readFileSync(identityKeyFile, "utf8")).toBe(before);
    // The control: a key of its own would not verify what the kept one signs.
    const other = await ephemeralSigningKey();
    const signed = await signToken(first, { sub: "a@acme.com" }, settings);
    await expect(jwtVerify(signed, createLocalJWKSet({ keys: [other.publicJwk] }))).rejects.toThrow();
  });

  it("gives the router the public half only", async () => {
    const { publicJwk } = await persistedSigningKey(freshPaths().identityKeyFile);
    expect(publicJwk).not.toHaveProperty("d");
    expect(publicJwk).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
  });

  it("refuses a file that holds no private EC key, naming the file and the way out", async () => {
    const { identityKeyFile, root } = freshPaths();
    mkdirSync(root, { recursive: true });
    const publicOnly = (await ephemeralSigningKey()).publicJwk;
    for (const content of [JSON.stringify(publicOnly), JSON.stringify({ kty: "oct", k: "c2VjcmV0" })]) {
      writeFileSync(identityKeyFile, content);
      await expect(persistedSigningKey(identityKeyFile)).rejects.toThrow(`${identityKeyFile} is not a tenantry identity key; delete it (or run npx tenantry down --local --reset) and run npx tenantry dev again`);
    }
  });

  it("is deleted by down --local --reset", async () => {
    const paths = freshPaths();
    await persistedSigningKey(paths.identityKeyFile);
    await resetLocal(paths);
    expect(existsSync(paths.identityKeyFile)).toBe(false);
  });
});
