/*
 * Which webhook signing secret signs a delivery (property 19): one secret per environment that has
 * webhook endpoints, so a delivery a dev app made never verifies at a prod receiver. In production
 * one outbound Worker serves every environment of the org (the router passes `environment` as a
 * dispatch param), so it binds each environment's secret under a name of its own and picks by that
 * param here, never falling back to another environment's. Pure: no Workers API.
 */

/** An environment's name as the spec allows it: 2..16 of a-z and 0-9, starting with a letter (no `_`). */
const ENVIRONMENT = /^[a-z][a-z0-9]{1,15}$/;

export interface SigningKeyBindings {
  /** `WEBHOOK_SIGNING_KEY_PROD`: signs every delivery of that environment. */
  readonly current: string;
  /** `WEBHOOK_SIGNING_KEY_PROD_PREVIOUS`: bound only during a rotation's overlap. */
  readonly previous: string;
}

/**
 * The binding names of one environment's signing secrets. Injective: an environment has no `_`,
 * so no environment's current name is another's previous one, and upper-casing a-z0-9 loses nothing.
 */
export function signingKeyBindings(environment: string): SigningKeyBindings {
  if (!ENVIRONMENT.test(environment)) throw new Error(`not an environment name: ${JSON.stringify(environment)}`);
  const current = `WEBHOOK_SIGNING_KEY_${environment.toUpperCase()}`;
  return { current, previous: `${current}_PREVIOUS` };
}

/** Every signing binding name of the given environments, current and previous. */
export const allSigningKeyBindings = (environments: readonly string[]): string[] =>
  environments.flatMap((environment) => Object.values(signingKeyBindings(environment)));

/**
 * The secrets bound for `environment` (the dispatch param), picked by name from the Worker's env:
 * the current one (undefined when the environment has none: its deliveries cannot be signed) and,
 * when bound, the previous one. Another environment's binding is never read.
 */
export function pickSigningKeys<T>(bindings: Readonly<Record<string, unknown>>, environment: string, isSecret: (value: unknown) => value is T): { readonly current?: T; readonly previous?: T } {
  const names = signingKeyBindings(environment);
  const current = bindings[names.current];
  const previous = bindings[names.previous];
  return { ...(isSecret(current) ? { current } : {}), ...(isSecret(previous) ? { previous } : {}) };
}
