import { randomBytes } from "node:crypto";
import { parseSecretReference } from "../../components/secret-reference";
import type { OrgSpec } from "../../components/spec";
import { BASE_ROLES, type BaseRole } from "../../workers/lib/access-policy";
import { startEdge, type LocalEdge } from "../edge";
import type { ClaimResult } from "./claim";

/*
 * The edge claims: requests through the org's real router and outbound Worker in workerd, each
 * checked by the status the client gets and by what reached the app or the (stand-in) internet.
 */

type Subject = { sub: string; email: string; org: string; role: string; workspaces: string[] };

const row = (claim: string, attempt: string, ok: boolean, result: string): ClaimResult => ({ claim, attempt, result, status: ok ? "pass" : "fail" });
const expectStatus = (claim: string, attempt: string, got: number, expected: number) =>
  row(claim, attempt, got === expected, got === expected ? `${got}` : `${got}, expected ${expected}`);

/** Someone the app admits, and someone it does not (in the org either way, unless nobody in it is refused). */
function admittedAndRefused(spec: OrgSpec, app: OrgSpec["apps"][number]): [Subject, Subject] {
  const domain = spec.claimedDomains[0] ?? "example.com";
  const person = (role: string, email = `${role}@${domain}`, workspaces = [app.workspace]): Subject => ({ sub: email, email, org: spec.slug, role, workspaces });
  const { access } = app;
  if ("minRole" in access) {
    const below = BASE_ROLES[BASE_ROLES.indexOf(access.minRole) - 1] as BaseRole | undefined;
    return [person(access.minRole), below === undefined ? { ...person("owner"), org: `not-${spec.slug}` } : person(below)];
  }
  if ("users" in access) return [person("viewer", access.users[0]), person("owner", `someone-else@${domain}`)];
  if ("workspaceMembers" in access) return [person("viewer"), person("owner", undefined, [])];
  return [person("developer"), person("viewer")];
}

async function statusOf(edge: LocalEdge, path: string, token?: string, headers: Record<string, string> = {}): Promise<number> {
  const response = await edge.viaRouter(path, { headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...headers } });
  await response.arrayBuffer();
  return response.status;
}

/** Holds only when the app answered (200), got the router's identity, and got none of the spoofed values. */
function spoofRow(base: string, status: number, received: string): ClaimResult {
  const leaked = /evil\.example|forged|"admin"/.test(received);
  const injected = received.includes('"x-tenantry-identity":"');
  const ok = status === 200 && injected && !leaked;
  return row("spoofed identity headers never reach the app", `GET ${base}/whoami with X-User-Email, X-Forwarded-User, forged x-tenantry-identity`, ok,
    status !== 200 ? `${status}, expected 200` : leaked ? "a spoofed header reached the app" : injected ? "none reached it; the router's identity did" : "the router's identity is missing");
}

async function routerClaims(edge: LocalEdge, spec: OrgSpec, app: OrgSpec["apps"][number], env: string): Promise<ClaimResult[]> {
  const base = `/${env}/${app.slug}`;
  const [admitted, refused] = admittedAndRefused(spec, app);
  const token = await edge.token(admitted);
  const spoofed = { "X-User-Email": "ceo@evil.example", "x-tenantry-identity": "forged", "X-Forwarded-User": "admin", "cf-access-authenticated-user-email": "ceo@evil.example" };
  const whoami = await edge.viaRouter(`${base}/whoami`, { headers: { authorization: `Bearer ${token}`, ...spoofed } });
  const received = JSON.stringify(await whoami.json());
  const verified = (await (await edge.viaRouter(`${base}/verify`, { headers: { authorization: `Bearer ${token}` } })).json().catch(() => ({}))) as { email?: string };
  const boom = await edge.viaRouter(`${base}/boom`, { headers: { authorization: `Bearer ${token}` } });
  const boomText = await boom.text();
  return [
    expectStatus("an unknown app is not found", `GET /${env}/no-such-app/`, await statusOf(edge, `/${env}/no-such-app/`, token), 404),
    expectStatus("a request without a token is refused", `GET ${base}/ (no Authorization)`, await statusOf(edge, `${base}/`), 401),
    expectStatus("a token signed by another key is refused", `GET ${base}/ (forged signature)`, await statusOf(edge, `${base}/`, await edge.token(admitted, { foreignKey: true })), 401),
    expectStatus("an expired token is refused", `GET ${base}/ (expired 1 min ago)`, await statusOf(edge, `${base}/`, await edge.token(admitted, { expiresIn: "-1m" })), 401),
    expectStatus("a token of the operator domain never admits into an app", `GET ${base}/ (operator issuer/audience, trusted key)`, await statusOf(edge, `${base}/`, await edge.token({ ...admitted, role: "owner" }, { operator: true })), 401),
    expectStatus(`${app.slug} admits whom its policy names`, `GET ${base}/ as ${admitted.role} ${admitted.email}`, whoami.status, 200),
    expectStatus(`${app.slug} refuses whom its policy does not name`, `GET ${base}/ as ${refused.role} ${refused.email}${refused.org === spec.slug ? "" : ` of org ${refused.org}`}`, await statusOf(edge, `${base}/`, await edge.token(refused)), 403),
    spoofRow(base, whoami.status, received),
    row("the app gets an identity only the router can sign", `GET ${base}/verify (outbound Worker checks the HMAC)`, verified.email === admitted.email, verified.email === admitted.email ? `verified ${verified.email}` : "not verified"),
    row("a failing app answers 503 with no detail", `GET ${base}/boom (the app throws)`, boom.status === 503 && boomText === "503\n", `${boom.status} ${JSON.stringify(boomText)}`),
  ];
}

async function secretClaims(edge: LocalEdge, spec: OrgSpec, app: OrgSpec["apps"][number], values: Record<string, string>): Promise<ClaimResult[]> {
  const results: ClaimResult[] = [];
  for (const secret of spec.secrets.filter((s) => s.allowedHosts.length > 0)) {
    const [admitted] = admittedAndRefused(spec, app);
    const token = await edge.token(admitted);
    const other = spec.environments.find((e) => e !== secret.scope);
    const call = async (env: string, host: string) => statusOf(edge, `/${env}/${app.slug}/call?host=${host}&secret=${secret.name}`, token);
    const host = secret.allowedHosts[0] ?? "";
    const ok = await call(secret.scope, host);
    const arrived = (await edge.egressRequests()).at(-1)?.headers["authorization"];
    const ref = parseSecretReference(secret.ref);
    const value = ref === undefined ? undefined : (JSON.parse(values[ref.secretName] ?? "{}") as Record<string, string>)[ref.key];
    results.push(row(`${secret.name} reaches ${host} for ${secret.scope} apps`, `${app.slug} (${secret.scope}) sends {{secret:${secret.name}}} to ${host}`,
      ok === 200 && arrived === `Bearer ${value}`, ok === 200 && arrived === `Bearer ${value}` ? "substituted by the outbound Worker" : `${ok}, value ${arrived === undefined ? "absent" : "wrong"}`));
    const refusedFor = async (claim: string, attempt: string, status: number, reason: string) => {
      const last = (await edge.auditEvents()).at(-1) as { secret?: string; decision?: string; reason?: string } | undefined;
      const ok = status === 403 && last?.secret === secret.name && last.decision === "refused" && last.reason === reason;
      return row(claim, attempt, ok, ok ? `403, audited: ${reason}` : `${status}, last audit: ${last?.reason ?? "none"}`);
    };
    if (other !== undefined) {
      results.push(await refusedFor(`${secret.name} is refused to ${other} apps`, `${app.slug} (${other}) sends {{secret:${secret.name}}} to ${host}`, await call(other, host), "no such secret in this environment"));
    }
    results.push(await refusedFor(`${secret.name} is refused to hosts off its allowlist`, `${app.slug} (${secret.scope}) sends it to exfil.example`, await call(secret.scope, "exfil.example"), "host exfil.example is not on the secret's allowlist"));
    const events = JSON.stringify(await edge.auditEvents());
    const audited = (JSON.parse(events) as { secret: string; decision: string }[]).filter((e) => e.secret === secret.name);
    results.push(row(`every use of ${secret.name} is audited, never its value`, "read the audit sink", audited.some((e) => e.decision === "resolved") && audited.some((e) => e.decision === "refused") && value !== undefined && !events.includes(value),
      `${audited.length} events, value ${value !== undefined && events.includes(value) ? "PRESENT" : "absent"}`));
  }
  return results;
}

/**
 * Starts the org's edge in workerd, runs every edge claim against it, and stops it. With a
 * `signal`, the caller owns SIGINT and SIGTERM: an abort stops between claims, and workerd is
 * stopped on the way out.
 */
export async function proveEdge(spec: OrgSpec, { signal }: { signal?: AbortSignal } = {}): Promise<ClaimResult[]> {
  const app = spec.apps[0];
  if (spec.edge === undefined || app === undefined) return [];
  // Local stand-in values for the org's secrets: random, as only the proof needs to recognise them.
  const values: Record<string, string> = {};
  for (const secret of spec.secrets) {
    const ref = parseSecretReference(secret.ref);
    if (ref === undefined) continue;
    const current = JSON.parse(values[ref.secretName] ?? "{}") as Record<string, string>;
    values[ref.secretName] = JSON.stringify({ ...current, [ref.key]: `local-${randomBytes(18).toString("base64url")}` });
  }
  const edge = await startEdge(spec, { secretValues: values, callerHandlesSignals: signal !== undefined });
  try {
    signal?.throwIfAborted();
    const env = spec.environments.at(-1) ?? "";
    const secretApp = spec.apps.find((a) => !("users" in a.access)) ?? app;
    const router = await routerClaims(edge, spec, app, env);
    signal?.throwIfAborted();
    return [...router, ...(await secretClaims(edge, spec, secretApp, values))];
  } finally {
    await edge.dispose();
  }
}
