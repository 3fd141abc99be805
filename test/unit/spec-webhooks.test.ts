import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseOrgSpec } from "../../spec/spec";
import { NON_PUBLIC_TLDS, WEBHOOK_URL } from "../../spec/webhooks-spec";
import { NOW, problemsAfter, validOrgInput } from "../helpers/spec-builder";

/* `webhooks` and `integrations` in the org spec, as the stack-file author who would aim deliveries at the platform's own network writes them. */

type Org = Record<string, unknown>;

const WEBHOOK = { name: "orders", environment: "prod", url: "https://hooks.partner.example/acme", events: ["order.created"] };
const INTEGRATION = { name: "stripe", app: "storefront", environment: "prod", path: "/stripe", scheme: "stripe", secret: "aws-secretsmanager:acme/prod/stripe#webhook_secret" };

const problemsOf = (mutate: (org: Org) => void) => problemsAfter(mutate);

const withWebhook = (webhook: Record<string, unknown>) => problemsOf((o) => { o["webhooks"] = [webhook]; });
const withIntegration = (integration: Record<string, unknown>) => problemsOf((o) => { o["integrations"] = [integration]; });
const accepts = (url: string) => withWebhook({ ...WEBHOOK, url }).length === 0;

/** What fetch() would make of the URL (WHATWG URL): the oracle the allowlist is judged by, independent of it. */
function deliveryTarget(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

const isIpLiteral = (hostname: string) => hostname.startsWith("[") || /^\d+\.\d+\.\d+\.\d+$/.test(hostname);

const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?$/);
const octet = fc.integer({ min: 0, max: 255 });

/** An IPv4 address in the spellings URL parsers accept: dotted, short, hex, octal, one integer, with a root dot. */
const ipv4Spelling = fc.tuple(octet, octet, octet, octet, fc.constantFrom("dotted", "short", "hex", "octal", "integer", "rootdot")).map(([a, b, c, d, how]) => {
  switch (how) {
    case "short": return `${a}.${(b << 16) + (c << 8) + d}`;
    case "hex": return [a, b, c, d].map((n) => `0x${n.toString(16)}`).join(".");
    case "octal": return [a, b, c, d].map((n) => `0${n.toString(8)}`).join(".");
    case "integer": return String(((a << 24) >>> 0) + (b << 16) + (c << 8) + d);
    case "rootdot": return `${a}.${b}.${c}.${d}.`;
    default: return `${a}.${b}.${c}.${d}`;
  }
});

/** IPv6 literals, loopback and mapped forms included. */
const ipv6Spelling = fc.oneof(
  fc.constantFrom("[::1]", "[::]", "[0:0:0:0:0:0:0:1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[fe80::1%25eth0]", "[fd00::1]"),
  fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }).map((groups) => `[${groups.map((g) => g.toString(16)).join(":")}]`),
);

/** Names that stay inside a network, in the author's disguises (case, root dot). */
const privateName = fc.tuple(fc.array(label, { maxLength: 2 }), fc.constantFrom(...NON_PUBLIC_TLDS), fc.constantFrom("", ".", "upper")).map(([labels, tld, how]) => {
  const name = [...labels, tld].join(".");
  return how === "upper" ? name.toUpperCase() : `${name}${how}`;
});

/** RFC 5891 reserves labels with -- in the third and fourth places (punycode's xn--): not plain DNS names. */
const ldhLabel = label.filter((l) => l.slice(2, 4) !== "--");
const publicName = fc.tuple(fc.array(ldhLabel, { minLength: 1, maxLength: 3 }), fc.stringMatching(/^[a-z]{2,10}$/)).map(([labels, tld]) => [...labels, tld].join("."))
  .filter((name) => !NON_PUBLIC_TLDS.some((tld) => name.endsWith(`.${tld}`)));

const path = fc.constantFrom("", "/", "/hooks", "/a/b?x=1", "/%2e%2e/x");

describe("the org spec's webhook URL", () => {
  it("accepts https to a public DNS name with a path, and defaults to no webhooks", () => {
    expect(withWebhook(WEBHOOK)).toEqual([]);
    expect(parseOrgSpec(validOrgInput(), { now: NOW }).webhooks).toEqual([]);
  });

  it("accepts every generated public DNS name, with or without a path", () => {
    fc.assert(fc.property(publicName, path, (host, p) => {
      expect(WEBHOOK_URL.test(`https://${host}${p}`)).toBe(true);
    }));
  });

  it("refuses an IPv4 literal in every spelling a URL parser accepts", () => {
    fc.assert(fc.property(ipv4Spelling, path, (host, p) => {
      const url = `https://${host}${p}`;
      // The control: fetch() would take it for an IP address, so refusing it matters.
      expect(isIpLiteral(deliveryTarget(url)?.hostname ?? "[unparsed]")).toBe(true);
      expect(accepts(url)).toBe(false);
    }), { numRuns: 200 });
  });

  it("refuses an IPv6 literal in any spelling", () => {
    fc.assert(fc.property(ipv6Spelling, path, (host, p) => {
      expect(accepts(`https://${host}${p}`)).toBe(false);
    }), { numRuns: 100 });
  });

  it("refuses localhost and private or special-use names, whatever their case or root dot", () => {
    fc.assert(fc.property(privateName, path, (host, p) => {
      expect(accepts(`https://${host}${p}`)).toBe(false);
    }), { numRuns: 200 });
    expect(accepts("https://localhost/")).toBe(false);
  });

  it("refuses credentials, another scheme, a port, a backslash or a fragment around a public name", () => {
    fc.assert(fc.property(publicName, fc.constantFrom(
      (h: string) => `https://user:pass@${h}/`, (h: string) => `https://user@${h}/`, (h: string) => `http://${h}/`,
      (h: string) => `https://${h}:8443/`, (h: string) => `https://${h}:443/`, (h: string) => `https://${h}\\@127.0.0.1/`,
      (h: string) => `https://${h}#frag`, (h: string) => ` https://${h}/`, (h: string) => `HTTPS://${h}/`, (h: string) => `https:${h}/`,
      (h: string) => `https://${h}@169.254.169.254/`, (h: string) => `https://${h}%2f@10.0.0.1/`,
    ), (host, compose) => {
      expect(accepts(compose(host))).toBe(false);
    }), { numRuns: 200 });
  });

  /**
   * The claim as the attacker needs it broken: whatever string the author writes, if the spec
   * accepts it then fetch() goes to https, on the default port, with no credentials, to a DNS
   * name (never an IP literal) whose TLD is public. Strings are glued from the attacker's pieces.
   */
  const attackerUrl = fc.tuple(fc.array(fc.oneof(
    label, ipv4Spelling, ipv6Spelling, privateName, publicName,
    fc.constantFrom("https://", "http://", "@", ":", ".", "/", "\\", "#", "?", "%2e", "%40", ":443", "user:pw@", "[", "]", "localhost", "xn--", "--", "-", "0x7f", "\t"),
  ), { minLength: 1, maxLength: 8 }), fc.boolean()).map(([pieces, prefix]) => `${prefix ? "https://" : ""}${pieces.join("")}`);

  const onlyPublicHttps = (pattern: RegExp) => fc.property(attackerUrl, (url) => {
    if (!pattern.test(url)) return;
    const target = deliveryTarget(url);
    expect(target).toBeDefined();
    if (target === undefined) return;
    expect(target.protocol).toBe("https:");
    expect([target.port, target.username, target.password]).toEqual(["", "", ""]);
    expect(isIpLiteral(target.hostname)).toBe(false);
    expect(NON_PUBLIC_TLDS).not.toContain(target.hostname.split(".").at(-1));
    // The name the spec judged is the name fetch() resolves.
    expect(url.startsWith(`https://${target.hostname}`)).toBe(true);
  });

  it("sends fetch() only to a public DNS name over https for any string it accepts", () => {
    fc.assert(onlyPublicHttps(WEBHOOK_URL), { numRuns: 3000 });
  });

  it("(control) the same attack breaks a plain https-URL rule, the guard removed", () => {
    const plainHttps = /^https:\/\/[a-z0-9.-]+(?::\d{1,5})?(?:\/[^\s]*)?$/;
    expect(fc.check(onlyPublicHttps(plainHttps), { numRuns: 3000 }).failed).toBe(true);
  });

  it("names the field when it refuses a URL", () => {
    expect(withWebhook({ ...WEBHOOK, url: "https://127.0.0.1/hook" })).toEqual([
      expect.stringMatching(/^tenantry:org\.webhooks\[0\]\.url must be an https URL to a public DNS name/),
    ]);
  });
});

describe("the org spec's webhooks", () => {
  it("refuses an environment the org does not have, naming it", () => {
    expect(withWebhook({ ...WEBHOOK, environment: "qa" })).toEqual(["tenantry:org.webhooks[0].environment must be one of environments (dev, test, prod)"]);
  });

  it("refuses a repeated name and an event type that is not dotted words", () => {
    expect(problemsOf((o) => { o["webhooks"] = [WEBHOOK, WEBHOOK]; })).toEqual(["tenantry:org.webhooks[1].name repeats webhook orders; each must be unique"]);
    expect(withWebhook({ ...WEBHOOK, events: ["Order Created"] })).toEqual(["tenantry:org.webhooks[0].events[0] must be an event type: dotted lower-case words such as order.created"]);
  });

  it("requires an edge for an org with webhooks", () => {
    expect(problemsOf((o) => { o["apps"] = []; o["secrets"] = []; delete o["edge"]; o["webhooks"] = [WEBHOOK]; }))
      .toEqual(["tenantry:org.edge is required when the org has webhooks (accountId, secretsStoreId, identity, operator, awsRegion)"]);
  });
});

describe("the org spec's integrations", () => {
  it("accepts a declared route to an app of the org with a reference below the org and environment", () => {
    expect(withIntegration(INTEGRATION)).toEqual([]);
    expect(withIntegration({ ...INTEGRATION, scheme: "standard-webhooks" })).toEqual([]);
  });

  it("refuses a secret value where the reference goes, without echoing it", () => {
    const problems = withIntegration({ ...INTEGRATION, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" });
    expect(problems).toEqual(["tenantry:org.integrations[0].secret must be a reference aws-secretsmanager:<name>#<key>, never a secret value"]);
  });

  it("refuses a reference to another org's or another environment's secret, in any spelling of the path", () => {
    fc.assert(fc.property(fc.constantFrom("other/prod/stripe", "acme/dev/stripe", "acme/prod/../dev/stripe", "acme/prod/./x", "acme/prod/", "acme/prodx/stripe", "acme//prod/stripe"), (name) => {
      expect(withIntegration({ ...INTEGRATION, secret: `aws-secretsmanager:${name}#k` })).toEqual(["tenantry:org.integrations[0].secret must name a secret below acme/prod/ (this org and the integration's environment)"]);
    }));
  });

  it("refuses an unknown app, an unknown environment, an unknown scheme and a path that climbs", () => {
    expect(withIntegration({ ...INTEGRATION, app: "billing-sync" })).toEqual(["tenantry:org.integrations[0].app must name one of the org's apps (storefront, finance-console)"]);
    expect(withIntegration({ ...INTEGRATION, environment: "qa", secret: "aws-secretsmanager:acme/qa/s#k" })).toEqual(["tenantry:org.integrations[0].environment must be one of environments (dev, test, prod)"]);
    expect(withIntegration({ ...INTEGRATION, scheme: "github" })).toEqual(["tenantry:org.integrations[0].scheme must be one of stripe, standard-webhooks"]);
    for (const bad of ["/..", "/a/../b", "stripe", "/stripe/", "/Stripe", "//x"]) {
      expect(withIntegration({ ...INTEGRATION, path: bad })).toHaveLength(1);
    }
  });

  it("refuses two integrations on one route", () => {
    expect(problemsOf((o) => { o["integrations"] = [INTEGRATION, { ...INTEGRATION, name: "stripe-two" }]; }))
      .toEqual(["tenantry:org.integrations[1].path repeats the route /prod/storefront/stripe; each must be unique"]);
  });
});

describe("a webhook endpoint's events", () => {
  it("refuses an event type listed twice, naming the repeat (the schema's uniqueItems, which the stack schema test found the spec did not enforce)", () => {
    expect(withWebhook({ ...WEBHOOK, events: ["order.created", "order.paid", "order.created"] }))
      .toEqual(["tenantry:org.webhooks[0].events[2] repeats webhooks[0].events[0]; each must be unique"]);
    expect(withWebhook({ ...WEBHOOK, events: ["order.created", "order.paid"] })).toEqual([]);
  });
});
