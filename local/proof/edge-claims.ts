import { randomBytes } from "node:crypto";
import { webhookEnvironments } from "../../components/webhook-key-plan";
import { parseSecretReference } from "../../spec/secret-reference";
import type { OrgSpec } from "../../spec/spec";
import { STANDARD_REQUEST_HEADERS } from "../../workers/lib/forwarded-request";
import { IDENTITY_HEADER, IDENTITY_SIGNATURE_HEADER, REQUEST_ID_HEADER } from "../../workers/lib/identity";
import { standInSecretValues, startEdge, type LocalEdge } from "../edge";
import { admittedAndRefused } from "../edge-subjects";
import { OPERATOR_SECTION, tagged, type ClaimResult } from "./claim";
import { apiKeyClaims } from "./api-key-claims";
import { integrationClaims } from "./integration-claims";
import { webhookClaims } from "./webhook-claims";
import { newStandardWebhookSecret } from "../../workers/lib/webhook-signature";

/*
 * The edge claims: requests through the org's real router and outbound Worker in workerd, each
 * checked by the status the client gets and by what reached the app or the (stand-in) internet.
 */

const ROUTER_HEADERS: readonly string[] = [IDENTITY_HEADER, IDENTITY_SIGNATURE_HEADER, REQUEST_ID_HEADER];

const row = (claim: string, attempt: string, ok: boolean, result: string): ClaimResult => ({ claim, attempt, result, status: ok ? "pass" : "fail" });
const expectStatus = (claim: string, attempt: string, got: number, expected: number) =>
  row(claim, attempt, got === expected, got === expected ? `${got}` : `${got}, expected ${expected}`);

async function statusOf(edge: LocalEdge, path: string, token?: string, headers: Record<string, string> = {}): Promise<number> {
  const response = await edge.viaRouter(path, { headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...headers } });
  await response.arrayBuffer();
  return response.status;
}

/** Names a client would try: identity headers in common use, the router's own, near-misses of allowlisted names, and random ones. */
function spoofedHeaderNames(): string[] {
  const random = Array.from({ length: 24 }, (_, i) => `x-${randomBytes(4).toString("hex")}${i % 2 === 0 ? "" : "-ID"}`);
  return [
    "X-User-Email", "X-Forwarded-User", "x-remote-user", "x-auth-request-email", "cf-access-authenticated-user-email", "x-amzn-oidc-identity",
    "x-ms-client-principal-name", "x-goog-authenticated-user-email", "X_User", "x-tenantry-identity", "X-Tenantry-Request-Id", "Cookie",
    "Accept_Language", "accept-x", "x-content-type", "traceparent-x", ...random,
  ];
}

/**
 * Holds when the app answered, received every standard and declared header the client sent and
 * nothing else the client sent, and its identity is the router's; the control sends the same
 * names straight to the app, which shows it would have echoed them.
 */
async function allowlistRow(edge: LocalEdge, app: OrgSpec["apps"][number], env: string, token: string): Promise<ClaimResult> {
  const base = `/${env}/${app.slug}`;
  const others = spoofedHeaderNames();
  // content-length frames the request: the client library sets it, not the caller.
  const allowlisted = [...STANDARD_REQUEST_HEADERS.filter((name) => name !== "content-length"), ...app.forwardHeaders];
  const forged = others.map((name, i): [string, string] => [name, `forged-${i}`]);
  const headers: [string, string][] = [...allowlisted.map((name, i): [string, string] => [name, `allowed-${i}`]), ...forged, ["authorization", `Bearer ${token}`]];
  const viaRouter = await edge.viaRouter(`${base}/whoami`, { headers });
  const received = viaRouter.status === 200 ? ((await viaRouter.json()) as { headers: Record<string, string> }).headers : {};
  const direct = (await (await edge.direct(app.slug, env, `${base}/whoami`, { headers: forged })).json()) as { headers: Record<string, string> };
  // A forged value under any name (the router's own names included, whose values it replaces).
  const leaked = Object.entries(received).filter(([, value]) => value.includes("forged")).map(([name]) => name);
  const missing = allowlisted.filter((name) => received[name] === undefined);
  const unexpected = Object.keys(received).filter((name) => !allowlisted.includes(name) && !ROUTER_HEADERS.includes(name) && name !== "accept-encoding");
  const echoedDirect = others.filter((name) => direct.headers[name.toLowerCase()] !== undefined).length;
  const injected = /^[\w-]+$/.test(received[IDENTITY_HEADER] ?? "");
  const ok = viaRouter.status === 200 && leaked.length === 0 && missing.length === 0 && unexpected.length === 0 && injected && echoedDirect === others.length;
  const result = viaRouter.status !== 200 ? `${viaRouter.status}, expected 200`
    : leaked.length + unexpected.length > 0 ? `REACHED THE APP: ${[...new Set([...leaked, ...unexpected])].join(", ")}`
    : missing.length > 0 ? `allowlisted but dropped: ${missing.join(", ")}`
    : !injected ? "the router's identity is missing"
    : echoedDirect !== others.length ? `control failed: only ${echoedDirect} of ${others.length} reached the app sent straight to it`
    : `none of ${others.length} others reached it (all did sent straight to the app); ${allowlisted.length} allowlisted did`;
  return row("only allowlisted headers reach the app", `GET ${base}/whoami with ${allowlisted.length} allowlisted and ${others.length} other headers (identity, x-tenantry-*, cookie, _ variants, random)`, ok, result);
}

/** A header one app declares, sent to an app that does not declare it. */
async function declaredElsewhereRow(edge: LocalEdge, spec: OrgSpec, app: OrgSpec["apps"][number], env: string): Promise<ClaimResult[]> {
  const declared = app.forwardHeaders[0];
  const other = spec.apps.find((a) => a.slug !== app.slug && declared !== undefined && !a.forwardHeaders.includes(declared));
  if (declared === undefined || other === undefined) return [];
  const token = await edge.token(admittedAndRefused(spec, other)[0]);
  const response = await edge.viaRouter(`/${env}/${other.slug}/whoami`, { headers: { authorization: `Bearer ${token}`, [declared]: "declared-elsewhere" } });
  const received = response.status === 200 ? JSON.stringify(await response.json()) : "";
  const ok = response.status === 200 && !received.includes("declared-elsewhere");
  return [row(`a header ${app.slug} declares reaches no other app`, `GET /${env}/${other.slug}/whoami with ${declared}`, ok, response.status !== 200 ? `${response.status}, expected 200` : ok ? "dropped" : "it reached the app")];
}

/**
 * Property 9's other half, at the org's router (the proof lists it with the gateway's claims): an
 * operator-domain token is refused, and so is a token of the org's own issuer that also names the
 * operator audience, which only the router's operator check refuses (its signature, issuer and
 * the org's audience all verify).
 */
export async function operatorRouterClaims(edge: LocalEdge, spec: OrgSpec, app: OrgSpec["apps"][number], env: string): Promise<ClaimResult[]> {
  const base = `/${env}/${app.slug}`;
  const [admitted] = admittedAndRefused(spec, app);
  const both = [edge.trust.identity.audience, edge.trust.operator.audience];
  return [
    expectStatus("a token of the operator domain never admits into an app", `GET ${base}/ (operator issuer/audience, trusted key)`, await statusOf(edge, `${base}/`, await edge.token({ ...admitted, role: "owner" }, { operator: true })), 401),
    expectStatus("a token that also names the operator audience never admits into an app", `GET ${base}/ as ${admitted.email} (org issuer, audiences ${both.join(" and ")})`,
      await statusOf(edge, `${base}/`, await edge.token(admitted, { audience: both as never })), 401),
  ].map((row) => ({ ...row, section: OPERATOR_SECTION }));
}

async function routerClaims(edge: LocalEdge, spec: OrgSpec, app: OrgSpec["apps"][number], env: string): Promise<ClaimResult[]> {
  const base = `/${env}/${app.slug}`;
  const [admitted, refused] = admittedAndRefused(spec, app);
  const token = await edge.token(admitted);
  const whoami = await edge.viaRouter(`${base}/whoami`, { headers: { authorization: `Bearer ${token}` } });
  await whoami.arrayBuffer();
  const verified = (await (await edge.viaRouter(`${base}/verify`, { headers: { authorization: `Bearer ${token}` } })).json().catch(() => ({}))) as { email?: string };
  const boom = await edge.viaRouter(`${base}/boom`, { headers: { authorization: `Bearer ${token}` } });
  const boomText = await boom.text();
  // Each group tagged with the property it demonstrates: the fail-closed router (7), the operator domain (9), the app's policy (8).
  return [
    ...tagged([7], [
      expectStatus("an unknown app is not found", `GET /${env}/no-such-app/`, await statusOf(edge, `/${env}/no-such-app/`, token), 404),
      expectStatus("a request without a token is refused", `GET ${base}/ (no Authorization)`, await statusOf(edge, `${base}/`), 401),
      expectStatus("a token signed by another key is refused", `GET ${base}/ (forged signature)`, await statusOf(edge, `${base}/`, await edge.token(admitted, { foreignKey: true })), 401),
      expectStatus("an expired token is refused", `GET ${base}/ (expired 1 min ago)`, await statusOf(edge, `${base}/`, await edge.token(admitted, { expiresIn: "-1m" })), 401),
    ]),
    ...tagged([9], await operatorRouterClaims(edge, spec, app, env)),
    ...tagged([8], [
      expectStatus(`${app.slug} admits whom its policy names`, `GET ${base}/ as ${admitted.role} ${admitted.email}`, whoami.status, 200),
      expectStatus(`${app.slug} refuses whom its policy does not name`, `GET ${base}/ as ${refused.role} ${refused.email}${refused.org === spec.slug ? "" : ` of org ${refused.org}`}`, await statusOf(edge, `${base}/`, await edge.token(refused)), 403),
    ]),
    ...tagged([7], [
      await allowlistRow(edge, app, env, token),
      ...(await declaredElsewhereRow(edge, spec, app, env)),
      row("the app gets an identity only the router can sign", `GET ${base}/verify (outbound Worker checks the HMAC)`, verified.email === admitted.email, verified.email === admitted.email ? `verified ${verified.email}` : "not verified"),
      row("a failing app answers 503 with no detail", `GET ${base}/boom (the app throws)`, boom.status === 503 && boomText === "503\n", `${boom.status} ${JSON.stringify(boomText)}`),
    ]),
  ];
}

/** A look-alike of the org's first claimed domain (`outside-acme.com`): outside the claim, though a suffix match on text would take it in. */
export const outsideDomainOf = (spec: Pick<OrgSpec, "claimedDomains">) => `outside-${spec.claimedDomains[0] ?? "example.com"}`;

/**
 * Property 17, when the org enforces SSO: one claimed-domain person, once through SSO and once
 * by password, and someone at a look-alike domain outside the claim, signed in by password.
 * Sent to an app whose policy does not name users, so only SSO can tell them apart.
 */
export async function ssoClaims(edge: LocalEdge, spec: OrgSpec, env: string): Promise<ClaimResult[]> {
  const app = spec.apps.find((a) => !("users" in a.access));
  if (!spec.sso.enforce) return [];
  if (app === undefined) {
    // Enforced, yet not shown: say so, so a reader never takes silence for a held property 17.
    return [{ claim: "a password-login token for a claimed-domain address gets 401", attempt: "-", result: "skipped: every app's policy names users, so only SSO cannot be told apart from the policy", status: "skip" }];
  }
  const base = `/${env}/${app.slug}`;
  const [person] = admittedAndRefused(spec, app);
  const { claim } = spec.sso;
  const sso = spec.sso.values[0] ?? "";
  const outsider = `contractor@${outsideDomainOf(spec)}`;
  const password = { ...person, [claim]: ["pwd"] };
  return [
    expectStatus("an SSO token for a claimed-domain address passes", `GET ${base}/ as ${person.email}, ${claim}: [${sso}]`, await statusOf(edge, `${base}/`, await edge.token({ ...person, [claim]: [sso] })), 200),
    expectStatus("a password-login token for the same address gets 401", `GET ${base}/ as ${person.email}, ${claim}: [pwd]`, await statusOf(edge, `${base}/`, await edge.token(password)), 401),
    await disguisedAddressRow(edge, base, password, claim, outsideDomainOf(spec)),
    expectStatus("an outside-domain user is unaffected", `GET ${base}/ as ${outsider}, ${claim}: [pwd]`, await statusOf(edge, `${base}/`, await edge.token({ ...password, sub: outsider, email: outsider })), 200),
  ];
}

/**
 * The same password-login person under other spellings of their address that an app could still
 * read as theirs: the domain upper-cased with the DNS root dot, and a second `@` after it. The
 * router holds each to SSO (workers/lib/sso.ts judges one canonical form and treats what does not
 * parse as claimed), so each gets 401.
 */
async function disguisedAddressRow(edge: LocalEdge, base: string, password: Record<string, unknown> & { email: string }, claim: string, outside: string): Promise<ClaimResult> {
  const at = password.email.lastIndexOf("@");
  const local = password.email.slice(0, at);
  const domain = password.email.slice(at + 1);
  const forms = [`${local}@${domain.toUpperCase()}.`, `${local}@${domain}@${outside}`];
  const statuses: number[] = [];
  for (const email of forms) statuses.push(await statusOf(edge, `${base}/`, await edge.token({ ...password, sub: email, email } as typeof password)));
  const ok = statuses.every((s) => s === 401);
  return row("a password-login token for another spelling of the same address gets 401", `GET ${base}/ as ${forms.join(", ")}, ${claim}: [pwd]`,
    ok, forms.map((f, i) => `${f} ${statuses[i] ?? "?"}`).join(", ") + (ok ? "" : ", expected 401 each"));
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
  const values = standInSecretValues(spec);
  // The proof starts the edge with signing secrets it keeps, to check each delivery's signature.
  const webhookSigningSecrets = Object.fromEntries(webhookEnvironments(spec).map((environment) => [environment, newStandardWebhookSecret()]));
  const edge = await startEdge(spec, { secretValues: values, webhookSigningSecrets, callerHandlesSignals: signal !== undefined });
  try {
    signal?.throwIfAborted();
    const env = spec.environments.at(-1) ?? "";
    const secretApp = spec.apps.find((a) => !("users" in a.access)) ?? app;
    const router = await routerClaims(edge, spec, app, env);
    signal?.throwIfAborted();
    const sso = await ssoClaims(edge, spec, env);
    signal?.throwIfAborted();
    const secrets = await secretClaims(edge, spec, secretApp, values);
    signal?.throwIfAborted();
    const keys = await apiKeyClaims(edge, spec);
    signal?.throwIfAborted();
    const webhooks = await webhookClaims(edge, spec, webhookSigningSecrets, newStandardWebhookSecret());
    signal?.throwIfAborted();
    const integrations = await integrationClaims(edge, spec, values, newStandardWebhookSecret());
    // The router's rows carry their own properties; the rest demonstrate one property each.
    return [...router, ...tagged([17], sso), ...tagged([10], secrets), ...tagged([18], keys), ...tagged([19], webhooks), ...tagged([19], integrations)];
  } finally {
    await edge.dispose();
  }
}
