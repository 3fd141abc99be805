import { z } from "zod";
import { PLACED_FORBIDDEN_KEYS } from "../spec/placement-connection";
import type { StackFileKey } from "../harness/stack-file";
import { PROVIDER_POOL_CONNECTIONS } from "../spec/connection-budget";
import { PLATFORM_FORM } from "../spec/platform-names";
import { PATH } from "../spec/provider-trust";
import { HOST_NAME, POSTGRES_KEYS_READ, POSTGRES_RESERVED_ROLE, TLS_MODES } from "../spec/provider-settings";
import { orgSpecFields } from "../spec/spec";
import { ORG_CONFIG_KEY } from "../spec/spec-errors";
import { CREDENTIAL_KEY } from "../spec/stack-config";

/*
 * schema/stack.schema.json: the JSON Schema of a whole stack file, `Pulumi.<stack>.yaml`, so an
 * editor (yaml-language-server, through the `# yaml-language-server: $schema=` line) checks it
 * while the user types. `tenantry:org` is zod's own rendering of the org spec's fields, never a
 * copy; the rest follows what the program reads from the stack's configuration
 * (spec/stack-config.ts, spec/provider-settings.ts, harness/stack-file.ts). It says less than
 * `tenantry validate` where JSON Schema cannot follow (docs/org-spec.md lists those rules), and
 * never more: a file the program accepts is never marked wrong.
 */

export const STACK_SCHEMA_PATH = "schema/stack.schema.json";

/** A rule `tenantry validate` applies to one field that JSON Schema cannot state, so an editor does not check it. */
export interface RuleBeyondSchema {
  /** The field, as docs/org-spec.md and the error messages name it. */
  readonly field: string;
  readonly rule: string;
  /** zod's issue path (dot-joined) of a problem this rule reports in tenantry:org, when it is there. */
  readonly orgPath?: RegExp;
}

/** Field-level rules the schema states less of; the rules over two fields are CROSS_FIELD_RULES. */
export const RULES_BEYOND_SCHEMA: readonly RuleBeyondSchema[] = [
  {
    field: "tenantry:org.apps[].forwardHeaders[]",
    rule: "The name carries no identity or credential word, is not a proxy's, platform's or hop-by-hop header, no cookie, and not in the router's x-tenantry- namespace (spec/header-names.ts); the schema checks its token shape only.",
    orgPath: /^apps\.\d+\.forwardHeaders\.\d+$/,
  },
  { field: "tenantry:org.slug", rule: "It matches the stack's name: the file Pulumi.org-<slug>.yaml declares org <slug> (the schema cannot see the file name)." },
  { field: "postgresql:port", rule: "Quoted, it is a number 1..65535 (the schema checks the range of an unquoted port only)." },
];

type JsonSchema = Record<string, unknown>;

/** The org spec's fields: the program's (orgSpecFields), or in a test another spec's. */
type OrgFields = z.ZodType;

/** The org spec as a stack file holds it: before defaults are applied, so optional fields stay optional. */
export function orgJsonSchema(fields: OrgFields = orgSpecFields): JsonSchema {
  const { $schema: _draft, ...org } = z.toJSONSchema(fields, { target: "draft-07", io: "input", unrepresentable: "throw" }) as JsonSchema;
  // Inlined below #/definitions/org, a reference of zod's own would point at the wrong root.
  if (JSON.stringify(org).includes('"$ref"')) throw new Error("the org spec's JSON Schema has a $ref: render it with reused: inline");
  return org;
}

/** How Pulumi writes a value set with `pulumi config set --secret`. */
const SECURE_VALUE: JsonSchema = {
  type: "object",
  description: "An encrypted value, as `pulumi config set --secret` writes it.",
  properties: { secure: { type: "string", description: "The ciphertext, readable only with the stack's secrets provider." } },
  required: ["secure"],
  additionalProperties: false,
};

const secureOr = (plain: JsonSchema, description: string): JsonSchema => ({ description, anyOf: [plain, { $ref: "#/definitions/secure" }] });

/** A key the program refuses whatever its value, with why (shown on hover). */
const refused = (description: string): JsonSchema => ({ description, not: {} });

/** A pattern without flags (JSON Schema has none) that matches what `regex` matches ignoring case. */
export function caseInsensitive(regex: RegExp): string {
  if (/[[\\{]/.test(regex.source)) throw new Error(`caseInsensitive handles letters, _ | and groups only: ${regex.source}`);
  return regex.source.replace(/[a-z]/gi, (c) => `[${c.toLowerCase()}${c.toUpperCase()}]`);
}

/** The `postgresql:*` settings the org's provider is built from (spec/provider-settings.ts). */
function providerSettings(): Record<string, JsonSchema> {
  const path = { type: "string", pattern: PATH.source };
  const settings: Record<string, JsonSchema> = {
    host: { type: "string", pattern: HOST_NAME.source, description: "The Postgres server's host name." },
    port: {
      description: "The server's port (default 5432). A quoted port's range is checked by tenantry validate.",
      anyOf: [{ type: "integer", minimum: 1, maximum: 65535 }, { type: "string" }],
    },
    username: {
      type: "string",
      maxLength: 63,
      allOf: [{ pattern: PLATFORM_FORM.source }, { not: { pattern: POSTGRES_RESERVED_ROLE.source } }],
      description: "The provider's login role, in the platform's name form: one word of a-z and 0-9 (e.g. tenantry), or words joined by __. It becomes a member of each org's owner role.",
    },
    database: secureOr({ type: "string" }, "The database the provider connects to (default postgres)."),
    sslmode: { enum: [...TLS_MODES], description: "An encrypting sslmode: role passwords travel over this connection." },
    sslrootcert: secureOr(
      path,
      "A PEM file of the CAs the server's certificate must chain to, on the machine that runs pulumi up (relative to the project directory), or system (verify-full only). Needs sslmode verify-ca or verify-full.",
    ),
    clientcert: {
      type: "object",
      description: "The client certificate and key files (PEM) presented to the server, on the machine that runs pulumi up.",
      properties: {
        cert: { ...path, description: "The client certificate file." },
        key: { ...path, description: "Its private key file." },
        sslinline: { const: false, description: "Must be false: inline, the private key would sit in the stack's config." },
      },
      required: ["cert", "key"],
      additionalProperties: false,
    },
    superuser: { enum: ["false", false], description: "Must be false: tenantry deploys with a non-superuser account (on RDS, rds_superuser by membership)." },
    maxConnections: {
      enum: [String(PROVIDER_POOL_CONNECTIONS), PROVIDER_POOL_CONNECTIONS],
      description: `Must be ${PROVIDER_POOL_CONNECTIONS}: the provider's pool per database, which counts against the org database's connection limit and is what tenantry reserves for it.`,
    },
    password: {
      $ref: "#/definitions/secure",
      description: "The provider's password, only as a secret (pulumi config set --secret postgresql:password); or leave it out and export PGPASSWORD in the deploy job.",
    },
  };
  const unchecked = POSTGRES_KEYS_READ.filter((key) => settings[key] === undefined);
  if (unchecked.length > 0) throw new Error(`no schema for postgresql:${unchecked.join(", postgresql:")}`);
  return Object.fromEntries(Object.entries(settings).map(([key, schema]) => [`postgresql:${key}`, schema]));
}

/** The `config:` mapping: the org spec, the provider settings, and what the program refuses. */
function configSchema(): JsonSchema {
  const orgRef = { $ref: "#/definitions/org" };
  return {
    type: "object",
    description:
      "The stack's configuration. tenantry reads tenantry:org and the postgresql:* settings; it refuses any other tenantry:* key, every aws:* and cloudflare:* key, postgresql:* keys its provider does not read, and credentials in plain text. Keys of other namespaces are allowed and not read.",
    properties: {
      [ORG_CONFIG_KEY]: orgRef,
      org: { ...orgRef, description: `Same as ${ORG_CONFIG_KEY}: Pulumi puts a key without a namespace into the project's (tenantry).` },
      ...providerSettings(),
    },
    patternProperties: {
      "^tenantry:(?!org$)": refused(`Not a tenantry setting: tenantry reads only ${ORG_CONFIG_KEY}, and has no dev-mode or bypass switch.`),
      "^(?!org$)[^:]*$": refused(`A key without a namespace is tenantry:<key>, and tenantry reads only ${ORG_CONFIG_KEY}.`),
      "^aws:": refused("Not read: the org's AWS provider takes its region from tenantry:org.edge.awsRegion and its credentials from the deploy environment."),
      "^cloudflare:": refused("Not read: the org's Cloudflare provider takes the account from tenantry:org.edge.accountId and its API token from CLOUDFLARE_API_TOKEN."),
      [`^postgresql:(?!(?:${POSTGRES_KEYS_READ.join("|")})$)`]: refused(`Not read: the org's Postgres provider takes only postgresql:${POSTGRES_KEYS_READ.join(", ")}.`),
      [caseInsensitive(CREDENTIAL_KEY)]: { $ref: "#/definitions/secure", description: "A credential: only as a secret (pulumi config set --secret <key>), never in plain text." },
    },
    additionalProperties: { description: "A setting of another namespace: tenantry does not read it." },
    oneOf: [{ required: [ORG_CONFIG_KEY] }, { required: ["org"] }],
    // The two settings lib/pq would honour less than they seem to ask for (spec/provider-trust.ts).
    dependencies: {
      "postgresql:sslrootcert": { properties: { "postgresql:sslmode": { enum: ["verify-ca", "verify-full"] } } },
    },
    if: { properties: { "postgresql:sslrootcert": { const: "system" } }, required: ["postgresql:sslrootcert"] },
    then: { properties: { "postgresql:sslmode": { const: "verify-full" } } },
    required: ["postgresql:username", "postgresql:sslmode", "postgresql:superuser", "postgresql:maxConnections"],
    // An org on its own server names it; a placed org names none and no port or password (spec/placement-connection.ts).
    anyOf: [
      { required: ["postgresql:host"], properties: { [ORG_CONFIG_KEY]: unplaced, org: unplaced } },
      { not: { anyOf: PLACED_FORBIDDEN.map((key) => ({ required: [key] })) }, anyOf: [{ required: [ORG_CONFIG_KEY], properties: { [ORG_CONFIG_KEY]: placed } }, { required: ["org"], properties: { org: placed } }] },
    ],
  };
}

const unplaced = { not: { required: ["placement"] } };
const placed = { required: ["placement"] };
const PLACED_FORBIDDEN = Object.keys(PLACED_FORBIDDEN_KEYS);

/** The whole stack file: Pulumi's top-level attributes (its stack settings file reference), exactly STACK_FILE_KEYS. */
export function stackFileSchema(fields: OrgFields = orgSpecFields): JsonSchema {
  return {
    // Draft 7: what yaml-language-server, the editors' YAML checker, implements in full.
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "tenantry stack file (Pulumi.<stack>.yaml)",
    description: "One tenant org per stack: its org spec under config.tenantry:org, and the Postgres provider's connection. Generated from the org spec by npm run generate; see docs/org-spec.md.",
    type: "object",
    properties: {
      // satisfies: a key of STACK_FILE_KEYS without a schema here, or one here not in it, does not compile.
      config: configSchema(),
      secretsprovider: { type: "string", description: "The secrets provider that encrypts this stack's secure values (Pulumi's)." },
      encryptedkey: { type: "string", description: "The KMS-encrypted data key, for cloud secrets providers (Pulumi's)." },
      encryptionsalt: { type: "string", description: "The base64 encryption salt, for the passphrase secrets provider (Pulumi's)." },
      environment: {
        description: "Pulumi ESC environments this stack imports. Their values reach the program at deploy time, not tenantry check: keep the org in this file.",
        anyOf: [{ type: "array", items: { type: "string" } }, { type: "object" }],
      },
    } satisfies Record<StackFileKey, JsonSchema>,
    required: ["config"],
    additionalProperties: false,
    definitions: { org: orgJsonSchema(fields), secure: SECURE_VALUE },
  };
}

export function renderStackSchema(fields: OrgFields = orgSpecFields): string {
  return `${JSON.stringify(stackFileSchema(fields), null, 2)}\n`;
}
