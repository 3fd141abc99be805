import { describe, expect, it } from "vitest";
import { credentialShapeOf, looksLikeCredentialName, nameWords } from "../../policies/credential-patterns";
import { iamWildcards } from "../../policies/iam-document";

describe("what looks like a credential", () => {
  it.each(["API_TOKEN", "dbPassword", "db-passwd", "STRIPE_SECRET", "api_key", "privateKey", "HMAC_KEY", "DATABASE_DSN", "clientCredentials",
    "PGPASSWORD", "DBPassword", "AWSSecretKey", "JWTSecret", "DB_PASSWORD_PROD", "API_TOKEN_V2", "PRIVATE_KEY_PEM", "apiKeys", "AUTH_TOKENS", "DB_PASS", "SMTP_PW", "GITHUB_PAT"])(
    "the name %s does", (name) => expect(looksLikeCredentialName(name)).toBe(true));

  it.each(["TOKEN_AUDIENCE", "ACCEPTED_ISSUER", "CACHE_KEY", "PUBLIC_KEY", "ORG_SLUG", "key", "secretRefs", "password_policy_url", "SECRETS_CONFIG", "API_KEY_HEADER", "passenger_count"])(
    "the name %s does not", (name) => expect(looksLikeCredentialName(name)).toBe(false));

  it("splits names in every casing into words", () => {
    expect(nameWords("dbPassword")).toEqual(["db", "password"]);
    expect(nameWords("DB_PASSWORD")).toEqual(["db", "password"]);
    expect(nameWords("x-api-key")).toEqual(["x", "api", "key"]);
  });

  it.each([
    ["-----BEGIN RSA PRIVATE KEY-----\nMIIE...", "a private key"],
    ["AKIAIOSFODNN7EXAMPLE", "an AWS access key id"],
    ["eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ", "a JSON Web Token"],
    ["postgres://app:s3cret@db.internal:5432/tn_acme", "a URL with a password"],
    ["Bearer abcdefghijklmnopqrstuvwxyz012345", "an authorization header value"],
    ["Basic ZGV2OnN1cGVyLXNlY3JldC1wYXNz", "an authorization header value"],
    ["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "a high-entropy string"],
    ["redis://:hunter2@cache.internal:6379", "a URL with a password"],
    ["-----BEGIN PGP PRIVATE KEY BLOCK-----", "a private key"],
    ["ghp_0123456789abcdefghijABCDEFGHIJ", "a provider API token"],
    ["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEYzQ9x+Tq7Lm2Np4Rs", "a high-entropy string"],
  ])("the value %j is %s", (value, shape) => expect(credentialShapeOf(value)).toBe(shape));

  it.each([
    "https://auth.acme.com/.well-known/jwks.json",
    "https://cdn.acme.com/static/Assets2024/build/Main/index.html",
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "aws-secretsmanager:acme/prod/db#url",
    "tenantry-apps",
    "sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC",
    "pk_live_51H8abcdefghijklmnopqrstuvwxyz0123456789ABCDEF",
    "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----",
    "static/Assets2024/build/Main/index.html",
  ])("the value %j is not", (value) => expect(credentialShapeOf(value)).toBeUndefined());
});

describe("wildcards in an IAM identity policy", () => {
  const document = (statement: object) => JSON.stringify({ Version: "2012-10-17", Statement: [statement] });
  const arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:tn-acme/prod/runtime-AbCdEf";

  it("finds none in a policy that names its actions and secret ARNs", () => {
    expect(iamWildcards(document({ Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [arn] }))).toEqual([]);
  });

  it("finds *, service-wide and prefix actions, * resources and inverted lists", () => {
    expect(iamWildcards(document({ Effect: "Allow", Action: ["*", "secretsmanager:*", "kms:Get*"], Resource: "*" }))).toEqual([
      "statement 1 allows action *", "statement 1 allows action secretsmanager:*", "statement 1 allows action kms:Get*", "statement 1 allows resource *",
    ]);
    expect(iamWildcards(document({ Effect: "Allow", NotAction: "iam:*", Resource: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:*" }))).toEqual([
      "statement 1 allows NotAction (everything but a list)", "statement 1 allows resource arn:aws:secretsmanager:eu-west-1:123456789012:secret:*",
    ]);
  });

  it("finds a tenant-wide prefix, ? in actions, but allows Secrets Manager's six-character suffix", () => {
    expect(iamWildcards(document({ Effect: "Allow", Action: "secretsmanager:GetSecretValu?", Resource: ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:tn-*", `${arn.slice(0, -7)}-??????`] }))).toEqual([
      "statement 1 allows action secretsmanager:GetSecretValu?", "statement 1 allows resource arn:aws:secretsmanager:eu-west-1:123456789012:secret:tn-*",
    ]);
  });

  it("reads a single statement object, and ignores Deny statements", () => {
    expect(iamWildcards({ Statement: { Effect: "Deny", Action: "*", Resource: "*" } })).toEqual([]);
  });
});
