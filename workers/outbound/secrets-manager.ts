import { AwsClient } from "aws4fetch";

/*
 * Secret values from AWS Secrets Manager, read with the outbound Worker's own credentials (an
 * IAM identity allowed GetSecretValue on this org's secret ARNs only). Values are cached per
 * isolate for a minute, so a rotated value is picked up without any change to Worker code.
 */

const TTL_MS = 60_000;
const cache = new Map<string, { readonly value: string; readonly until: number }>();

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
}

/** The value under `key` of the JSON secret `secretName`. Throws when it cannot be read. */
export async function readSecret(credentials: AwsCredentials, secretName: string, key: string): Promise<string> {
  const cacheKey = `${secretName}#${key}`;
  const cached = cache.get(cacheKey);
  if (cached !== undefined && cached.until > Date.now()) return cached.value;
  const aws = new AwsClient({ ...credentials, service: "secretsmanager" });
  const response = await aws.fetch(`https://secretsmanager.${credentials.region}.amazonaws.com/`, {
    method: "POST",
    headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "secretsmanager.GetSecretValue" },
    body: JSON.stringify({ SecretId: secretName }),
  });
  if (!response.ok) throw new Error(`GetSecretValue ${secretName}: HTTP ${response.status}`);
  const { SecretString } = (await response.json()) as { SecretString?: string };
  const value = (JSON.parse(SecretString ?? "{}") as Record<string, unknown>)[key];
  if (typeof value !== "string") throw new Error(`secret ${secretName} has no key ${key}`);
  cache.set(cacheKey, { value, until: Date.now() + TTL_MS });
  return value;
}
