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

export interface OutboundConfig {
  readonly region: string;
  readonly secrets: readonly SecretGrant[];
}

/** `{{secret:NAME}}` in a request header: the documented placeholder an app writes instead of a value. */
export const PLACEHOLDER = /\{\{secret:([A-Z][A-Z0-9_]{0,63})\}\}/g;

/** Requests to this host are answered by the outbound Worker itself (identity verification). */
export const INTERNAL_HOST = "identity.tenantry.internal";
