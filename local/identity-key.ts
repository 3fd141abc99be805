import { closeSync, fstatSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK, type JWTPayload } from "jose";
import { SpecError } from "../spec/spec-errors";

/*
 * The signing key of the local identity provider: the one key the edge in workerd trusts, and
 * the one tokens are signed with. The proof makes a new one per run; `tenantry dev` and
 * `tenantry token` run as separate processes, so they share one kept in the local state folder
 * (a private file, git-ignored with the folder, deleted by `down --local --reset`).
 */

/** The local identity provider's issuer; the audience is the org's own (`tenantry:org.edge.identity.audience`). */
export const LOCAL_ISSUER = "https://id.tenantry.local/";

/** The key id the router's key set names; one key per provider, so a constant serves. */
const KEY_ID = "local-1";
const ALGORITHM = "ES256";

export interface SigningKey {
  readonly privateKey: CryptoKey;
  /** What the router's key set holds: the public half only. */
  readonly publicJwk: JWK;
}

async function fromPrivateJwk(jwk: JWK): Promise<SigningKey> {
  const { d: _private, ...publicHalf } = jwk;
  const privateKey = await importJWK(jwk, ALGORITHM);
  if (privateKey instanceof Uint8Array || privateKey.type !== "private") throw new Error("not a private key");
  return { privateKey, publicJwk: { ...publicHalf, kid: KEY_ID, alg: ALGORITHM, use: "sig" } };
}

async function newPrivateJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair(ALGORITHM, { extractable: true });
  return exportJWK(privateKey);
}

/** A key that lives only as long as this process: the proof's. */
export async function ephemeralSigningKey(): Promise<SigningKey> {
  return fromPrivateJwk(await newPrivateJwk());
}

/**
 * The key kept in `file`, made on first use. Creation is atomic and happens once: the new key is
 * written whole to a file of this process, then hard-linked to the name, which fails when another
 * process got there first; then that one's key is used, so `dev` and `token` never disagree.
 */
export async function persistedSigningKey(file: string): Promise<SigningKey> {
  const existing = readKeyFile(file);
  if (existing !== undefined) return fromFile(file, existing);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const candidate = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(candidate, `${JSON.stringify(await newPrivateJwk())}\n`, { mode: 0o600 });
    linkSync(candidate, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    rmSync(candidate, { force: true });
  }
  const kept = readKeyFile(file);
  if (kept === undefined) throw new Error(`${file} vanished as it was made (a reset ran at the same time?); run this again`);
  return fromFile(file, kept);
}

/** How to get a new key, for every refusal of the kept one. */
const REMAKE = "delete it (or run npx tenantry down --local --reset) and start npx tenantry dev again, which makes a new one";

function keyFileProblem(file: string, message: string): SpecError {
  return new SpecError([{ field: file, message }]);
}

/**
 * The kept key's file as text, or undefined when there is none. A file other users could read
 * (or change) is refused, not repaired: whoever read it may have kept a copy and can mint tokens
 * the edge trusts, and a chmod cannot take that copy back; only a new key can. The mode is read
 * from the open file, so it is the mode of what is read.
 */
function readKeyFile(file: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const mode = fstatSync(fd).mode & 0o777;
    if (process.platform !== "win32" && (mode & 0o077) !== 0) {
      throw keyFileProblem(file, `${file} is open to other users (mode 0${mode.toString(8)}, not 0600): any of them may have copied the key and could mint tokens the local edge trusts; ${REMAKE}`);
    }
    return readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
}

async function fromFile(file: string, text: string): Promise<SigningKey> {
  try {
    const jwk = JSON.parse(text) as JWK;
    if (jwk.kty !== "EC" || jwk.crv !== "P-256" || typeof jwk.d !== "string") throw new Error("not an EC P-256 private key");
    return await fromPrivateJwk(jwk);
  } catch {
    throw keyFileProblem(file, `${file} is not a tenantry identity key; ${REMAKE}`);
  }
}

export interface TokenSettings {
  readonly issuer: string;
  readonly audience: string;
  /** A jose time span (`5m`, `-1m`) or seconds from now. */
  readonly expiresIn: string | number;
}

/** A signed token: the claims as given, with issuer, audience, issued-at and expiry set here. */
export async function signToken(key: Pick<SigningKey, "privateKey">, claims: JWTPayload, { issuer, audience, expiresIn }: TokenSettings): Promise<string> {
  const expiry = typeof expiresIn === "number" ? Math.floor(Date.now() / 1000) + expiresIn : expiresIn;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: ALGORITHM, kid: KEY_ID })
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(expiry)
    .sign(key.privateKey);
}
