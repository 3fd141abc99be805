/*
 * What of a query the operator gateway forwards. Many console frameworks let a query parameter
 * override the request method (`_method` in Rails, Laravel, Symfony and Express's
 * method-override; `_HttpMethod` in Salesforce; `X-HTTP-Method-Override` in others), which would
 * let a read-only GET run as a DELETE, and would make the method the gateway judged and audited
 * differ from the one the console runs, for any role. So a query is forwarded only if every
 * parameter name (as decoded) is in a small grammar and none names a method: refused for every
 * role, because the method on record must be the method run.
 */

/** Parameter names: ASCII letters, digits, `.`, `_`, `~`, `-` and brackets (`filter[x]`); no escapes left after decoding, no spaces, nothing non-ASCII a framework could normalise. */
const NAME = /^[A-Za-z0-9._~[\]-]+$/;

/** The first parameter name that is outside the grammar or mentions a method (any case), or undefined when the query may pass. */
export function refusedQueryParam(search: string): string | undefined {
  for (const name of new URLSearchParams(search).keys()) {
    if (!NAME.test(name) || /method/i.test(name)) return name;
  }
  return undefined;
}
