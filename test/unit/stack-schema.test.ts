import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { parseStackFile, STACK_FILE_KEYS, STACK_SCHEMA_MODELINE, readStackFile } from "../../harness/stack-file";
import { renderStackSchema, RULES_BEYOND_SCHEMA, STACK_SCHEMA_PATH } from "../../reference/stack-schema";
import { checkProviderSettings } from "../../spec/provider-settings";
import { QUOTA_BOUNDS } from "../../spec/quota-bounds";
import { orgSpecFields, orgSpecSchema } from "../../spec/spec";
import { SpecError } from "../../spec/spec-errors";
import { tenantStackFromConfig } from "../../spec/stack-config";

/*
 * schema/stack.schema.json against the program's own check: the schema never refuses a stack file
 * the program accepts, and refuses what the program refuses at field level, except the rules
 * listed as beyond it (RULES_BEYOND_SCHEMA, CROSS_FIELD_RULES).
 */

const ROOT = join(__dirname, "..", "..");
const SCHEMA = JSON.parse(readFileSync(join(ROOT, STACK_SCHEMA_PATH), "utf8")) as Record<string, unknown>;
// allowMatchingProperties: a credential pattern deliberately also covers postgresql:password (ajv's strict mode would call it a mistake).
const ajv = new Ajv({ allErrors: true, allowMatchingProperties: true });
ajv.addSchema(SCHEMA, "stack");
const validateStack = ajv.getSchema("stack") as ValidateFunction;
const validateOrg = ajv.compile({ $ref: "stack#/definitions/org" });

/** Every stack file on disk: stacks/ and every fixture under test/fixtures/. */
function stackFilesOnDisk(): { name: string; path: string }[] {
  const found: { name: string; path: string }[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/^Pulumi\..+\.ya?ml$/.test(entry.name)) found.push({ name: path.slice(ROOT.length + 1), path });
    }
  };
  walk(join(ROOT, "stacks"));
  walk(join(ROOT, "test", "fixtures"));
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

function programAccepts(path: string): boolean {
  try {
    tenantStackFromConfig({ ...readStackFile(path), now: new Date() });
    return true;
  } catch (error) {
    if (error instanceof SpecError) return false;
    throw error;
  }
}

const FILES = stackFilesOnDisk().map((file) => ({ ...file, accepted: programAccepts(file.path), document: parse(readFileSync(file.path, "utf8")) as { config: Record<string, unknown> } }));
const schemaErrors = (document: unknown) => (validateStack(document) ? [] : (validateStack.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ""}`));

/**
 * The refused fixtures the schema accepts, each with the rule that refuses it: a rule over two
 * fields, or the file's name. Kept exact both ways, so a fixture the schema should catch and a
 * rule the schema learns are both noticed here.
 */
const REFUSED_BEYOND_THE_SCHEMA: Record<string, string> = {
  "app-in-unknown-workspace": "apps[].workspace must name one of workspaces (two fields)",
  "app-user-outside-claimed-domains": "apps[].access.users[] must be in claimedDomains (two fields)",
  "apps-without-an-edge": "edge is required when there are apps (two fields)",
  "break-glass-too-long": "breakGlass.expiresAt against the clock (more than 24 h ahead)",
  "break-glass-outside-claimed-domains": "breakGlass.grantee must be in claimedDomains (two fields)",
  "break-glass-without-expiry": "breakGlass fields required when enabled is true (two fields)",
  "connections-below-environment-needs": "quotas.maxConnections against the number of environments (two fields)",
  "copied-stack-file-keeps-old-slug": "slug against the file's name, which the schema cannot see",
  "lock-timeout-above-statement-timeout": "quotas.lockTimeoutMs against quotas.statementTimeoutMs (two fields)",
  "operator-issuer-is-the-app-issuer": "edge.operator.issuer against edge.identity.issuer (two fields)",
  "schema-postgres-owns": "a workspace with an environment composes information_schema (two fields)",
  "secret-of-another-org": "secrets[].ref against slug and scope (three fields)",
  "secret-scope-not-an-environment": "secrets[].scope against environments (two fields)",
};

const fixtureName = (name: string) => name.split("/").at(-2) ?? name;

describe("schema/stack.schema.json", () => {
  it("finds the stacks and fixtures it is checked against on disk", () => {
    expect(FILES.filter((f) => f.accepted).length).toBeGreaterThanOrEqual(11);
    expect(FILES.filter((f) => !f.accepted).length).toBeGreaterThanOrEqual(30);
  });

  it.each(FILES.filter((f) => f.accepted).map((f) => [f.name, f] as const))("accepts %s, which the program accepts", (_name, { document }) => {
    expect(schemaErrors(document)).toEqual([]);
  });

  it.each(FILES.filter((f) => !f.accepted && REFUSED_BEYOND_THE_SCHEMA[fixtureName(f.name)] === undefined).map((f) => [f.name, f] as const))(
    "refuses %s, which the program refuses at field level",
    (_name, { document }) => {
      expect(schemaErrors(document)).not.toEqual([]);
    },
  );

  it("accepts exactly the refused fixtures whose rule relates two fields or the file name, and each is valid field by field", () => {
    const acceptedButRefused = FILES.filter((f) => !f.accepted && schemaErrors(f.document).length === 0);
    expect(acceptedButRefused.map((f) => fixtureName(f.name)).sort()).toEqual(Object.keys(REFUSED_BEYOND_THE_SCHEMA).sort());
    for (const { name, document } of acceptedButRefused) {
      expect(orgSpecFields.safeParse(document.config["tenantry:org"]).success, name).toBe(true);
    }
  });

  it("starts every stack in stacks/ with the modeline, whose relative path reaches the schema from there", () => {
    const stacks = FILES.filter((f) => f.name.startsWith("stacks/"));
    expect(stacks.length).toBeGreaterThanOrEqual(2);
    for (const { path } of stacks) expect(readFileSync(path, "utf8").split("\n")[0]).toBe(STACK_SCHEMA_MODELINE);
    expect(resolve(ROOT, "stacks", STACK_SCHEMA_MODELINE.replace(/^.*\$schema=/, ""))).toBe(join(ROOT, STACK_SCHEMA_PATH));
  });

  it("describes every field of the org spec, for the editor's hover and docs/org-spec.md", () => {
    const undescribed: string[] = [];
    const walk = (schema: unknown, path: string): void => {
      if (typeof schema !== "object" || schema === null) return;
      const node = schema as Record<string, unknown>;
      for (const [key, child] of Object.entries((node["properties"] ?? {}) as Record<string, unknown>)) {
        if (typeof (child as Record<string, unknown>)["description"] !== "string") undescribed.push(`${path}.${key}`);
        walk(child, `${path}.${key}`);
      }
      walk(node["items"], `${path}[]`);
    };
    walk((SCHEMA["definitions"] as Record<string, unknown>)["org"], "tenantry:org");
    expect(undescribed).toEqual([]);
  });
});

describe("the schema and the spec on generated org specs", () => {
  const ACME = (FILES.find((f) => f.name === "stacks/Pulumi.org-acme.yaml")?.document.config["tenantry:org"] ?? {}) as Record<string, unknown>;
  const beyond = RULES_BEYOND_SCHEMA.flatMap((rule) => (rule.orgPath === undefined ? [] : [rule.orgPath]));

  /** Every path into acme's spec, to an object, a list or a value. */
  const paths: (string | number)[][] = [];
  const collect = (value: unknown, path: (string | number)[]): void => {
    paths.push(path);
    if (Array.isArray(value)) value.forEach((item, i) => collect(item, [...path, i]));
    else if (typeof value === "object" && value !== null) for (const [k, v] of Object.entries(value)) collect(v, [...path, k]);
  };
  collect(ACME, []);

  const wrongValue = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.integer({ min: -70_000, max: 700_000 }),
    fc.constantFrom(0, -1, 0.5, 99, 100, 101, 200, 201, 999, 1000, 60_000, 60_001, 600_001, 65_536, 65_537, 10_001, true, false, null, [], {}, "", "x".repeat(300)),
    fc.constantFrom("dev", "prod", "web", "pg", "tn-x", "audit", "owner", "deploy.*", "deploy.nope", "acme.com", "gmail.com", "https://x.example/", "http://x.example/", "aws-secretsmanager:acme/prod/x#k"),
    fc.array(fc.constantFrom("dev", "web", 1, "x-shop-locale"), { maxLength: 3 }),
  );
  const headerName = fc.oneof(
    fc.constantFrom("x-shop-locale", "x-user-id", "x-tenantry-org", "cookie", "x-forwarded-for", "connection", "X-Upper", "x_under", "accept-language"),
    fc.stringMatching(/^[a-z][a-z-]{0,10}$/),
  );
  type Mutation = (spec: Record<string, unknown>) => void;
  const at = (spec: unknown, path: (string | number)[]) => path.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], spec);
  /** The object at `path`, or undefined once an earlier mutation has put something else there. */
  const objectAt = (spec: unknown, path: (string | number)[]): Record<string | number, unknown> | undefined => {
    const node = path.reduce<unknown>((n, key) => (typeof n === "object" && n !== null ? (n as Record<string | number, unknown>)[key] : undefined), spec);
    return typeof node === "object" && node !== null ? (node as Record<string | number, unknown>) : undefined;
  };
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    // A wrong type or an out-of-bounds value anywhere.
    fc.tuple(fc.constantFrom(...paths.filter((p) => p.length > 0)), wrongValue).map(([path, value]): Mutation => (spec) => {
      const parent = objectAt(spec, path.slice(0, -1));
      if (parent !== undefined) parent[path.at(-1) as string | number] = value;
    }),
    // An unknown key in any object.
    fc.tuple(fc.constantFrom(...paths.filter((p) => { const v = at(ACME, p); return typeof v === "object" && v !== null && !Array.isArray(v); })), fc.constantFrom("devMode", "bypass", "Slug", "extra")).map(([path, key]): Mutation => (spec) => {
      const target = objectAt(spec, path);
      if (target !== undefined && !Array.isArray(target)) target[key] = true;
    }),
    // A field left out.
    fc.constantFrom(...paths.filter((p) => p.length > 0 && typeof p.at(-1) === "string")).map((path): Mutation => (spec) => {
      const parent = objectAt(spec, path.slice(0, -1));
      if (parent !== undefined) delete parent[path.at(-1) as string];
    }),
    // A quota at, just inside or just outside its bounds.
    fc.constantFrom(...Object.entries(QUOTA_BOUNDS)).chain(([key, { min, max }]) =>
      fc.constantFrom(min - 1, min, max, max + 1, min + 0.5).map((value): Mutation => (spec) => {
        const quotas = objectAt(spec, ["quotas"]);
        if (quotas !== undefined) quotas[key] = value;
      })),
    // Headers an app asks to receive.
    fc.array(headerName, { maxLength: 3 }).map((names): Mutation => (spec) => {
      const app = objectAt(spec, ["apps", 0]);
      if (app !== undefined) app["forwardHeaders"] = names;
    }),
  );

  it("never refuses a spec the spec accepts, and refuses every one whose fields zod refuses, except by a rule listed beyond the schema", () => {
    let refused = 0;
    fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (mutations) => {
      const spec = structuredClone(ACME);
      for (const mutate of mutations) mutate(spec);
      const schemaAccepts = validateOrg(spec);
      // Never stricter than the whole spec; the schema may state some cross-field rules too (uniqueItems).
      if (orgSpecSchema(new Date()).safeParse(spec).success) {
        expect(validateOrg.errors ?? []).toEqual([]);
        return;
      }
      const zod = orgSpecFields.safeParse(spec);
      if (zod.success) return;
      refused += 1;
      const onlyBeyond = zod.error.issues.every((issue) => beyond.some((path) => path.test(issue.path.join("."))));
      if (!onlyBeyond) expect(schemaAccepts, JSON.stringify(zod.error.issues.map((i) => [i.path.join("."), i.message]))).toBe(false);
    }), { numRuns: 1500 });
    // The generator reaches refused specs, or the property above would prove little.
    expect(refused).toBeGreaterThan(750);
  });

  it("judges the provider's login name as the program does (generated names)", () => {
    const config = FILES.find((f) => f.name === "stacks/Pulumi.org-acme.yaml")?.document.config ?? {};
    fc.assert(fc.property(fc.oneof(fc.stringMatching(/^[a-z0-9_]{0,14}$/), fc.constantFrom("public", "none", "pg_x", "pg__x", "pg", "a__b", "a_b", "a___b", "tenantry", "x".repeat(64))), (username) => {
      const values = Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
      const program = !checkProviderSettings({ ...values, "postgresql:username": username }).problems.some((p) => p.field === "postgresql:username");
      expect(schemaErrors({ config: { ...config, "postgresql:username": username } }).length === 0, username).toBe(program);
    }), { numRuns: 300 });
  });
});

describe("the schema and the program on generated config keys", () => {
  const ACME_FILE = FILES.find((f) => f.name === "stacks/Pulumi.org-acme.yaml");
  /** The fields the program refuses, none when it accepts. */
  const programRefuses = (text: string): string[] => {
    try {
      tenantStackFromConfig({ ...parseStackFile(text, "Pulumi.org-acme.yaml"), now: new Date() });
      return [];
    } catch (error) {
      if (error instanceof SpecError) return error.problems.map((p) => p.field);
      throw error;
    }
  };
  const beyondFields = new Set(RULES_BEYOND_SCHEMA.map((rule) => rule.field));

  it("agree on every key added to acme's config, plain or secure, whatever its namespace, save the rules listed beyond the schema", () => {
    const namespace = fc.constantFrom("tenantry:", "aws:", "cloudflare:", "postgresql:", "github:", "random:", "");
    const name = fc.constantFrom("devMode", "token", "apiKey", "API_TOKEN", "region", "password", "host", "database", "sslrootcert", "port", "extra", "clientSecret");
    const value = fc.oneof(fc.constantFrom("x", "5432", "verify-full"), fc.constant({ secure: "v1:AAAA" }));
    fc.assert(fc.property(namespace, name, value, (ns, key, v) => {
      const document = { ...ACME_FILE?.document, config: { ...ACME_FILE?.document.config, [`${ns}${key}`]: v } };
      const refused = programRefuses(stringify(document));
      const schemaAccepts = schemaErrors(document).length === 0;
      const what = `${ns}${key}: ${JSON.stringify(v)}`;
      if (refused.length === 0) expect(schemaAccepts, what).toBe(true);
      // Only a rule listed beyond the schema (a quoted port's range) may let the schema accept what the program refuses.
      else if (!refused.every((field) => beyondFields.has(field))) expect(schemaAccepts, what).toBe(false);
    }), { numRuns: 400 });
  });

  it("agree on every key added at the top level of acme's file, beside config: Pulumi's own keys pass when of Pulumi's shape, any other key is refused", () => {
    const pulumiKeys = STACK_FILE_KEYS.filter((key) => key !== "config");
    /** A value for one of Pulumi's keys, and whether it is of the shape Pulumi reads (this test's own statement of it). */
    const pulumiValue = (key: string): fc.Arbitrary<readonly [unknown, boolean]> => fc.oneof(
      (key === "environment"
        ? fc.oneof(fc.array(fc.constantFrom("acme/prod", "shared"), { maxLength: 2 }), fc.constant({ imports: ["acme/prod"] }))
        : fc.constantFrom("passphrase", "v1:c2FsdA==", "awskms://alias/x", "")).map((value) => [value, true] as const),
      fc.constantFrom<unknown>(5, true, null, ["x", 1], ...(key === "environment" ? ["acme/prod"] : [["x"], { a: 1 }])).map((value) => [value, false] as const),
    );
    const slip = fc.tuple(fc.constantFrom(...STACK_FILE_KEYS), fc.nat(), fc.constantFrom(..."aeiouxz")).map(([key, at, letter]) => {
      const i = at % key.length;
      return at % 2 === 0 ? key.slice(0, i) + letter + key.slice(i + 1) : key.slice(0, i) + key.slice(i + 1);
    });
    const other = fc.oneof(
      fc.constantFrom("notes", "Config", "CONFIG", "secretsProvider", "stackConfigDir", "imports", "name", "runtime", "tenantry:org", "org"),
      fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_:-]{0,12}$/),
      slip,
    ).filter((key) => !(STACK_FILE_KEYS as readonly string[]).includes(key));
    const entry = fc.oneof(
      fc.constantFrom(...pulumiKeys).chain((key) => pulumiValue(key).map(([value, wellFormed]) => ({ key, value, wellFormed }))),
      fc.record({ key: other, value: fc.constantFrom<unknown>("reviewed by ops", 1, true, null, ["x"], { a: 1 }), wellFormed: fc.constant(false) }),
    );
    const reached = { accepted: 0, refused: 0 };
    fc.assert(fc.property(fc.array(entry, { minLength: 1, maxLength: 3 }), (entries) => {
      // A key given twice keeps its last value, as in the document.
      const last = new Map(entries.map((e) => [e.key, e] as const));
      const document = { ...ACME_FILE?.document, ...Object.fromEntries([...last].map(([key, e]) => [key, e.value])) };
      const refused = programRefuses(stringify(document));
      const schemaAccepts = schemaErrors(document).length === 0;
      const what = JSON.stringify([...last.values()]);
      expect(schemaAccepts, what).toBe(refused.length === 0);
      // The program refuses by naming each unknown or misshapen key, and for no other reason.
      expect(refused.sort(), what).toEqual([...last.values()].filter((e) => !e.wellFormed).map((e) => e.key).sort());
      reached[refused.length > 0 ? "refused" : "accepted"] += 1;
    }), { numRuns: 500 });
    // Both sides of the property are reached (about 12% of runs are accepted: 58..71 seen).
    expect(reached.accepted).toBeGreaterThan(20);
    expect(reached.refused).toBeGreaterThan(150);
  });
});

/*
 * generated-files.test.ts keeps the committed schema equal to what the spec renders today. What
 * that check is worth rests on the schema being rendered from the spec, not kept beside it: a
 * spec that differs in one field renders a different file, and that file judges a stack
 * differently. (Here, not a second staleness check.)
 */
describe("the schema follows the spec it is rendered from (control)", () => {
  const COMMITTED = readFileSync(join(ROOT, STACK_SCHEMA_PATH), "utf8");
  const ACME = FILES.find((f) => f.name === "stacks/Pulumi.org-acme.yaml")?.document;
  const acmeOrg = (ACME?.config["tenantry:org"] ?? {}) as Record<string, unknown>;
  /** The errors the schema in `text` finds in acme's stack file, as (where, keyword, parameters). */
  function errorsOfAcme(text: string): { path: string; keyword: string; params: Record<string, unknown> }[] {
    const own = new Ajv({ allErrors: true, allowMatchingProperties: true });
    const validate = own.compile(JSON.parse(text) as Record<string, unknown>);
    return validate(ACME) ? [] : (validate.errors ?? []).map((e) => ({ path: e.instancePath, keyword: e.keyword, params: e.params as Record<string, unknown> }));
  }

  it("renders, from a spec without any one of acme's fields, a different schema that refuses acme's stack for that field", () => {
    const fields = Object.keys(acmeOrg).filter((key) => key in orgSpecFields.shape) as (keyof typeof orgSpecFields.shape)[];
    expect(fields.length).toBeGreaterThan(8);
    expect(errorsOfAcme(COMMITTED)).toEqual([]);
    for (const field of fields) {
      const variant = renderStackSchema(orgSpecFields.omit({ [field]: true } as Partial<Record<typeof field, true>>));
      expect(variant, field).not.toBe(COMMITTED);
      expect(errorsOfAcme(variant), field).toContainEqual({ path: "/config/tenantry:org", keyword: "additionalProperties", params: { additionalProperty: field } });
    }
  });

  it("renders, from a spec that allows fewer environments than acme declares, a schema that refuses acme's list", () => {
    const declared = (acmeOrg["environments"] as unknown[]).length;
    const narrower = orgSpecFields.extend({ environments: orgSpecFields.shape.environments.unwrap().max(declared - 1) });
    const variant = renderStackSchema(narrower);
    expect(variant).not.toBe(COMMITTED);
    expect(errorsOfAcme(variant)).toContainEqual({ path: "/config/tenantry:org/environments", keyword: "maxItems", params: { limit: declared - 1 } });
    expect(errorsOfAcme(COMMITTED)).toEqual([]);
  });
});
