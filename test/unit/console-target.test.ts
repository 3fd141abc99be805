import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { consoleTarget } from "../../workers/lib/console-target";

/* Where the gateway forwards, judged as an allowlisted operator who picks the path and query to reach another host. */

const CONSOLE = "https://console.internal.example";
const host = fc.oneof(fc.domain(), fc.constantFrom("evil.example", "evil.example:8443", "user@evil.example", "127.0.0.1", "[::1]"));
/** Paths as the gateway receives them (a parsed URL's pathname starts with `/`), many of them naming a host. */
const path = fc.oneof(
  fc.tuple(fc.constantFrom("//", "/\\", "/\\/", "///", "//\\"), host, fc.string({ maxLength: 10 })).map(([lead, h, rest]) => `${lead}${h}/${rest}`),
  fc.string({ maxLength: 30 }).map((rest) => `/${rest}`),
);
const search = fc.oneof(fc.constant(""), fc.string({ maxLength: 20 }).map((q) => `?${q}`));

describe("consoleTarget", () => {
  it("never leaves the console's origin, whatever path and query it is given", () => {
    fc.assert(fc.property(path, search, (p, q) => {
      let target: URL;
      try {
        target = consoleTarget(CONSOLE, p, q);
      } catch {
        return; // refused: nothing is fetched
      }
      expect(target.origin).toBe(CONSOLE);
    }), { numRuns: 2_000 });
  });

  it("keeps the attacker's //evil.example/steal on the console, as a path", () => {
    const target = consoleTarget(CONSOLE, "//evil.example/steal", "?x=1");
    expect(target.origin).toBe(CONSOLE);
    expect(target.pathname).toBe("//evil.example/steal");
  });

  it("takes only the origin from its config, so a configured path or query cannot be extended", () => {
    expect(consoleTarget(`${CONSOLE}/base?k=v`, "/orgs", "").toString()).toBe(`${CONSOLE}/orgs`);
  });

  it("refuses (throws) a path the URL would spell differently from the one judged, rather than forward another", () => {
    for (const p of ["/a b", "/caf\u00e9", "/a/../admin", "/./x"]) expect(() => consoleTarget(CONSOLE, p, ""), p).toThrow(/not the path judged/);
  });

  it("control: the construction it replaced, new URL(path + query, origin), reaches another host for generated paths", () => {
    const old = (p: string, q: string) => new URL(p + q, CONSOLE);
    const result = fc.check(fc.property(path, search, (p, q) => old(p, q).origin === CONSOLE), { numRuns: 2_000 });
    expect(result.failed).toBe(true);
    expect(old("//evil.example/steal", "?x=1").origin).toBe("https://evil.example");
  });
});
