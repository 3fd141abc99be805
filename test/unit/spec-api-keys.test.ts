import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseOrgSpec } from "../../spec/spec";
import { NOW, problemsAfter, validOrgInput } from "../helpers/spec-builder";

/* `apiKeys` and `apps[].origins`, as the stack-file author who would widen a key's reach would write them. */

type Org = Record<string, unknown>;

const SHOP = "https://shop.acme.com";

/** The happy-path org with a publishable slot for storefront (which declares its origin) and a secret slot for finance-console. */
function orgWithKeys(): Org {
  const org = validOrgInput();
  const apps = org["apps"] as Org[];
  apps[0] = { ...apps[0], origins: [SHOP] };
  org["apiKeys"] = [
    { name: "storefront-browser", app: "storefront", environment: "prod", kind: "publishable" },
    { name: "finance-sync", app: "finance-console", environment: "prod", kind: "secret" },
  ];
  return org;
}

const problemsOf = (mutate: (org: Org) => void) => problemsAfter(mutate, orgWithKeys);

const slots = (org: Org) => org["apiKeys"] as Org[];
const apps = (org: Org) => org["apps"] as Org[];

describe("the org spec's apiKeys and apps[].origins", () => {
  it("has no key slots and no origins by default", () => {
    const spec = parseOrgSpec(validOrgInput(), { now: NOW });
    expect(spec.apiKeys).toEqual([]);
    expect(spec.apps.map((app) => app.origins)).toEqual([[], []]);
  });

  it("accepts a publishable slot for an app with origins and a secret slot for one without", () => {
    const spec = parseOrgSpec(orgWithKeys(), { now: NOW });
    expect(spec.apiKeys.map((slot) => `${slot.name}:${slot.kind}`)).toEqual(["storefront-browser:publishable", "finance-sync:secret"]);
    expect(spec.apps[0]?.origins).toEqual([SHOP]);
  });

  it("refuses a publishable slot for an app that declares no origin, naming the app's field", () => {
    expect(problemsOf((o) => { apps(o)[0] = { ...apps(o)[0], origins: [] }; }))
      .toEqual(["tenantry:org.apps[0].origins must list at least one https origin: apiKeys[0] (storefront-browser) is a publishable key for this app"]);
  });

  it("refuses a publishable slot for an app whose access names its audience (users or editors only), naming the slot's kind", () => {
    // finance-console admits cfo@acme.com only; a page key would open it to anyone reading a page.
    expect(problemsOf((o) => { apps(o)[1] = { ...apps(o)[1], origins: [SHOP] }; slots(o)[1] = { ...slots(o)[1], kind: "publishable" }; }))
      .toEqual(["tenantry:org.apiKeys[1].kind must be secret: apps[1] (finance-console) admits named users only (access.users), and a publishable key is public, so it would open the app to anyone"]);
    expect(problemsOf((o) => { apps(o)[0] = { ...apps(o)[0], access: { editorsOnly: true } }; }))
      .toEqual(["tenantry:org.apiKeys[0].kind must be secret: apps[0] (storefront) admits editors only (access.editorsOnly), and a publishable key is public, so it would open the app to anyone"]);
  });

  it("refuses a repeated slot name, a slot for an undeclared app and one for an undeclared environment", () => {
    expect(problemsOf((o) => { slots(o)[1] = { ...slots(o)[1], name: "storefront-browser" }; }))
      .toEqual(["tenantry:org.apiKeys[1].name repeats apiKeys[0].name (storefront-browser); each must be unique"]);
    expect(problemsOf((o) => { slots(o)[1] = { ...slots(o)[1], app: "payroll" }; }))
      .toEqual(["tenantry:org.apiKeys[1].app must name one of apps[].slug (storefront, finance-console)"]);
    expect(problemsOf((o) => { slots(o)[1] = { ...slots(o)[1], environment: "staging" }; }))
      .toEqual(["tenantry:org.apiKeys[1].environment must be one of environments (dev, test, prod)"]);
  });

  it("refuses a kind other than publishable or secret, and unknown keys in a slot", () => {
    const [kindProblem, ...rest] = problemsOf((o) => { slots(o)[0] = { ...slots(o)[0], kind: "admin" }; });
    expect(rest).toEqual([]);
    expect(kindProblem).toMatch(/^tenantry:org\.apiKeys\[0\]\.kind must be one of publishable, secret/);
    expect(problemsOf((o) => { slots(o)[0] = { ...slots(o)[0], key: "tnpk_x" }; })).toHaveLength(1);
    expect(problemsOf((o) => { slots(o)[0] = { ...slots(o)[0], key: "tnpk_x" }; })[0]).toMatch(/^tenantry:org\.apiKeys\[0\]/);
  });

  it("refuses a repeated origin in one app", () => {
    expect(problemsOf((o) => { apps(o)[0] = { ...apps(o)[0], origins: [SHOP, SHOP] }; }))
      .toEqual(["tenantry:org.apps[0].origins[1] repeats apps[0].origins[0]; each must be unique"]);
  });

  const ORIGIN_RULE = "must be an https origin: https://<lower-case host>[:port], no path, no trailing slash, no wildcard";

  /** The author's ways to widen an origin past one exact site: another scheme, a path, a wildcard, an IP literal, upper case, userinfo, a query. */
  const notAnOrigin = fc.tuple(fc.stringMatching(/^[a-z][a-z0-9]{0,10}$/), fc.constantFrom(
    (h: string) => `http://${h}.acme.com`,
    (h: string) => `https://${h}.acme.com/`,
    (h: string) => `https://${h}.acme.com/app`,
    (h: string) => `https://*.${h}.com`,
    (h: string) => `https://${h.toUpperCase()}X.acme.com`,
    (h: string) => `https://user@${h}.acme.com`,
    (h: string) => `https://${h}.acme.com?x=1`,
    (h: string) => `https://${h}.acme.com#x`,
    (h: string) => `https://${h}.acme.com:0`,
    (_h: string) => "https://127.0.0.1",
    (_h: string) => "https://[::1]",
    (h: string) => ` https://${h}.acme.com`,
    (h: string) => `https://${h}.acme.com\n`,
    (_h: string) => "null",
    (_h: string) => "*",
  )).map(([host, spell]) => spell(host));

  it("refuses every origin that is not exactly https://host[:port], naming the field", () => {
    fc.assert(fc.property(notAnOrigin, (origin) => {
      expect(problemsOf((o) => { apps(o)[0] = { ...apps(o)[0], origins: [origin] }; })).toContain(`tenantry:org.apps[0].origins[0] ${ORIGIN_RULE}`);
    }));
  });

  it("accepts every https origin of a lower-case host with or without a port (the control)", () => {
    fc.assert(fc.property(fc.domain().filter((d) => /^[a-z0-9.-]+\.[a-z]{2,}$/.test(d)), fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }), (host, port) => {
      const origin = port === undefined ? `https://${host}` : `https://${host}:${port}`;
      expect(problemsOf((o) => { apps(o)[0] = { ...apps(o)[0], origins: [origin] }; })).toEqual([]);
    }));
  });
});
