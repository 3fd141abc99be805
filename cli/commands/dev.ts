import { once } from "node:events";
import { createServer } from "node:net";
import { relative } from "node:path";
import { DEFAULT_TOKEN_TTL_SECONDS } from "../../local/dev-defaults";
import type { LocalEdge } from "../../local/edge";
import type { SigningKey, TokenSettings } from "../../local/identity-key";
import type { LocalStack } from "../../local/up";
import { SpecError } from "../../spec/spec-errors";
import type { OrgSpec } from "../../spec/spec";
import { devSignals, type DevSignals } from "../dev-signals";
import { EXIT_INTERRUPTED, EXIT_OK } from "../exit-codes";
import { InterruptedError, withLocalSession } from "../local-session";
import { refuseWhileMoving } from "../../fleet/move-record";

/*
 * `tenantry dev <stack>`: what `up --local` applies, without the proof, then the org's edge in
 * workerd on a fixed local port until Ctrl-C; and `tenantry token`, which signs tokens that edge
 * trusts. The edge is the proof's (local/edge.ts: the same Workers, bindings, identity check and
 * stand-in secrets), started with the local identity provider's kept key and a port.
 *
 * The local state's lock is held while applying only: serving reads nothing of the state, so an
 * `up --local` or `prove --local` may run meanwhile (the proof starts an edge of its own, on
 * another port, with a key of its own).
 */

const LOOPBACK = "127.0.0.1";

type ServableSpec = OrgSpec & { edge: NonNullable<OrgSpec["edge"]> };

/** The spec, if it has an edge with apps to serve or mint tokens for. */
function servable(spec: OrgSpec): ServableSpec {
  const { edge } = spec;
  if (edge === undefined) throw new SpecError([{ field: "tenantry:org.edge", message: `tenantry:org.edge is not set: org ${spec.slug} declares no edge to serve or mint tokens for` }]);
  if (spec.apps.length === 0) throw new SpecError([{ field: "tenantry:org.apps", message: `tenantry:org.apps is empty: org ${spec.slug}'s router would answer 404 to every request` }]);
  return { ...spec, edge };
}

/** The stack's validated spec, for `token`: the spec alone, no Pulumi import, so it answers quickly. */
async function specWithEdge(stack: string, projectDir: string): Promise<ServableSpec> {
  const [{ readStackFile, resolveStackFile }, { orgSpecFromStackConfig }] = await Promise.all([import("../../harness/stack-file.js"), import("../../spec/stack-config.js")]);
  return servable(orgSpecFromStackConfig({ ...readStackFile(resolveStackFile(stack, projectDir)), now: new Date() }));
}

async function tokenSettings(spec: Pick<ServableSpec, "edge">, expiresIn: number): Promise<TokenSettings> {
  const { LOCAL_ISSUER } = await import("../../local/identity-key.js");
  return { issuer: LOCAL_ISSUER, audience: spec.edge.identity.audience, expiresIn };
}

async function identityKey(projectDir: string): Promise<SigningKey> {
  const [{ persistedSigningKey }, { localPaths }] = await Promise.all([import("../../local/identity-key.js"), import("../../local/paths.js")]);
  return persistedSigningKey(localPaths(projectDir).identityKeyFile);
}

function portTaken(port: number): SpecError {
  return new SpecError([{ field: "--port", message: `--port ${port}: ${LOOPBACK}:${port} is in use by another program; stop it, or pass --port with a free port` }]);
}

/** Whether nothing listens on the loopback port now: checked before applying, so a taken port fails in a second, not after the apply. */
async function portIsFree(port: number): Promise<boolean> {
  const probe = createServer();
  try {
    probe.listen({ port, host: LOOPBACK, exclusive: true });
    await once(probe, "listening");
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") return false;
    throw error;
  } finally {
    probe.close();
  }
}

export async function dev(stack: string, options: { port: number }, projectDir: string): Promise<number> {
  const signals = devSignals();
  try {
    // First, as it needs nothing loaded: a second dev on the same port is refused at once.
    if (!(await portIsFree(options.port))) throw portTaken(options.port);
    // Read and validated once, for the apply and the edge alike (this loads the engine, Pulumi).
    const { loadLocalStack } = await import("../../local/up.js");
    const local = loadLocalStack(projectDir, stack);
    const spec = servable(local.tenant.spec);
    const key = await identityKey(projectDir);
    if (signals.stop.aborted) throw new InterruptedError(`interrupted by ${signals.received() ?? "a signal"} before anything was applied`);
    await signals.duringSession(() => applyWithoutProof(local, projectDir));
    // The edge reads the keys `tenantry keys mint` wrote for this org.
    const { localKeysDir } = await import("../../local/paths.js");
    return await serve(stack, spec, key, options.port, signals, localKeysDir(projectDir, spec.slug));
  } finally {
    signals.dispose();
  }
}

/** `up --local` for one stack, minus the proof, under the local state's lock. */
async function applyWithoutProof(local: LocalStack, projectDir: string): Promise<void> {
  await withLocalSession(projectDir, async ({ signal }) => {
    const [{ upLocal }, { reportEachLeftoverOnce }, { describeUp }] = await Promise.all([
      import("../../local/up.js"), import("../../local/proof-objects.js"), import("./local.js"),
    ]);
    refuseWhileMoving(projectDir, "dev", [local.tenant.spec.slug]);
    const started = Date.now();
    const result = await upLocal(local, { signal, onLeftovers: reportEachLeftoverOnce((line) => console.error(`warning: ${line}`)) });
    console.log(`embedded Postgres ${result.server.host}:${result.server.port} (${result.serverStarted ? "started" : "reused"}), data in ${relative(projectDir, local.paths.dataDir)}`);
    console.log(describeUp(local.stackFile.stack, result, ((Date.now() - started) / 1000).toFixed(1)));
    return EXIT_OK;
  });
}

/**
 * Runs the edge until the first SIGINT or SIGTERM (which may have come before it started), then
 * stops workerd (its port is free once this returns) and answers 130, as every local command
 * stopped by a signal does.
 */
async function serve(stack: string, spec: ServableSpec, key: SigningKey, port: number, signals: DevSignals, apiKeysPersistTo: string): Promise<number> {
  if (!signals.stop.aborted) {
    const [{ startEdge, standInSecretValues }, { signToken }, { admittedAndRefused }, { renderDevReady }] = await Promise.all([
      import("../../local/edge.js"), import("../../local/identity-key.js"), import("../../local/edge-subjects.js"), import("../render-dev.js"),
    ]);
    let edge: LocalEdge;
    try {
      edge = await startEdge(spec, { secretValues: standInSecretValues(spec), identityKey: key, port, callerHandlesSignals: true, apiKeysPersistTo });
    } catch (error) {
      // Taken between the check before applying and now.
      if ((error as { code?: unknown }).code === "ERR_ADDRESS_IN_USE") throw portTaken(port);
      throw error;
    }
    try {
      if (!signals.stop.aborted) {
        const app = spec.apps[0] as OrgSpec["apps"][number];
        const [subject] = admittedAndRefused(spec, app);
        const token = await signToken(key, subject, await tokenSettings(spec, DEFAULT_TOKEN_TTL_SECONDS));
        const path = `/${spec.environments[0] ?? ""}/${app.slug}/whoami`;
        console.log(`\n${renderDevReady({ stack, spec, url: edge.url, sample: { subject, path, token, ttlSeconds: DEFAULT_TOKEN_TTL_SECONDS } })}`);
        await once(signals.stop, "abort");
      }
    } finally {
      await edge.dispose();
    }
  }
  console.error(`stopped by ${signals.received() ?? "a signal"}: workerd exited and port ${port} is free; the embedded Postgres keeps running (npx tenantry down --local stops it)`);
  return EXIT_INTERRUPTED;
}

export async function token(stack: string, options: { email: string; role: string; workspaces?: string; ttl?: number; amr?: string }, projectDir: string): Promise<number> {
  const spec = await specWithEdge(stack, projectDir);
  const [{ parseTokenRequest }, { signToken }] = await Promise.all([import("../../local/dev-token.js"), import("../../local/identity-key.js")]);
  const grant = parseTokenRequest(spec, { ...options, ttlSeconds: options.ttl });
  const signed = await signToken(await identityKey(projectDir), grant.subject, await tokenSettings(spec, grant.ttlSeconds));
  // Only the token on stdout, so TOKEN=$(tenantry token ...) works.
  process.stdout.write(`${signed}\n`);
  return EXIT_OK;
}
