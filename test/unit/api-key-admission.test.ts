import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { carriesBrowserMarkers, constantTimeEqual, declaredSlotOf, judgeApiKey, preCheck, presentedApiKey, type KeyRecord, type KeyRequest } from "../../workers/lib/api-key-admission";
import { mintApiKey } from "../../workers/lib/api-key-format";

/* The router's API key verdict, pure: what the machine client holding one key can and cannot reach. */

const HASH = "ab".repeat(32);
const record = (change: Partial<KeyRecord> = {}): KeyRecord => ({ id: "key_0123456789abcdef", keyHash: HASH, slot: "finance-sync", app: "finance-console", environment: "prod", kind: "secret", revokedAt: null, ...change });
const SLOTS = [
  { name: "finance-sync", app: "finance-console", environment: "prod", kind: "secret" },
  { name: "storefront-browser", app: "storefront", environment: "prod", kind: "publishable" },
] as const;
const request = (headers: Record<string, string> = {}, change: Partial<KeyRequest> = {}): KeyRequest => ({ org: "acme", app: "finance-console", environment: "prod", slots: SLOTS, appOrigins: [], headers: new Headers(headers), ...change });

describe("the API key verdict", () => {
  it("admits a live key to its own app and environment, naming its slot and kind", () => {
    expect(judgeApiKey("secret", HASH, record(), request())).toEqual({ admit: true, slot: "finance-sync", kind: "secret", keyId: "key_0123456789abcdef" });
  });

  it("refuses every other app and environment (403), whatever they are called", () => {
    fc.assert(fc.property(fc.stringMatching(/^[a-z][a-z0-9-]{1,20}$/), fc.stringMatching(/^[a-z][a-z0-9]{1,15}$/), (app, environment) => {
      fc.pre(app !== "finance-console" || environment !== "prod");
      expect(judgeApiKey("secret", HASH, record(), request({}, { app, environment }))).toMatchObject({ admit: false, status: 403 });
    }));
  });

  it("refuses (401) no record, a revoked record, a record of another hash and a record of the other kind", () => {
    expect(judgeApiKey("secret", HASH, undefined, request())).toMatchObject({ admit: false, status: 401 });
    expect(judgeApiKey("secret", HASH, record({ revokedAt: 1 }), request())).toMatchObject({ admit: false, status: 401 });
    expect(judgeApiKey("secret", HASH, record({ keyHash: "cd".repeat(32) }), request())).toMatchObject({ admit: false, status: 401 });
    expect(judgeApiKey("publishable", HASH, record(), request({ origin: "https://shop.acme.com" }, { appOrigins: ["https://shop.acme.com"] }))).toMatchObject({ admit: false, status: 401 });
  });

  it("refuses (401) a live row whose slot the stack no longer declares, wherever it is presented", () => {
    const removed = SLOTS.filter((s) => s.name !== "finance-sync");
    expect(judgeApiKey("secret", HASH, record(), request({}, { slots: removed }))).toMatchObject({ admit: false, status: 401 });
    expect(judgeApiKey("secret", HASH, record(), request({}, { slots: [] }))).toMatchObject({ admit: false, status: 401 });
  });

  it("refuses (401) a live row once its slot is moved to any other app, environment or kind, at the old target and the new", () => {
    const field = fc.constantFrom("app", "environment", "kind");
    fc.assert(fc.property(field, fc.stringMatching(/^[a-z][a-z0-9-]{1,15}$/), (changed, value) => {
      const slot = { ...SLOTS[0], [changed]: value };
      fc.pre(slot[changed] !== SLOTS[0][changed]);
      for (const target of [{ app: "finance-console", environment: "prod" }, { app: slot.app, environment: slot.environment }]) {
        expect(judgeApiKey("secret", HASH, record(), request({}, { ...target, slots: [slot, SLOTS[1]] }))).toMatchObject({ admit: false, status: 401 });
      }
    }));
  });

  it("finds a row's declared slot only when slot, app, environment and kind all equal it", () => {
    expect(declaredSlotOf(record(), SLOTS)).toEqual(SLOTS[0]);
    expect(declaredSlotOf(record({ slot: "storefront-browser" }), SLOTS)).toBeUndefined();
    expect(declaredSlotOf({ slot: "storefront-browser", app: "storefront", environment: "prod", kind: "publishable" }, SLOTS)).toEqual(SLOTS[1]);
  });

  it("refuses a key of another org before any lookup", () => {
    expect(preCheck(mintApiKey("secret", "globex"), "acme")).toMatchObject({ admit: false, status: 401 });
    expect(preCheck(mintApiKey("secret", "acme"), "acme")).toEqual({ kind: "secret" });
  });

  it("takes the key from Authorization: Bearer by its prefix, and leaves a user's JWT to the token path", () => {
    const key = mintApiKey("publishable", "acme");
    expect(presentedApiKey(new Headers({ authorization: `Bearer ${key}` }))).toBe(key);
    expect(presentedApiKey(new Headers({ authorization: "Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln" }))).toBeUndefined();
    expect(presentedApiKey(new Headers({ "x-api-key": key }))).toBeUndefined();
  });

  it("counts Origin and every Sec-Fetch-* header but Mode as a browser's, in any case", () => {
    fc.assert(fc.property(fc.stringMatching(/^[a-z][a-z-]{0,20}$/), fc.boolean(), (suffix, upper) => {
      const name = `sec-fetch-${suffix}`;
      const spelled = upper ? name.toUpperCase() : name;
      expect(carriesBrowserMarkers(new Headers({ [spelled]: "x" }))).toBe(suffix !== "mode");
    }));
    expect(carriesBrowserMarkers(new Headers({ Origin: "null" }))).toBe(true);
    expect(carriesBrowserMarkers(new Headers({ "user-agent": "curl/8" }))).toBe(false);
  });

  it("compares hashes equal exactly when they are equal", () => {
    fc.assert(fc.property(fc.stringMatching(/^[0-9a-f]{0,64}$/), fc.stringMatching(/^[0-9a-f]{0,64}$/), (a, b) => {
      expect(constantTimeEqual(a, b)).toBe(a === b);
      expect(constantTimeEqual(a, a)).toBe(true);
    }));
  });
});
