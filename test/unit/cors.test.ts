import { describe, expect, it } from "vitest";
import { declaredOrigin, isDeclaredPreflight, preflightResponse, readableBy } from "../../workers/lib/cors";

/* CORS for apps with declared origins (B6): only an exact declared Origin is answered, and never with `*`. */

const ORIGINS = ["https://shop.acme.com"];
const preflight = (origin: string, extra: Record<string, string> = { "access-control-request-method": "GET" }) => new Headers({ origin, ...extra });

describe("CORS at the router", () => {
  it("treats as a declared preflight only OPTIONS with a requested method from an exact declared origin", () => {
    expect(isDeclaredPreflight("OPTIONS", preflight("https://shop.acme.com"), ORIGINS)).toBe(true);
    for (const origin of ["https://shop.acme.com/", "https://SHOP.acme.com", "http://shop.acme.com", "https://shop.acme.com.evil.example", "null", "*"]) {
      expect(isDeclaredPreflight("OPTIONS", preflight(origin), ORIGINS)).toBe(false);
    }
    expect(isDeclaredPreflight("OPTIONS", preflight("https://shop.acme.com", {}), ORIGINS)).toBe(false);
    expect(isDeclaredPreflight("GET", preflight("https://shop.acme.com"), ORIGINS)).toBe(false);
    expect(isDeclaredPreflight("OPTIONS", preflight("https://shop.acme.com"), [])).toBe(false);
  });

  it("answers a declared preflight 204 with that origin, the methods, authorization, content-type and the app's headers, Vary and Max-Age", () => {
    const answer = preflightResponse("https://shop.acme.com", ["x-shop-locale"]);
    expect(answer.status).toBe(204);
    expect(Object.fromEntries(answer.headers)).toMatchObject({
      "access-control-allow-origin": "https://shop.acme.com",
      "access-control-allow-methods": "GET, HEAD, POST, PUT, PATCH, DELETE",
      "access-control-allow-headers": "authorization, content-type, x-shop-locale",
      "access-control-max-age": "600",
      vary: "Origin",
    });
    expect(answer.headers.has("access-control-allow-credentials")).toBe(false);
  });

  it("makes a keyed response readable by the declared origin only, replacing an app's `*` and its credentials flag", async () => {
    const app = new Response("ok", { headers: { "access-control-allow-origin": "*", "access-control-allow-credentials": "true", vary: "Accept" } });
    const readable = readableBy(app, "https://shop.acme.com");
    expect([readable.headers.get("access-control-allow-origin"), readable.headers.get("access-control-allow-credentials"), readable.headers.get("vary"), await readable.text()])
      .toEqual(["https://shop.acme.com", null, "Accept, Origin", "ok"]);
    expect(declaredOrigin(new Headers({ origin: "https://evil.example" }), ORIGINS)).toBeUndefined();
  });
});
