import { randomBytes } from "node:crypto";
import type { OrgSpec } from "../../spec/spec";
import { verifyIdentity } from "../../workers/lib/identity";
import { OPERATOR_IDENTITY_HEADER, OPERATOR_IDENTITY_SIGNATURE_HEADER } from "../../workers/operator-gateway/config";
import type { OperatorIdentity } from "../../workers/operator-gateway/gateway";
import { LOCAL_ISSUER } from "../identity-key";
import { grantOperator, listOperators, revokeOperator } from "../operator-allowlist";
import { LOCAL_OPERATOR_TRUST, startOperatorGateway, type LocalGateway, type LocalGatewayTrust } from "../operator-gateway";
import { OPERATOR_SECTION, type ClaimResult } from "./claim";

/*
 * Property 9 at the operator gateway: requests through the real gateway bundle in workerd, its
 * allowlist the local one `tenantry operators` manages, changed through the same functions that
 * command calls. Every address the proof grants is its own (a per-run prefix), and it is revoked
 * again however the claims end, so the allowlist is left as it was found.
 */

/** Addresses the proof grants; a leftover of a killed run is recognised by it and revoked by the next. */
export const PROOF_OPERATOR_PREFIX = "tenantry-proof-";
const PROOF_OPERATOR_DOMAIN = "operators.proof.invalid";
const GRANTED_BY = "tenantry prove --local";
const PATH = "/orgs";

const row = (claim: string, attempt: string, ok: boolean, result: string): ClaimResult => ({ claim, attempt, result, status: ok ? "pass" : "fail", section: OPERATOR_SECTION });
const expectStatus = (claim: string, attempt: string, got: number, expected: number) =>
  row(claim, attempt, got === expected, got === expected ? `${got}` : `${got}, expected ${expected}`);

/** The gateway's trust for this org: the operator domain its router refuses (so both sides name the same issuer), or the local one. */
export function gatewayTrustFor(spec: Pick<OrgSpec, "edge">): LocalGatewayTrust {
  const operator = spec.edge?.operator;
  return operator === undefined ? LOCAL_OPERATOR_TRUST : { ...LOCAL_OPERATOR_TRUST, issuer: operator.issuer, audience: operator.audience };
}

/** The product domain this org's users sign in with locally: the local identity provider, the org's audience. */
function productDomainOf(spec: Pick<OrgSpec, "edge" | "slug">): { issuer: string; audience: string } {
  return { issuer: LOCAL_ISSUER, audience: spec.edge?.identity.audience ?? `${spec.slug}-apps` };
}

async function statusOf(gateway: LocalGateway, token: string): Promise<number> {
  const response = await gateway.viaGateway(PATH, { headers: { authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
  return response.status;
}

/** A path that names another host, as the attacker sent it: `new URL(path, origin)` would fetch evil.example. */
const OPEN_FORWARD_PATH = "//evil.example/steal?x=1";

/** The status, and the host the console stand-in (which answers every host) says the request went to, if it went anywhere. */
async function forwardedTo(gateway: LocalGateway, token: string, path: string): Promise<{ status: number; host: string | undefined }> {
  const response = await gateway.viaGateway(path, { headers: { authorization: `Bearer ${token}` } });
  const body = await response.text();
  if (response.status !== 200) return { status: response.status, host: undefined };
  try {
    return { status: 200, host: (JSON.parse(body) as { host?: string }).host };
  } catch {
    return { status: 200, host: undefined };
  }
}

/** Revokes every address a proof granted (this run's, or a killed run's); returns how many. */
export async function revokeProofOperators(gateway: LocalGateway): Promise<number> {
  const db = await gateway.allowlist();
  const leftovers = (await listOperators(db)).filter((e) => e.email.startsWith(PROOF_OPERATOR_PREFIX));
  for (const entry of leftovers) await revokeOperator(db, entry.email);
  return leftovers.length;
}

/** The console's view of one admitted request: whether the token reached it, and the identity it can verify. */
async function consoleSaw(gateway: LocalGateway, token: string): Promise<{ status: number; tokenSeen: boolean; identity: OperatorIdentity | undefined }> {
  const response = await gateway.viaGateway(`${PATH}?access_token=${token}`, { headers: { authorization: `Bearer ${token}`, cookie: `session=${token}` } });
  if (response.status !== 200) {
    await response.arrayBuffer();
    return { status: response.status, tokenSeen: false, identity: undefined };
  }
  const seen = await response.text();
  const { headers } = JSON.parse(seen) as { headers: Record<string, string> };
  const identity = await verifyIdentity<OperatorIdentity>(headers[OPERATOR_IDENTITY_HEADER] ?? "", headers[OPERATOR_IDENTITY_SIGNATURE_HEADER] ?? "", gateway.identityKey, Date.now() / 1000);
  return { status: 200, tokenSeen: seen.includes(token), identity };
}

/**
 * The gateway's claims, each with the request made and the status it got. `nonce` keeps this
 * run's addresses apart from anyone's; the addresses are revoked again before this returns.
 */
export async function operatorGatewayClaims(gateway: LocalGateway, spec: Pick<OrgSpec, "edge" | "slug">, nonce: string = randomBytes(4).toString("hex")): Promise<ClaimResult[]> {
  const address = (who: string) => `${PROOF_OPERATOR_PREFIX}${nonce}-${who}@${PROOF_OPERATOR_DOMAIN}`;
  const tokenFor = (email: string, options: { issuer?: string; audience?: string } = {}) => gateway.token({ sub: `operator-${email}`, email }, options);
  const db = await gateway.allowlist();
  const grant = (email: string, expiresAt?: number) => grantOperator(db, { email, role: "support-read", grantedBy: GRANTED_BY, ...(expiresAt === undefined ? {} : { expiresAt }) });
  const product = productDomainOf(spec);
  const results: ClaimResult[] = [];
  try {
    // On the list, so only the token's domain can refuse it.
    const listed = address("listed");
    await grant(listed);
    results.push(expectStatus("a product-domain token is refused by the gateway", `GET ${PATH} as ${listed} (on the allowlist), token of ${product.issuer} for ${product.audience}, signed by the trusted key`,
      await statusOf(gateway, await tokenFor(listed, product)), 401));

    const stranger = address("stranger");
    results.push(expectStatus("an operator not on the allowlist gets 403", `GET ${PATH} as ${stranger}, operator token`, await statusOf(gateway, await tokenFor(stranger)), 403));

    const granted = address("granted");
    const token = await tokenFor(granted);
    await grant(granted);
    const admitted = await consoleSaw(gateway, token);
    results.push(expectStatus("after a grant, the operator's next request passes", `grant ${granted} support-read (what tenantry operators grant runs), then GET ${PATH}`, admitted.status, 200));
    const identityOk = admitted.status === 200 && !admitted.tokenSeen && admitted.identity?.email === granted && admitted.identity.role === "support-read";
    results.push(row("the console receives the gateway's signed identity, never the token", `GET ${PATH}?access_token=<token> as ${granted}, token also in Authorization and a cookie`, identityOk,
      admitted.status !== 200 ? `${admitted.status}, expected 200` : admitted.tokenSeen ? "THE TOKEN REACHED THE CONSOLE"
        : admitted.identity === undefined ? "no identity the console can verify" : identityOk ? `verified ${admitted.identity.email} as ${admitted.identity.role}; token absent` : `verified ${admitted.identity.email} as ${admitted.identity.role}`));

    // The attacker's open forward: a path that a URL parser reads as another host.
    const forward = await forwardedTo(gateway, token, OPEN_FORWARD_PATH);
    results.push(row("a path naming another host (//host) is refused and never reaches another origin", `GET ${OPEN_FORWARD_PATH} as ${granted} (support-read)`, forward.status === 400,
      forward.status === 400 ? "400, nothing forwarded" : `${forward.status}${forward.host === undefined ? "" : `, forwarded to ${forward.host}`}, expected 400`));

    await revokeOperator(db, granted);
    results.push(expectStatus("after a revocation, the very next request is refused", `revoke ${granted} (what tenantry operators revoke runs), then GET ${PATH} with the token that just passed`, await statusOf(gateway, token), 403));

    const expired = address("expired");
    await grant(expired, Date.now() - 1_000);
    results.push(expectStatus("an expired allowlist entry is refused", `GET ${PATH} as ${expired}, entry expired 1 s ago`, await statusOf(gateway, await tokenFor(expired)), 403));

    // One decision for each request above made with an operator token (a refused product token names no operator to attribute it to).
    const requests = 5;
    const audited = [stranger, granted, expired];
    const events = (await gateway.auditEvents()).filter((e) => audited.includes(e["operator"] as string));
    const text = JSON.stringify(events);
    const reasoned = events.filter((e) => (e["decision"] === "allow" || e["decision"] === "deny") && typeof e["reason"] === "string").length;
    const leaked = text.includes(token) || /eyJ[\w-]+\.[\w-]+\./.test(text);
    results.push(row("every decision reaches the audit sink, never a token", `read the audit sink after the ${requests} requests above with operator tokens (the stranger, granted and expired addresses)`, reasoned === requests && !leaked,
      `${reasoned} of ${requests} decisions recorded with their reasons; token ${leaked ? "PRESENT" : "absent"}`));
  } finally {
    await revokeProofOperators(gateway);
  }
  return results;
}

/**
 * Starts the local gateway in workerd on the allowlist `tenantry operators` manages (`allowlistDir`),
 * runs the claims and stops it. One start per proof; an abort stops between the start and the claims.
 */
export async function proveOperatorGateway(spec: Pick<OrgSpec, "edge" | "slug">, { allowlistDir, signal }: { allowlistDir: string; signal?: AbortSignal }): Promise<ClaimResult[]> {
  const gateway = await startOperatorGateway({ trust: gatewayTrustFor(spec), persistTo: allowlistDir, callerHandlesSignals: signal !== undefined });
  try {
    // What a killed proof granted goes first, before the claims count addresses.
    await revokeProofOperators(gateway);
    signal?.throwIfAborted();
    return await operatorGatewayClaims(gateway, spec);
  } finally {
    await gateway.dispose();
  }
}
