import { z } from "zod";
import { environmentSlug, slug } from "./spec-fields";
import type { RuleProblem } from "./spec-rules";

/*
 * The org spec's machine credentials (property 18): `apiKeys` slots and `apps[].origins`. Split
 * from spec.ts, which keeps the fields of the org itself. A slot only names where a key may be
 * used; key material is minted outside the stack (tenantry keys mint) and never appears in it.
 */

/** Stripe's split: a publishable key is meant for browsers, a secret key for servers only. */
export const API_KEY_KINDS = ["publishable", "secret"] as const;
export type ApiKeyKind = (typeof API_KEY_KINDS)[number];

/**
 * A browser origin exactly as the `Origin` header carries it: https, a lower-case host name and
 * an optional port, nothing after. The router compares the header to it byte for byte, so a
 * path, a trailing slash, a wildcard or upper case could never match and would only mislead.
 * An IP literal is refused too: an origin is a name the org serves its app from.
 */
export const HTTPS_ORIGIN = /^https:\/\/(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}(?::[1-9]\d{0,4})?$/;

export const appOrigin = z
  .string({ error: "must be an https origin" })
  .max(300, { error: "must be an https origin of at most 300 characters" })
  .regex(HTTPS_ORIGIN, { error: "must be an https origin: https://<lower-case host>[:port], no path, no trailing slash, no wildcard" });

export const appOriginList = z
  .array(appOrigin, { error: "must be a list of https origins" })
  .max(20, { error: "must list at most 20 origins" })
  .meta({ uniqueItems: true })
  .default([])
  .describe("The browser origins (https://host[:port], exactly as browsers send Origin) where this app's publishable API keys may be used; the router refuses a publishable key from any other. Required when the app has a publishable key slot.");

export const apiKeySlotSchema = z.strictObject({
  name: slug(2, 40, "it names the key slot in tenantry keys mint and in the identity the app receives")
    .describe("The slot's name, unique in the org: tenantry keys mint <stack> <name> mints a key for it, and the app receives it as the caller's identity."),
  app: slug(2, 40, "one of apps[].slug").describe("The one app a key of this slot admits to: one of apps[].slug."),
  environment: environmentSlug.describe("The one environment a key of this slot admits to: one of environments."),
  kind: z
    .enum(API_KEY_KINDS, { error: `must be one of ${API_KEY_KINDS.join(", ")}` })
    .describe("publishable: a browser key (tnpk_...), admitted only from the app's origins; secret: a server key (tnsk_...), refused from any browser."),
});

export const apiKeysSchema = z
  .array(apiKeySlotSchema, { error: "must be a list of API key slots" })
  .max(200, { error: "must list at most 200 API key slots" })
  .default([])
  .describe("API key slots: each names an app, an environment and a kind. Only SHA-256 hashes of minted keys are stored (in the org's edge store), never the keys, and never in the stack.");

export type ApiKeySlot = z.output<typeof apiKeySlotSchema>;

/** What the rules below read of the parsed spec (a structural slice, so this file does not import spec.ts). */
interface KeysView {
  readonly environments: readonly string[];
  readonly apps: readonly { readonly slug: string; readonly origins: readonly string[]; readonly access: object }[];
  readonly apiKeys: readonly ApiKeySlot[];
}

/** A slot's name is how a key is minted, revoked and shown to the app: two slots of one name would blur which key is which. */
export function apiKeySlotNamesUnique(spec: KeysView): RuleProblem[] {
  const first = new Map<string, number>();
  return spec.apiKeys.flatMap((slot, i): RuleProblem[] => {
    const seen = first.get(slot.name);
    if (seen === undefined) {
      first.set(slot.name, i);
      return [];
    }
    return [{ path: ["apiKeys", i, "name"], message: `repeats apiKeys[${seen}].name (${slot.name}); each must be unique` }];
  });
}

/** A key admits to exactly one declared app and environment; a name that is neither would admit to nothing the org reviewed. */
export function apiKeySlotsReferToDeclaredTargets(spec: KeysView): RuleProblem[] {
  const apps = spec.apps.map((app) => app.slug);
  return spec.apiKeys.flatMap((slot, i): RuleProblem[] => [
    ...(apps.includes(slot.app) ? [] : [{ path: ["apiKeys", i, "app"], message: `must name one of apps[].slug (${apps.join(", ") || "none declared"})` }]),
    ...(spec.environments.includes(slot.environment) ? [] : [{ path: ["apiKeys", i, "environment"], message: `must be one of environments (${spec.environments.join(", ")})` }]),
  ]);
}

/** A publishable key is in every visitor's browser: without declared origins it would be usable from any site. */
export function publishableSlotsHaveOrigins(spec: KeysView): RuleProblem[] {
  return spec.apiKeys.flatMap((slot, i): RuleProblem[] => {
    if (slot.kind !== "publishable") return [];
    const appIndex = spec.apps.findIndex((app) => app.slug === slot.app);
    const app = spec.apps[appIndex];
    if (app === undefined || app.origins.length > 0) return [];
    return [{ path: ["apps", appIndex, "origins"], message: `must list at least one https origin: apiKeys[${i}] (${slot.name}) is a publishable key for this app` }];
  });
}

/**
 * A publishable key is public (it is in every page, and Origin is just a header to a server), and
 * key traffic is admitted by the slot, not by the app's access policy. On an app whose access
 * names its audience (named users, or editors only) such a key would open it to the internet, so
 * only secret keys may be declared there. Apps admitted by role or workspace membership keep
 * publishable slots: their pages are meant for visitors, and the page key reaches the app only.
 */
export function publishableSlotsOnlyOnOpenApps(spec: KeysView): RuleProblem[] {
  return spec.apiKeys.flatMap((slot, i): RuleProblem[] => {
    if (slot.kind !== "publishable") return [];
    const appIndex = spec.apps.findIndex((app) => app.slug === slot.app);
    const access = spec.apps[appIndex]?.access;
    if (access === undefined || !("users" in access || "editorsOnly" in access)) return [];
    const audience = "users" in access ? "named users only (access.users)" : "editors only (access.editorsOnly)";
    return [{ path: ["apiKeys", i, "kind"], message: `must be secret: apps[${appIndex}] (${slot.app}) admits ${audience}, and a publishable key is public, so it would open the app to anyone` }];
  });
}

/** Each origin once per app, reported on the repeat. */
export function appOriginsUnique(spec: KeysView): RuleProblem[] {
  return spec.apps.flatMap((app, i) =>
    app.origins.flatMap((origin, j): RuleProblem[] => {
      const first = app.origins.indexOf(origin);
      return first === j ? [] : [{ path: ["apps", i, "origins", j], message: `repeats apps[${i}].origins[${first}]; each must be unique` }];
    }),
  );
}
