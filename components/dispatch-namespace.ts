import { SecretsStoreSecret } from "@pulumi/cloudflare/secretsStoreSecret";
import { WorkersForPlatformsDispatchNamespace } from "@pulumi/cloudflare/workersForPlatformsDispatchNamespace";
import { WorkersScript } from "@pulumi/cloudflare/workersScript";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { bundleSource } from "../workers/build";
import { scriptName } from "../workers/dispatch/config";
import { edgeTrustOf, outboundConfig, routerConfig } from "./edge-config";
import { API_KEYS_BINDING, standardWebhookSecret, storeSecretName, type EdgeStoreSecret } from "./edge-plan";
import { childName, edgeName } from "../spec/naming";
import type { OrgSpec } from "../spec/spec";
import { TenantApp } from "./tenant-app";
import { planWebhookKeys, webhookEnvironments, type WebhookKeySlot } from "./webhook-key-plan";
import { signingKeyBindings } from "../workers/outbound/signing-keys";
import { COMPONENT_TYPES } from "./type-tokens";

export interface DispatchNamespaceArgs {
  readonly spec: OrgSpec & { readonly edge: NonNullable<OrgSpec["edge"]> };
  /** The outbound Worker's AWS identity (SecretBindings): it reads the org's secrets. */
  readonly awsAccessKeyId: pulumi.Input<string>;
  readonly awsSecretAccessKey: pulumi.Input<string>;
  /**
   * The org's API key store (ApiKeyStore), bound to the router as API_KEYS. Set exactly when the
   * org declares API key slots; without it the router refuses every key (fail-closed).
   */
  readonly apiKeysDatabaseId?: pulumi.Input<string>;
}

/** Per-request ceilings of the router itself. */
const ROUTER_LIMITS = { cpuMs: 50, subrequests: 50 };

/** Keeps Workers Logs on: the outbound Worker's audit events are log lines there. */
const OBSERVABILITY = { enabled: true, logs: { enabled: true, invocationLogs: true } };

/** A Workers Rate Limiting namespace id per org: a stable number derived from the slug. */
function rateLimitNamespace(slug: string): string {
  let hash = 0;
  for (const char of slug) hash = (hash * 31 + char.charCodeAt(0)) % 1_000_000_000;
  return String(1_000 + hash);
}

/**
 * The org's Workers for Platforms edge: its dispatch namespace; the dispatch router, bound to
 * the namespace with the outbound Worker in the path; the outbound Worker; the keys both need,
 * as secrets in the account's Secrets Store (the platform stack's, named by
 * `edge.secretsStoreId`); and one TenantApp per app. Configuration travels in json bindings,
 * keys only as secrets_store_secret. App code is not uploaded here: @pulumi/cloudflare 6 has no
 * resource for a script inside a namespace, so the platform deploys it (docs/edge.md, "Deploying apps").
 */
export class DispatchNamespace extends pulumi.ComponentResource {
  public readonly namespace: pulumi.Output<string>;
  public readonly routerScript: pulumi.Output<string>;
  /**
   * Each webhook environment's current signing secret (whsec_...) by environment, one Pulumi
   * secret, for that environment's receivers; undefined without webhooks.
   */
  public readonly webhookSigningSecrets: pulumi.Output<Record<string, string>> | undefined;

  constructor(name: string, args: DispatchNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENT_TYPES.dispatchNamespace, name, {}, opts);
    const { spec } = args;
    const { accountId } = spec.edge;
    const parent = { parent: this };

    const namespace = new WorkersForPlatformsDispatchNamespace(childName(name, "namespace"), { accountId, name: edgeName(spec.slug) }, parent);
    // The account's store, which the platform stack owns: one store per account is Cloudflare's limit.
    const storeId = spec.edge.secretsStoreId;
    const identityKey = new random.RandomPassword(childName(name, "identity-key"), { length: 64, special: false }, parent);
    const storeSecret = (secretName: EdgeStoreSecret, value: pulumi.Input<string>) => {
      const secret = new SecretsStoreSecret(childName(name, "secret", secretName.toLowerCase().replace(/_/g, "-")), {
        accountId, storeId, name: storeSecretName(spec.slug, secretName), scopes: ["workers"], value: pulumi.secret(value),
      }, parent);
      return { name: secretName, type: "secrets_store_secret", storeId, secretName: secret.name };
    };
    const identityBinding = storeSecret("IDENTITY_HMAC_KEY", identityKey.result);

    // The webhook signing secrets (property 19): one per environment with webhook endpoints, so a
    // dev delivery never verifies at a prod receiver; made here, kept in the store, bound to the
    // outbound Worker alone, which picks its environment's by the dispatch param (signing-keys.ts).
    // Each key's bytes are 43 random letters and digits (~256 bits), base64-encoded into the whsec_ form receivers expect.
    // Two slots per environment alternate through rotations (webhook-key-plan.ts); during an overlap the previous secret signs too.
    const rotation = spec.webhooks.length > 0 ? planWebhookKeys(spec.webhookSigning) : undefined;
    const signing = webhookEnvironments(spec).map((environment) => {
      const keys = new Map((rotation?.slots ?? []).map((slot) => [slot.name, new random.RandomPassword(childName(name, slot.name, environment), {
        length: 43, special: false, ...(slot.keepers === undefined ? {} : { keepers: { ...slot.keepers } }),
      }, parent)]));
      const secretOf = (slot: WebhookKeySlot | undefined) => (slot === undefined ? undefined : keys.get(slot.name)?.result.apply(standardWebhookSecret));
      return { environment, bindings: signingKeyBindings(environment), current: secretOf(rotation?.current), previous: secretOf(rotation?.previous) };
    });
    const webhookBindings = signing.flatMap(({ bindings, current, previous }) => [
      ...(current === undefined ? [] : [storeSecret(bindings.current as EdgeStoreSecret, current)]),
      ...(previous === undefined ? [] : [storeSecret(bindings.previous as EdgeStoreSecret, previous)]),
    ]);
    const readerBindings = [storeSecret("AWS_ACCESS_KEY_ID", args.awsAccessKeyId), storeSecret("AWS_SECRET_ACCESS_KEY", args.awsSecretAccessKey)];
    const outbound = new WorkersScript(childName(name, "outbound"), {
      accountId,
      scriptName: edgeName(spec.slug, "outbound"),
      mainModule: "outbound.mjs",
      content: bundleSource("outbound"),
      compatibilityDate: "2025-09-01",
      bindings: [
        { name: "SECRETS_CONFIG", type: "json", json: JSON.stringify(outboundConfig(spec, spec.edge.awsRegion)) },
        identityBinding,
        ...readerBindings,
        ...webhookBindings,
      ],
      limits: ROUTER_LIMITS,
      observability: OBSERVABILITY,
    }, parent);

    const router = new WorkersScript(childName(name, "router"), {
      accountId,
      scriptName: edgeName(spec.slug, "router"),
      mainModule: "dispatch.mjs",
      content: bundleSource("dispatch"),
      compatibilityDate: "2025-09-01",
      bindings: [
        { name: "ORG_CONFIG", type: "json", json: JSON.stringify(routerConfig(spec, edgeTrustOf(spec.edge))) },
        {
          name: "DISPATCHER", type: "dispatch_namespace", namespace: namespace.name,
          // The params the router passes per request become the outbound Worker's env.
          outbound: { worker: { service: outbound.scriptName }, params: ["org", "app", "environment"] },
        },
        identityBinding,
        { name: "RATE_LIMITER", type: "ratelimit", namespaceId: rateLimitNamespace(spec.slug), simple: { limit: spec.quotas.maxConcurrentRequests * 60, period: 60 } },
        // Keys are looked up by hash in the org's store on every request (property 18).
        ...(args.apiKeysDatabaseId === undefined ? [] : [{ name: API_KEYS_BINDING, type: "d1", id: args.apiKeysDatabaseId }]),
        // Inbound integrations' signing secrets are references the router reads itself (property 19).
        ...(spec.integrations.length > 0 ? readerBindings : []),
      ],
      limits: ROUTER_LIMITS,
      observability: OBSERVABILITY,
    }, parent);

    for (const app of spec.apps) {
      new TenantApp(childName(name, "app", app.slug), {
        slug: app.slug,
        workspace: app.workspace,
        access: app.access,
        namespace: edgeName(spec.slug),
        scripts: spec.environments.map((env) => scriptName(app.slug, env)),
        // The manifest the platform uploads each script with: configuration, never a secret.
        bindings: [{ name: "TENANTRY_APP", type: "plain_text", text: app.slug }],
      }, parent);
    }

    this.namespace = namespace.name.apply((n) => n ?? edgeName(spec.slug));
    this.routerScript = router.scriptName;
    this.webhookSigningSecrets = signingSecretMap(signing);
    this.registerOutputs({ namespace: this.namespace, routerScript: this.routerScript, webhookSigningSecrets: this.webhookSigningSecrets });
  }
}

/** environment -> current signing secret, as one secret output; undefined when no environment signs. */
function signingSecretMap(signing: readonly { readonly environment: string; readonly current: pulumi.Output<string> | undefined }[]): pulumi.Output<Record<string, string>> | undefined {
  const entries = signing.flatMap(({ environment, current }) => (current === undefined ? [] : [pulumi.all([environment, current])]));
  return entries.length === 0 ? undefined : pulumi.secret(pulumi.all(entries).apply((pairs) => Object.fromEntries(pairs)));
}
