import { join } from "node:path";
import { bundleWith, editSource } from "./gateway-variants";

/*
 * The org router with one API key guard taken out, for the controls of the key tests: the real
 * source, bundled like the real one, with one line edited (the edit must match exactly once, so
 * a control cannot go stale silently). Each variant is what a regression would leave behind.
 */

const ADMISSION = "lib/api-key-admission.ts";
const routerWith = (file: string, from: string, to: string) => bundleWith(editSource(file, from, to), join("dispatch", "index.ts"));

export const ROUTER_KEY_VARIANTS = {
  /** Admits a key to any app and environment of the org. */
  ignoresAppAndEnvironment: () => routerWith(ADMISSION, `if (record.app !== request.app || record.environment !== request.environment) return refuse(403, "a key of another app or environment");`, ""),
  /** Reads the row but not its revocation time. */
  ignoresRevocation: () => routerWith(ADMISSION, `if (record.revokedAt !== null) return refuse(401, "a revoked key");`, ""),
  /** Keeps the first row read for a hash in the isolate: a cached verdict. */
  cachesRecords: () => routerWith("dispatch/api-key-route.ts", "const record = await store.prepare(sql).bind(...params).first<KeyRecord>();",
    "const cache: Map<string, KeyRecord | null> = ((globalThis as Record<string, unknown>)[\"keyCache\"] ??= new Map()) as Map<string, KeyRecord | null>; const record = cache.has(keyHash) ? cache.get(keyHash) ?? null : await store.prepare(sql).bind(...params).first<KeyRecord>(); cache.set(keyHash, record);"),
  /** Admits any live row, whether or not the stack still declares its slot as stored. */
  ignoresDeclaredSlots: () => routerWith(ADMISSION, `if (declaredSlotOf(record, request.slots) === undefined)`, `if (declaredSlotOf(record, request.slots) === undefined && false)`),
  /** Counts publishable-key traffic in the org's own rate-limit bucket and concurrency pool. */
  sharesOrgQuota: () => routerWith("lib/quota-bucket.ts", `if (key !== undefined && key.keyKind === "publishable")`, `if (key !== undefined && key.keyKind === "never")`),
  /** Lets a secret key in from a browser. */
  ignoresBrowserMarkers: () => routerWith(ADMISSION, `if (kind === "secret" && carriesBrowserMarkers(request.headers))`, `if (kind === "secret" && carriesBrowserMarkers(request.headers) && false)`),
  /** Lets a publishable key in from any origin. */
  ignoresOrigins: () => routerWith(ADMISSION, "if (origin === null || !request.appOrigins.includes(origin))", "if (origin === \"\")"),
} as const;
