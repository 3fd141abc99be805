import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync, existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
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

  it("is one key for processes that all make it at once: each uses the key that won the race", async () => {
    // The control, run alongside: the same race where each keeps what it made (write, then rename over) disagrees.
    const [raced, naive] = await Promise.all([raceForKey(freshPaths().identityKeyFile, "kept"), raceForKey(freshPaths().identityKeyFile, "naive")]);
    // Not a sequence: at least two found no key and made one of their own.
    expect(raced.filter((r) => r.foundNone).length).toBeGreaterThanOrEqual(2);
    expect(new Set(raced.map((r) => r.thumbprint)).size).toBe(1);
    expect(new Set(naive.map((r) => r.thumbprint)).size).toBeGreaterThan(1);
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
    for (const content of [JSON.stringify(publicOnly), JSON.stringify({ kty: "oct", k: "c2VjcmV0" }), "{not json"]) {
      writeFileSync(identityKeyFile, content, { mode: 0o600 });
      await expect(persistedSigningKey(identityKeyFile)).rejects.toThrow(`${identityKeyFile} is not a tenantry identity key; delete it (or run npx tenantry down --local --reset) and start npx tenantry dev again, which makes a new one`);
    }
  });

  it("is refused, not repaired, when other users may read or change its file: any of them may hold a copy", async () => {
    const { identityKeyFile } = freshPaths();
    await persistedSigningKey(identityKeyFile);
    fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 0o77 }), async (others) => {
      chmodSync(identityKeyFile, 0o600 | others);
      const read = persistedSigningKey(identityKeyFile);
      // The control is the generated 0600 itself (no bits for others): that key is taken.
      if (others === 0) return void (await expect(read).resolves.toHaveProperty("privateKey"));
      await expect(read).rejects.toThrow(`${identityKeyFile} is open to other users (mode 0${(0o600 | others).toString(8)}, not 0600): any of them may have copied the key and could mint tokens the local edge trusts; delete it (or run npx tenantry down --local --reset) and start npx tenantry dev again, which makes a new one`);
      expect(statSync(identityKeyFile).mode & 0o777).toBe(0o600 | others);
    }), { numRuns: 40, examples: [[0], [0o44], [0o04], [0o20]] });
  });

  it("is deleted by down --local --reset", async () => {
    const paths = freshPaths();
    await persistedSigningKey(paths.identityKeyFile);
    await resetLocal(paths);
    expect(existsSync(paths.identityKeyFile)).toBe(false);
  });
});

/** Where the children load the key module from: the build, as the CLI runs it. */
const REPO_DIR = join(__dirname, "..", "..");
const RACERS = 6;

/*
 * Each child loads what it needs, then waits for a common start so that all of them look for the
 * key within the same few milliseconds; it prints whether it found none and the key's thumbprint.
 * "naive" keeps what it made (write, then rename over the name): what the link guards against.
 */
const RACER = `
const [file, startAt, how] = process.argv.slice(1);
const { existsSync, renameSync, writeFileSync } = require("node:fs");
const jose = require("jose");
const { persistedSigningKey } = require("./dist/local/identity-key.js");
async function naive() {
  const { privateKey, publicKey } = await jose.generateKeyPair("ES256", { extractable: true });
  writeFileSync(file + "." + process.pid, JSON.stringify(await jose.exportJWK(privateKey)), { mode: 0o600 });
  renameSync(file + "." + process.pid, file);
  return { publicJwk: await jose.exportJWK(publicKey) };
}
setTimeout(async () => {
  const foundNone = !existsSync(file);
  const key = how === "naive" ? await naive() : await persistedSigningKey(file);
  process.stdout.write(JSON.stringify({ foundNone, thumbprint: await jose.calculateJwkThumbprint(key.publicJwk) }));
}, Number(startAt) - Date.now());
`;

async function raceForKey(file: string, how: "kept" | "naive"): Promise<{ foundNone: boolean; thumbprint: string }[]> {
  mkdirSync(join(file, ".."), { recursive: true, mode: 0o700 });
  const startAt = String(Date.now() + 2_000);
  return Promise.all(Array.from({ length: RACERS }, () => new Promise<{ foundNone: boolean; thumbprint: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", RACER, file, startAt, how], { cwd: REPO_DIR, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
    child.once("error", reject);
    child.once("close", (code) => (code === 0 ? resolve(JSON.parse(out) as { foundNone: boolean; thumbprint: string }) : reject(new Error(`racer exited ${code}`))));
  })));
}
