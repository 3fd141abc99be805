import type { OrgSpec } from "../../spec/spec";
import { verifyStandardWebhook } from "../../workers/lib/webhook-signature";
import type { LocalEdge } from "../edge";
import { admittedAndRefused } from "../edge-subjects";
import type { ClaimResult } from "./claim";

/*
 * The edge claims for signed webhooks out (property 19), attempted as the app's own code: it
 * calls the documented outbound path (the sample app's /emit), and the claim reads what reached
 * the stand-in internet. Signatures are checked with the platform's verifier; the test suite
 * checks the same deliveries with the public standardwebhooks package (edge-webhooks.test.ts).
 * The controls, with each guard edited out of the outbound Worker, are in
 * webhook-claims-controls.test.ts.
 */

const row = (claim: string, attempt: string, ok: boolean, result: string): ClaimResult => ({ claim, attempt, result, status: ok ? "pass" : "fail" });

type Delivery = Awaited<ReturnType<LocalEdge["egressRequests"]>>[number];

/** What the app's call to the outbound path answered, and what reached the internet meanwhile. */
async function emitted(edge: LocalEdge, path: string, token: string, event: unknown): Promise<{ status: number; answer: string; sent: Delivery[] }> {
  const before = (await edge.egressRequests()).length;
  const response = await edge.viaRouter(`${path}/emit?raw=${encodeURIComponent(JSON.stringify(event))}`, { headers: { authorization: `Bearer ${token}` } });
  const answer = await response.text();
  return { status: response.status, answer, sent: (await edge.egressRequests()).slice(before) };
}

const verified = async (delivery: Delivery, secret: string) =>
  (await verifyStandardWebhook(new Headers(delivery.headers), new TextEncoder().encode(delivery.body), secret, Date.now() / 1000)).ok;

/**
 * One row per property the org's first webhook lets the proof attempt; none when it declares no
 * webhook. `signingSecrets` are each webhook environment's secret as the edge was started with
 * them: only the outbound Worker holds them there, and the proof keeps them to check signatures.
 */
export async function webhookClaims(edge: LocalEdge, spec: OrgSpec, signingSecrets: Readonly<Record<string, string>>, otherSecret: string): Promise<ClaimResult[]> {
  const hook = spec.webhooks[0];
  const type = hook?.events[0];
  const app = spec.apps.find((a) => !("users" in a.access)) ?? spec.apps[0];
  if (hook === undefined || type === undefined || app === undefined) return [];
  const signingSecret = signingSecrets[hook.environment] ?? "";
  const token = await edge.token(admittedAndRefused(spec, app)[0]);
  const own = `/${hook.environment}/${app.slug}`;
  const declared = new URL(hook.url);
  const rows: ClaimResult[] = [];

  // Signed, to the declared endpoints only; a second secret shows the verifier can refuse.
  const sent = await emitted(edge, own, token, { type, data: { proof: true } });
  const expectedHosts = spec.webhooks.filter((w) => w.environment === hook.environment && w.events.includes(type)).map((w) => new URL(w.url));
  const toDeclared = sent.sent.filter((d) => expectedHosts.some((u) => u.hostname === d.host && u.pathname === d.path));
  const genuine = await Promise.all(sent.sent.map((d) => verified(d, signingSecret)));
  const underOther = await Promise.all(sent.sent.map((d) => verified(d, otherSecret)));
  const signedOk = sent.status === 200 && sent.sent.length === expectedHosts.length && toDeclared.length === sent.sent.length && genuine.every(Boolean) && !underOther.some(Boolean);
  rows.push(row(`an app's ${type} event reaches ${hook.name}'s URL signed with the ${hook.environment} secret`, `${app.slug} (${hook.environment}) sends ${type} through the outbound path`,
    signedOk, sent.status !== 200 ? `${sent.status}, expected 200`
      : `${sent.sent.length} delivered (${sent.sent.map((d) => `${d.host}${d.path}`).join(", ") || "none"}), ${genuine.filter(Boolean).length} verified by the ${hook.environment} secret, ${underOther.filter(Boolean).length} by another`));

  // A destination of the app's own choosing: the body may name only type and data.
  const attacker = "attacker.example";
  const named = await emitted(edge, own, token, { type, data: {}, url: `https://${attacker}/hook` });
  const reachedAttacker = named.sent.filter((d) => d.host === attacker).length;
  rows.push(row("an app cannot send an event to a URL it names", `${app.slug} sends ${type} with url https://${attacker}/hook`,
    named.status === 400 && named.sent.length === 0, `${named.status}, ${named.sent.length} delivered${reachedAttacker > 0 ? ` (${reachedAttacker} to ${attacker})` : ""}`));

  // The same event from an environment whose endpoints do not take it.
  const otherEnv = spec.environments.find((e) => !spec.webhooks.some((w) => w.environment === e && w.events.includes(type)));
  if (otherEnv !== undefined) {
    const elsewhere = await emitted(edge, `/${otherEnv}/${app.slug}`, token, { type, data: {} });
    const leaked = elsewhere.sent.filter((d) => d.host === declared.hostname).length;
    rows.push(row(`a ${otherEnv} app's event never reaches a ${hook.environment} endpoint`, `${app.slug} (${otherEnv}) sends ${type}`,
      elsewhere.status === 404 && elsewhere.sent.length === 0, `${elsewhere.status}, ${elsewhere.sent.length} delivered${leaked > 0 ? ` (${leaked} to ${declared.hostname})` : ""}`));
  }

  // What the app holds and hears: no binding of its own, and the secret in no answer or request it gets.
  const bindings = ((await (await edge.viaRouter(`${own}/env`, { headers: { authorization: `Bearer ${token}` } })).json().catch(() => ({}))) as { bindings?: string[] }).bindings;
  const received = await (await edge.direct(app.slug, hook.environment, `${own}/received`)).text();
  const key = signingSecret.slice("whsec_".length);
  const inAnswer = [sent.answer, named.answer].some((text) => text.includes(key));
  const ok = bindings !== undefined && bindings.length === 0 && !inAnswer && !received.includes(key);
  rows.push(row("the app never receives the webhook signing secret", `${app.slug}'s bindings, the outbound path's answers and every request it received`,
    ok, bindings === undefined ? "no answer from /env" : `${bindings.length} bindings, secret ${inAnswer ? "IN AN ANSWER" : received.includes(key) ? "IN A REQUEST" : "absent"}`));
  return rows;
}
