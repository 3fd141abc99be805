import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLocalJWKSet, jwtVerify } from "jose";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { stringify } from "yaml";
import { token } from "../../cli/commands/dev";
import { LOCAL_ISSUER, persistedSigningKey } from "../../local/identity-key";
import { localPaths } from "../../local/paths";
import { SpecError } from "../../spec/spec-errors";
import { PROVIDER_CONFIG, validOrgInput } from "../helpers/spec-builder";

/*
 * `tenantry token` in this process, on a scratch project: stdout carries the token and nothing
 * else, it verifies with the kept key's public half as the local edge checks it, and a stack
 * with nothing to serve is refused naming the field.
 */

const scratch = mkdtempSync(join(tmpdir(), "tenantry-token-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());
let projects = 0;

function projectWith(org: Record<string, unknown>): string {
  const dir = join(scratch, String((projects += 1)));
  mkdirSync(join(dir, "stacks"), { recursive: true });
  writeFileSync(join(dir, "stacks", "Pulumi.org-acme.yaml"), stringify({ config: { ...PROVIDER_CONFIG, "tenantry:org": org } }));
  return dir;
}

function specProblems(error: unknown): string[] {
  if (!(error instanceof SpecError)) throw error;
  return error.problems.map((p) => p.message);
}

describe("tenantry token", () => {
  it("prints one line, the token, which the local edge's key set verifies for the org's audience", async () => {
    const dir = projectWith(validOrgInput());
    const written: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const code = await token("org-acme", { email: "cfo@acme.com", role: "viewer", workspaces: "billing", ttl: 600 }, dir);
    vi.restoreAllMocks();
    expect(code).toBe(0);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const { publicJwk } = await persistedSigningKey(localPaths(dir).identityKeyFile);
    const { payload } = await jwtVerify(written[0]?.trim() ?? "", createLocalJWKSet({ keys: [publicJwk] }), { issuer: LOCAL_ISSUER, audience: "tenantry-apps" });
    expect(payload).toMatchObject({ sub: "cfo@acme.com", email: "cfo@acme.com", org: "acme", role: "viewer", workspaces: ["billing"] });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(600);
  });

  it("refuses a stack that declares no edge, naming tenantry:org.edge", async () => {
    const { edge: _edge, apps: _apps, ...withoutEdge } = validOrgInput();
    const dir = projectWith({ ...withoutEdge, apps: [], secrets: [] });
    expect(specProblems(await token("org-acme", { email: "a@acme.com", role: "viewer" }, dir).catch((e: unknown) => e)))
      .toEqual(["tenantry:org.edge is not set: org acme declares no edge to serve or mint tokens for"]);
  });

  it("refuses a stack whose edge has no app, naming tenantry:org.apps", async () => {
    const dir = projectWith({ ...validOrgInput(), apps: [] });
    expect(specProblems(await token("org-acme", { email: "a@acme.com", role: "viewer" }, dir).catch((e: unknown) => e)))
      .toEqual(["tenantry:org.apps is empty: org acme's router would answer 404 to every request"]);
  });
});
