import { D1Database } from "@pulumi/cloudflare/d1database";
import { Provider as CloudflareProvider } from "@pulumi/cloudflare/provider";
import { SecretsStoreSecret } from "@pulumi/cloudflare/secretsStoreSecret";
import { WorkersRoute } from "@pulumi/cloudflare/workersRoute";
import { WorkersScript } from "@pulumi/cloudflare/workersScript";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { childName } from "../spec/naming";
import { bundleSource } from "../workers/build";
import { gatewayAuditBinding, gatewayConfig, OPERATOR_GATEWAY_NAMES } from "./operator-gateway-plan";
import type { PlatformConfig } from "./platform-config";
import { COMPONENT_TYPES } from "./type-tokens";

export interface OperatorGatewayArgs {
  readonly operators: NonNullable<PlatformConfig["operators"]>;
  /** The Secrets Store of the gateway's account (the platform stack's, one per account). */
  readonly storeId: pulumi.Input<string>;
}

/**
 * The operator gateway (DESIGN property 9): its allowlist in D1 (strongly consistent, read on
 * every request), the gateway Worker bound to it, and its route. Wiring only: names and
 * configuration come from operator-gateway-plan.ts.
 */
export class OperatorGateway extends pulumi.ComponentResource {
  public readonly allowlistDatabaseId: pulumi.Output<string>;
  /** The key the console verifies the gateway's identity headers with: a secret output, never plain. */
  public readonly identityKey: pulumi.Output<string>;

  constructor(name: string, args: OperatorGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENT_TYPES.operatorGateway, name, { accountId: args.operators.accountId }, opts);
    const { accountId } = args.operators;
    const provider = new CloudflareProvider(childName(name, "cloudflare"), {}, { parent: this });
    const parent = { parent: this, provider };
    // The allowlist is who may reach every org as an operator: protected, and kept if ever removed.
    const allowlist = new D1Database(childName(name, "allowlist"), {
      accountId, name: OPERATOR_GATEWAY_NAMES.allowlistDatabase,
      // Replicas can lag the primary; the gateway must read the allowlist as last written.
      readReplication: { mode: "disabled" },
    }, { ...parent, protect: true, retainOnDelete: true });
    const identityKey = new random.RandomPassword(childName(name, "identity-key"), { length: 64, special: false }, { parent: this });
    const keySecret = new SecretsStoreSecret(childName(name, "identity-key-secret"), {
      accountId, storeId: args.storeId, name: OPERATOR_GATEWAY_NAMES.identityKeySecret, scopes: ["workers"], value: pulumi.secret(identityKey.result),
    }, parent);
    const script = new WorkersScript(childName(name, "script"), {
      accountId,
      scriptName: OPERATOR_GATEWAY_NAMES.script,
      mainModule: "operator-gateway.mjs",
      content: bundleSource("operator-gateway"),
      compatibilityDate: "2025-09-01",
      bindings: [
        { name: "GATEWAY_CONFIG", type: "json", json: JSON.stringify(gatewayConfig(args.operators)) },
        { name: "ALLOWLIST", type: "d1", id: allowlist.id },
        { name: "IDENTITY_HMAC_KEY", type: "secrets_store_secret", storeId: args.storeId, secretName: keySecret.name },
        // Every decision is POSTed to the platform's audit sink before anything reaches the console.
        gatewayAuditBinding(args.operators),
      ],
      // Each decision is also a log line in Workers Logs: logs on.
      observability: { enabled: true, logs: { enabled: true, invocationLogs: true } },
    }, parent);
    new WorkersRoute(childName(name, "route"), { zoneId: args.operators.zoneId, pattern: args.operators.route, script: script.scriptName }, parent);
    this.allowlistDatabaseId = allowlist.id;
    // The console needs it to tell the gateway's identity from a forged one; it lives nowhere else.
    this.identityKey = pulumi.secret(identityKey.result);
    this.registerOutputs({ allowlistDatabaseId: this.allowlistDatabaseId, identityKey: this.identityKey });
  }
}
