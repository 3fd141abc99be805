/** One secret an app may use by reference, as the program binds it (`SECRETS_CONFIG`, json). */
export interface SecretGrant {
  /** The name an app writes in its placeholder, `{{secret:NAME}}`. */
  readonly name: string;
  /** The environment whose apps may use it. */
  readonly scope: string;
  /** `aws-secretsmanager:<secret name>#<json key>`. */
  readonly ref: string;
  /** The only destination hosts it may be sent to. */
  readonly allowedHosts: readonly string[];
}

/** A declared webhook endpoint (property 19), as the program binds it: where an environment's events of these types go. */
export interface WebhookEndpoint {
  readonly name: string;
  readonly environment: string;
  /** https to a public DNS name, validated by the spec; the only place its events are sent. */
  readonly url: string;
  readonly events: readonly string[];
}

export interface OutboundConfig {
  readonly region: string;
  readonly secrets: readonly SecretGrant[];
  /** Absent or empty: the org declares no webhooks, and every event is refused. */
  readonly webhooks?: readonly WebhookEndpoint[];
  /**
   * During a rotation's overlap: until when (ms since the epoch) deliveries are also signed with
   * each environment's previous secret (bindings WEBHOOK_SIGNING_KEY_<ENV>_PREVIOUS). Absent: only
   * the current ones sign. One generation for the org, so every webhook environment rotates at once.
   */
  readonly previousSigningKeyUntil?: number;
}

/** `{{secret:NAME}}` in a request header: the documented placeholder an app writes instead of a value. */
export const PLACEHOLDER = /\{\{secret:([A-Z][A-Z0-9_]{0,63})\}\}/g;

/** Requests to this host are answered by the outbound Worker itself (identity verification). */
export const INTERNAL_HOST = "identity.tenantry.internal";

/** An app sends an event with `POST https://webhooks.tenantry.internal/send` (docs/webhooks.md); the outbound Worker signs and delivers it. */
export const WEBHOOKS_HOST = "webhooks.tenantry.internal";
