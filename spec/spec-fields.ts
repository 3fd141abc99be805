import { z } from "zod";
import { forwardHeaderProblem, HEADER_NAME } from "./header-names";
import { PLATFORM_SCHEMAS } from "./platform-names";
import type { Bounds } from "./quota-bounds";

/*
 * The field types the org spec is built from: slugs that become names, bounded numbers, and
 * addresses. Each refuses with a message that completes the sentence starting with the field.
 */

/** Lower-case words joined by single hyphens: no "--" and no trailing "-", so `-` -> `_` stays injective. */
const HYPHENATED_SLUG = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

export function slug(min: number, max: number, what: string) {
  const rule = `must be ${min}..${max} characters of a-z, 0-9 and single inner hyphens, starting with a letter (${what})`;
  return z
    .string({ error: rule })
    .min(min, { error: rule })
    .max(max, { error: rule })
    .regex(HYPHENATED_SLUG, { error: rule });
}

/** Org slugs become role and database names across the whole cluster (see naming.ts). */
export const orgSlug = slug(2, 31, "it prefixes every cluster-wide name");

/**
 * Workspace slugs become schema names `<workspace>_<env>`, which must stay out of two namespaces
 * that are not the tenant's: Postgres reserves the `pg_` prefix, and every cluster-wide name of
 * tenantry starts `tn_` (a schema named like a login role would sit first on its search_path).
 * The platform's own in-database names cannot be composed at all (platform-names.ts); the
 * ledger's one-word schema is refused as a workspace too, so `audit_<env>` never passes for it.
 */
export const workspaceSlug = slug(2, 40, "it becomes part of a schema name")
  // Lookaheads rather than refinements: JSON Schema carries a pattern, so an editor refuses these too.
  .regex(/^(?!pg(?:-|$))/, { error: "must not be pg or start with pg- (Postgres reserves pg_ schema names)" })
  .regex(/^(?!tn(?:-|$))/, { error: "must not be tn or start with tn- (tenantry's role and database names start tn_)" })
  .regex(new RegExp(`^(?!${PLATFORM_SCHEMAS.ledger}$)`), {
    error: `must not be ${PLATFORM_SCHEMAS.ledger} (the platform's audit ledger is schema ${PLATFORM_SCHEMAS.ledger}; ${PLATFORM_SCHEMAS.ledger}_<env> schemas would pass for part of it)`,
  });

/** No separators, so `<workspace>_<env>` and `<org>_<env>_<kind>` can always be split again. */
export const environmentSlug = z
  .string({ error: "must be 2..16 characters of a-z and 0-9, starting with a letter" })
  .regex(/^[a-z][a-z0-9]{1,15}$/, {
    error: "must be 2..16 characters of a-z and 0-9, starting with a letter",
  });

/** An integer bounded both ways (quota-bounds.ts). */
export function boundedInt({ min, max }: Bounds, fallback: number) {
  const rule = `must be an integer ${min}..${max}`;
  return z
    .number({ error: rule })
    .int({ error: rule })
    .min(min, { error: rule })
    .max(max, { error: rule })
    .default(fallback);
}

export const emailAddress = z
  .string({ error: "must be an e-mail address" })
  .max(254, { error: "must be an e-mail address of at most 254 characters" })
  .regex(/^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,63}$/, {
    error: "must be a lower-case e-mail address",
  });

export const domainName = z
  .string({ error: "must be a domain name" })
  .max(253, { error: "must be a domain name of at most 253 characters" })
  .regex(/^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, {
    error: "must be a lower-case domain name such as acme.com",
  });

export const httpsUrl = z
  .string({ error: "must be an https URL" })
  .max(2048, { error: "must be an https URL of at most 2048 characters" })
  .regex(/^https:\/\/[a-z0-9.-]+(?::\d{1,5})?(?:\/[^\s]*)?$/, { error: "must be an https URL" });

/** A request header an app receives beyond the router's standard ones; see header-names.ts for what is refused and why. */
export const forwardHeaderName = z
  .string({ error: "must be a header name" })
  .superRefine((name, ctx) => {
    const problem = forwardHeaderProblem(name);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: `must ${problem}` });
  })
  // The token shape is all of the refinement JSON Schema can carry; the words refused are checked by tenantry validate.
  .meta({ pattern: HEADER_NAME.source });

/** At most 20 names, each once; the index of the first naming it, not the value, keeps a pasted secret out of the message. */
export const forwardHeaderList = z
  .array(forwardHeaderName, { error: "must be a list of header names" })
  .max(20, { error: "must list at most 20 headers" })
  .superRefine((names, ctx) => {
    names.forEach((name, i) => {
      const first = names.indexOf(name);
      if (first !== i) ctx.addIssue({ code: "custom", path: [i], message: `repeats forwardHeaders[${first}]; each must be unique` });
    });
  })
  .meta({ uniqueItems: true })
  .default([]);
