import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localKeysDir } from "../../local/paths";
import { readStackFile } from "../../harness/stack-file";
import { attempt } from "../../local/attempt";
import { standInSecretValues, startEdge } from "../../local/edge";
import type { ServerInfo } from "../../local/server";
import { orgSpecFromStackConfig } from "../../spec/stack-config";
import { fileCount, filesHolding } from "../helpers/canary";
import { CliProject, CLI_TEST_TIMEOUT_MS, type Finished } from "../helpers/cli-project";
import { newWhsec, stripeHeaders } from "../helpers/webhook-senders";

/*
 * The canary across the whole local flow of the example org (properties 11, 18, 19): a secret
 * key minted with `tenantry keys mint`, the org's webhook signing secret and the Stripe
 * integration's secret are each used for real (the key admits through the router from the store
 * `keys` wrote, an event goes out signed, a signed Stripe request comes in), then searched for in
 * every CLI output, every file of the project (stack files, local state, the key store's SQLite
 * pages, the embedded Postgres's pages and WAL), the audit sink the outbound Worker writes its
 * audit lines to, and the org database's audit.events. A control plants each on purpose and
 * shows the same search finds it.
 */

const project = new CliProject();
const signingSecret = newWhsec();
const outputs: Record<string, Finished> = {};
let key = "";
let integrationSecret = "";
let server: ServerInfo;
/** What the edge session showed: the canaries were live, not values nobody used. */
const live = { keyed: 0, keyedAs: {} as Record<string, unknown>, delivered: undefined as unknown, integration: 0, reachedApp: false };
let auditSink = "";

const canaries = () => ({ key, signingSecret, integrationSecret });
const needles = () => [key, signingSecret, signingSecret.slice("whsec_".length), integrationSecret];

/** The org database's ledger, every row as text, read as the server's superuser. */
async function ledgerText(): Promise<string> {
  const outcome = await attempt(server, { user: server.user, password: server.password }, "tn_acme", ["SELECT coalesce(string_agg(e::text, E'\\n'), '') AS rows FROM audit.events e"]);
  expect(outcome.code).toBeUndefined();
  const [row] = outcome.rows as { rows: string }[];
  return row?.rows ?? "";
}

const identityOf = (headers: Record<string, string>) => JSON.parse(Buffer.from(headers["x-tenantry-identity"] ?? "", "base64url").toString()) as Record<string, unknown>;

beforeAll(async () => {
  outputs["up --local"] = project.run("up", "--local", "org-acme", "--no-prove");
  expect(outputs["up --local"].code).toBe(0);
  outputs["keys mint"] = project.run("keys", "mint", "org-acme", "billing-sync");
  key = outputs["keys mint"].stdout.trim();
  expect(key).toMatch(/^tnsk_acme_/);

  const spec = orgSpecFromStackConfig({ ...readStackFile(join(project.dir, "stacks", "Pulumi.org-acme.yaml")), now: new Date() });
  const values = standInSecretValues(spec);
  integrationSecret = (JSON.parse(values["acme/prod/stripe"] ?? "{}") as Record<string, string>)["webhook_secret"] ?? "";
  const edge = await startEdge(spec, {
    secretValues: values, webhookSigningSecrets: { prod: signingSecret }, apiKeysPersistTo: localKeysDir(project.dir, "acme"),
    deployed: [{ app: "invoices", environment: "prod" }],
  });
  try {
    const withKey = { headers: { authorization: `Bearer ${key}` } };
    const whoami = await edge.viaRouter("/prod/invoices/whoami", withKey);
    live.keyed = whoami.status;
    if (whoami.status === 200) live.keyedAs = identityOf(((await whoami.json()) as { headers: Record<string, string> }).headers);
    await (await edge.viaRouter("/prod/invoices/emit?type=order.created", withKey)).text();
    const delivery = (await edge.egressRequests()).find((r) => r.host === "hooks.partner.example");
    live.delivered = delivery === undefined ? undefined : new Webhook(signingSecret).verify(delivery.body, delivery.headers);
    const body = JSON.stringify({ id: "evt_canary", type: "invoice.paid" });
    const signed = await edge.viaRouter("/prod/invoices/stripe", { method: "POST", body, headers: { "content-type": "application/json", ...stripeHeaders(integrationSecret, Math.floor(Date.now() / 1000), body) } });
    live.integration = signed.status;
    const received = (await (await edge.direct("invoices", "prod", "/prod/invoices/received")).json()) as { body: string }[];
    live.reachedApp = received.some((r) => r.body === body);
    auditSink = JSON.stringify(await edge.auditEvents());
  } finally {
    await edge.dispose();
  }

  outputs["prove --local"] = project.run("prove", "--local", "org-acme");
  outputs["keys list"] = project.run("keys", "list", "org-acme");
  outputs["keys list --json"] = project.run("keys", "list", "org-acme", "--json");
  server = JSON.parse(readFileSync(project.paths.serverFile, "utf8")) as ServerInfo;
}, CLI_TEST_TIMEOUT_MS * 2);
afterAll(() => project.remove());

describe("the canary: a minted key, the webhook signing secret and an integration secret, through the local flow", () => {
  it("were each used for real: the key admits as its slot, the delivery verifies under the signing secret, the Stripe request reaches the app", () => {
    expect(live.keyed).toBe(200);
    expect(live.keyedAs).toMatchObject({ kind: "api-key", slot: "billing-sync" });
    expect(live.delivered).toMatchObject({ type: "order.created" });
    expect([live.integration, live.reachedApp]).toEqual([200, true]);
    expect(outputs["prove --local"]?.code).toBe(0);
  });

  it("appears in no CLI output: up --local, prove --local, keys list (mint prints the key once, on stdout, and nothing else)", () => {
    const printed = Object.entries(outputs).flatMap(([command, run]) => [[`${command} stderr`, run.stderr], ...(command === "keys mint" ? [] : [[`${command} stdout`, run.stdout]])]);
    expect(printed.filter(([, text]) => (text ?? "").length > 0).length).toBeGreaterThanOrEqual(5);
    expect(printed.filter(([, text]) => needles().some((n) => (text ?? "").includes(n))).map(([where]) => where)).toEqual([]);
    expect(outputs["keys mint"]?.stdout).toBe(`${key}\n`);
  });

  it("appears in no file of the project: stack files, local state, the key store's SQLite pages, the embedded Postgres", () => {
    expect(fileCount(project.dir)).toBeGreaterThan(100);
    expect(fileCount(localKeysDir(project.dir, "acme"))).toBeGreaterThan(0);
    expect(filesHolding(project.dir, needles())).toEqual([]);
  });

  it("appears in no audit event: the outbound Worker's (in the sink) and the org database's audit.events", async () => {
    // The sink is the right one: it holds this flow's delivery, made by the key's slot.
    expect(auditSink).toContain("webhook.deliver");
    expect(auditSink).toContain("billing-sync");
    for (const needle of needles()) expect(auditSink.includes(needle)).toBe(false);
    // The sample apps write nothing to the database, so the ledger holds only what the proof left
    // (its changes are rolled back or dropped): the control below shows a planted row is found.
    const ledger = await ledgerText();
    for (const needle of needles()) expect(ledger.includes(needle)).toBe(false);
  });

  it("(control) is found by the same searches where it is planted: a stdout, a file in the key store, a ledger row and the Postgres pages holding it", async () => {
    expect(needles().filter((n) => (outputs["keys mint"]?.stdout ?? "").includes(n))).toEqual([key]);
    writeFileSync(join(localKeysDir(project.dir, "acme"), "planted.bin"), Buffer.concat([Buffer.alloc(64), Buffer.from(key), Buffer.alloc(64)]));
    expect(filesHolding(project.dir, needles())).toEqual([{ file: join(".tenantry", "api-keys", "acme", "planted.bin"), found: [key] }]);
    const superuser = { user: server.user, password: server.password };
    const planted = await attempt(server, superuser, "tn_acme", [
      `INSERT INTO audit.events (schema_name, table_name, after) VALUES ('canary', 'control', jsonb_build_object('secret', '${canaries().integrationSecret}'))`,
      "CHECKPOINT",
    ]);
    expect(planted.code).toBeUndefined();
    expect((await ledgerText()).includes(integrationSecret)).toBe(true);
    const inPostgres = filesHolding(project.dir, [integrationSecret]).filter((hit) => hit.file.startsWith(join(".tenantry", "pg")));
    expect(inPostgres.length).toBeGreaterThan(0);
  });
});
