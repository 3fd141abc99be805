import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantOperator } from "../../local/operator-allowlist";
import { startOperatorGateway, type LocalGateway } from "../../local/operator-gateway";

/*
 * The attacker's pass on the operator gateway, replayed with generated input through the real
 * gateway bundle in workerd, as allowlisted operators: a path that names another host, an admin
 * path spelled so a raw comparison misses it, a method override in the query. The stand-in
 * console answers every host the gateway fetches with the host and path it was asked for, so a
 * request that left for another origin shows here.
 */

let gateway: LocalGateway;
let consoleHost: string;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  gateway = await startOperatorGateway();
  consoleHost = new URL(gateway.trust.consoleOrigin).host;
  const db = await gateway.allowlist();
  for (const role of ["support-read", "support-write", "admin"] as const) {
    const email = `${role}@ops.example`;
    await grantOperator(db, { email, role, grantedBy: "lead@ops.example" });
    tokens[role] = await gateway.token({ sub: `op-${role}`, email }, { expiresIn: "30m" });
  }
}, 60_000);
afterAll(async () => gateway?.dispose());

/** What the gateway answered, and where the console stand-in says the request went (when it went anywhere). */
async function send(role: string, path: string, init: RequestInit = {}): Promise<{ status: number; host?: string; path?: string; method?: string }> {
  const response = await gateway.viaGateway(path, { ...init, headers: { authorization: `Bearer ${tokens[role] ?? ""}` } });
  if (response.status !== 200) {
    await response.arrayBuffer();
    return { status: response.status };
  }
  const seen = (await response.json()) as { host: string; path: string; method: string };
  return { status: 200, host: seen.host, path: seen.path, method: seen.method };
}

/** A host the attacker owns, in the shapes a URL parser reads after `//` or `/\`. */
const host = fc.oneof(fc.domain(), fc.constantFrom("evil.example", "evil.example:8443", "user@evil.example", "127.0.0.1", "[::1]"));
const tail = fc.stringMatching(/^[a-z0-9/]{0,12}$/);
const hostPath = fc.tuple(fc.constantFrom("//", "/\\", "\\\\", "/\\/", "///", "//\\"), host, tail, fc.constantFrom("", "?x=1"))
  .map(([lead, h, rest, query]) => `${lead}${h}/${rest}${query}`);

describe("the operator gateway forwards only to the console's origin", () => {
  it("never sends a request to another host, whatever host a path beginning with // or /\\ names", async () => {
    await fc.assert(
      fc.asyncProperty(hostPath, fc.constantFrom("support-read", "support-write", "admin"), async (path, role) => {
        const { status, host: reached } = await send(role, path);
        if (status === 200) expect(reached).toBe(consoleHost);
      }),
      { numRuns: 80 },
    );
    // The attacker's request, exactly.
    const attack = await send("support-read", "//evil.example/steal?x=1");
    if (attack.status === 200) expect(attack.host).toBe(consoleHost);
    // Control: an ordinary path passes, to the console.
    expect(await send("support-read", "/orgs/acme?x=1")).toMatchObject({ status: 200, host: consoleHost, path: "/orgs/acme?x=1" });
  }, 120_000);
});
