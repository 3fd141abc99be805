import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LOCAL_ISSUER } from "../../local/identity-key";
import { grantOperator, listOperators } from "../../local/operator-allowlist";
import { startOperatorGateway, type GatewayOptions } from "../../local/operator-gateway";
import { OPERATOR_SECTION, type ClaimResult } from "../../local/proof/claim";
import { gatewayTrustFor, operatorGatewayClaims, PROOF_OPERATOR_PREFIX, proveOperatorGateway } from "../../local/proof/operator-gateway-claims";
import { acmeSpec } from "../helpers/acme-edge";
import { startEdge } from "../../local/edge";
import { operatorRouterClaims } from "../../local/proof/edge-claims";
import { GATEWAY_VARIANTS, routerWithoutOperatorCheck } from "../helpers/gateway-variants";

/*
 * Property 9's claims as `tenantry prove --local` states them, through the real gateway bundle in
 * workerd, and a control for each: the same claims asked of a gateway with one guard taken out
 * (its trust widened, its verdict or header filter swapped, its audit binding gone) fail there.
 */

const CLAIMS = [
  "a product-domain token is refused by the gateway",
  "an operator not on the allowlist gets 403",
  "after a grant, the operator's next request passes",
  "the console receives the gateway's signed identity, never the token",
  "a path naming another host (//host) is refused and never reaches another origin",
  "after a revocation, the very next request is refused",
  "an expired allowlist entry is refused",
  "every decision reaches the audit sink, never a token",
] as const;

const spec = acmeSpec();
const folders: string[] = [];
afterAll(() => folders.forEach((folder) => rmSync(folder, { recursive: true, force: true })));
const allowlistFolder = () => {
  const folder = mkdtempSync(join(tmpdir(), "tenantry-gateway-claims-"));
  folders.push(folder);
  return folder;
};

/** Which claims fail, asked of a gateway started with `options` (the acme trust unless overridden). */
async function failingAgainst(options: GatewayOptions): Promise<string[]> {
  const gateway = await startOperatorGateway({ trust: gatewayTrustFor(spec), ...options });
  try {
    const rows = await operatorGatewayClaims(gateway, spec);
    expect(rows.map((r) => r.claim)).toEqual([...CLAIMS]);
    return rows.filter((r) => r.status === "fail").map((r) => r.claim);
  } finally {
    await gateway.dispose();
  }
}

describe("tenantry prove --local, operator gateway section, for acme", () => {
  it("states property 9's gateway claims with their requests and statuses, all hold, and leaves the allowlist as it found it", async () => {
    const folder = allowlistFolder();
    // Someone's real entry, and a leftover of a proof that was killed before it revoked its own.
    const seed = await startOperatorGateway({ persistTo: folder });
    try {
      const db = await seed.allowlist();
      await grantOperator(db, { email: "support@ops.example", role: "support-write", grantedBy: "lead@ops.example" });
      await grantOperator(db, { email: `${PROOF_OPERATOR_PREFIX}deadbeef-granted@operators.proof.invalid`, role: "admin", grantedBy: "tenantry prove --local" });
    } finally {
      await seed.dispose();
    }
    const started = Date.now();
    const rows = await proveOperatorGateway(spec, { allowlistDir: folder });
    const seconds = (Date.now() - started) / 1000;
    expect(rows.map((r) => [r.claim, r.status, r.result])).toEqual([
      [CLAIMS[0], "pass", "401"],
      [CLAIMS[1], "pass", "403"],
      [CLAIMS[2], "pass", "200"],
      [CLAIMS[3], "pass", expect.stringMatching(/^verified tenantry-proof-[0-9a-f]{8}-granted@operators\.proof\.invalid as support-read; token absent$/)],
      [CLAIMS[4], "pass", "400, nothing forwarded"],
      [CLAIMS[5], "pass", "403"],
      [CLAIMS[6], "pass", "403"],
      [CLAIMS[7], "pass", "5 of 5 decisions recorded with their reasons; token absent"],
    ]);
    expect(rows.every((r: ClaimResult) => r.section === OPERATOR_SECTION)).toBe(true);
    expect(rows[0]?.attempt).toContain(`token of ${LOCAL_ISSUER} for ${spec.edge?.identity.audience}`);
    const after = await startOperatorGateway({ persistTo: folder });
    try {
      expect((await listOperators(await after.allowlist())).map((e) => [e.email, e.role])).toEqual([["support@ops.example", "support-write"]]);
    } finally {
      await after.dispose();
    }
    // What one workerd start and the claims cost a proof, on this machine (reported in docs/operators.md).
    console.log(`operator gateway section: ${seconds.toFixed(1)} s`);
  }, 60_000);

  it("trusts the org's declared operator domain, the one its router refuses", () => {
    expect(gatewayTrustFor(spec)).toMatchObject({ issuer: spec.edge?.operator.issuer, audience: spec.edge?.operator.audience });
  });

  it("control: a gateway that trusts the product domain admits the product token, and that claim fails", async () => {
    const product = { consoleOrigin: gatewayTrustFor(spec).consoleOrigin, issuer: LOCAL_ISSUER, audience: spec.edge?.identity.audience ?? "" };
    expect(await failingAgainst({ trust: product })).toEqual([CLAIMS[0]]);
  }, 60_000);

  it("control: a gateway whose verdict ignores a missing entry admits the stranger and the revoked, and those claims fail", async () => {
    expect(await failingAgainst({ controlVariant: { script: await GATEWAY_VARIANTS.ignoresTheAllowlist() } })).toEqual([CLAIMS[1], CLAIMS[5]]);
  }, 60_000);

  it("control: a gateway that caches the entry it read keeps admitting after the revocation, and only that claim fails", async () => {
    expect(await failingAgainst({ controlVariant: { script: await GATEWAY_VARIANTS.cachesEntries() } })).toEqual([CLAIMS[5]]);
  }, 60_000);

  it("control: a gateway that ignores expiry admits the expired entry, and only that claim fails", async () => {
    expect(await failingAgainst({ controlVariant: { script: await GATEWAY_VARIANTS.ignoresExpiry() } })).toEqual([CLAIMS[6]]);
  }, 60_000);

  it("control: a gateway that forwards Authorization lets the token reach the console, and only that claim fails", async () => {
    expect(await failingAgainst({ controlVariant: { script: await GATEWAY_VARIANTS.forwardsTheToken() } })).toEqual([CLAIMS[3]]);
  }, 60_000);

  it("control: a gateway that forwards a path it did not judge admits //evil.example/steal (to the console's own origin), and only that claim fails", async () => {
    const gateway = await startOperatorGateway({ trust: gatewayTrustFor(spec), controlVariant: { script: await GATEWAY_VARIANTS.judgesAnotherPath() } });
    try {
      const rows = await operatorGatewayClaims(gateway, spec);
      expect(rows.filter((r) => r.status === "fail").map((r) => [r.claim, r.result])).toEqual([[CLAIMS[4], `200, forwarded to ${new URL(gateway.trust.consoleOrigin).host}, expected 400`]]);
    } finally {
      await gateway.dispose();
    }
  }, 60_000);

  it("control: with the grammar gone and the target built as new URL(path, origin), the request leaves for evil.example, and only that claim fails", async () => {
    const gateway = await startOperatorGateway({ trust: gatewayTrustFor(spec), controlVariant: { script: await GATEWAY_VARIANTS.forwardsAnywhere() } });
    try {
      const rows = await operatorGatewayClaims(gateway, spec);
      expect(rows.filter((r) => r.status === "fail").map((r) => [r.claim, r.result])).toEqual([[CLAIMS[4], "200, forwarded to evil.example, expected 400"]]);
    } finally {
      await gateway.dispose();
    }
  }, 60_000);

  it("control: a gateway that decides without sending the decision to the sink records nothing there, and only that claim fails", async () => {
    expect(await failingAgainst({ controlVariant: { script: await GATEWAY_VARIANTS.auditsNothing() } })).toEqual([CLAIMS[7]]);
  }, 60_000);
});

describe("property 9 at the org's router, for acme", () => {
  const routerRows = async (controlRouterScript?: string) => {
    const edge = await startEdge(spec, { secretValues: {}, ...(controlRouterScript === undefined ? {} : { controlRouterScript }) });
    try {
      const app = spec.apps[0];
      if (app === undefined) throw new Error("acme declares no app");
      return (await operatorRouterClaims(edge, spec, app, "prod")).map((r) => [r.claim, r.status, r.result]);
    } finally {
      await edge.dispose();
    }
  };
  const OPERATOR_TOKEN = "a token of the operator domain never admits into an app";
  const BOTH_AUDIENCES = "a token that also names the operator audience never admits into an app";

  it("refuses an operator-domain token, and a token of the org's issuer that also names the operator audience", async () => {
    expect(await routerRows()).toEqual([[OPERATOR_TOKEN, "pass", "401"], [BOTH_AUDIENCES, "pass", "401"]]);
  }, 60_000);

  it("control: a router without its operator check admits the token naming both audiences, and that claim fails (verification alone still refuses the operator issuer)", async () => {
    expect(await routerRows(await routerWithoutOperatorCheck())).toEqual([[OPERATOR_TOKEN, "pass", "401"], [BOTH_AUDIENCES, "fail", "200, expected 401"]]);
  }, 60_000);
});
