import { execFileSync } from "node:child_process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { curlCommand, renderDevReady, shellWord } from "../../cli/render-dev";
import { parseOrgSpec } from "../../spec/spec";
import { NOW, validOrgInput } from "../helpers/spec-builder";

/*
 * What `tenantry dev` prints: a curl the user pastes into a shell must reach exactly the URL with
 * exactly the token, whatever characters they hold; the rest is checked as text.
 */

/** The words a POSIX shell makes of `line`, with `curl` standing for a command that prints its arguments. */
function wordsOf(line: string): string[] {
  const script = `curl() { for a in "$@"; do printf '%s\\0' "$a"; done; }\n${line}`;
  return execFileSync("/bin/sh", ["-c", script], { encoding: "utf8" }).split("\0").slice(0, -1);
}

const base = new URL("http://127.0.0.1:8787/");

describe("the printed curl", () => {
  it("gives the shell exactly the header and the URL, for any token text", () => {
    const jwtLike = fc.tuple(...[0, 1, 2].map(() => fc.base64String({ minLength: 4 }).map((s) => s.replace(/\+/g, "-").replace(/\//g, "_").replace(/=/g, "")))).map((parts) => parts.join("."));
    const hostile = fc.string({ unit: fc.constantFrom("'", '"', "$", "`", "\\", " ", ";", "a", "!", "*", "(", "\n") });
    fc.assert(fc.property(fc.oneof(jwtLike, hostile), (token) => {
      expect(wordsOf(curlCommand(base, "/prod/storefront/whoami", token))).toEqual(["-H", `authorization: Bearer ${token}`, "http://127.0.0.1:8787/prod/storefront/whoami"]);
    }), { numRuns: 60 });
  });

  it("quotes only what a shell would otherwise change", () => {
    expect(shellWord("http://127.0.0.1:8787/prod/storefront/whoami")).toBe("http://127.0.0.1:8787/prod/storefront/whoami");
    expect(shellWord("authorization: Bearer a.b.c")).toBe("'authorization: Bearer a.b.c'");
    expect(shellWord("it's")).toBe("'it'\\''s'");
  });
});

describe("the ready message", () => {
  it("names the router's address, every app with whom it admits, the sample token's subject and how to stop", () => {
    const spec = parseOrgSpec({
      ...validOrgInput(),
      apps: [
        { slug: "storefront", workspace: "web", access: { minRole: "developer" } },
        { slug: "invoices", workspace: "billing", access: { workspaceMembers: true } },
        { slug: "finance-console", workspace: "billing", access: { users: ["cfo@acme.com"] } },
        { slug: "editor", workspace: "web", access: { editorsOnly: true } },
      ],
    }, { now: NOW });
    const subject = { sub: "developer@acme.com", email: "developer@acme.com", org: "acme", role: "developer", workspaces: ["web"] };
    expect(renderDevReady({ stack: "org-acme", spec, url: base, sample: { subject, path: "/dev/storefront/whoami", token: "h.p.s", ttlSeconds: 3600 } })).toBe([
      "org acme's edge in workerd: http://127.0.0.1:8787/ (the router; every request needs a token of the local identity provider)",
      "  every app at /<environment>/<app>/ for environments dev, test, prod, e.g. /prod/storefront/:",
      "    storefront       role developer or above",
      "    invoices         members of workspace billing",
      "    finance-console  only cfo@acme.com",
      "    editor           editors (developer or above)",
      "",
      "try it (a token for developer@acme.com, role developer, workspace web; valid 1 h):",
      "  curl -H 'authorization: Bearer h.p.s' http://127.0.0.1:8787/dev/storefront/whoami",
      "",
      "another user or role: TOKEN=$(npx tenantry token org-acme --email <e-mail> --role <role> [--workspaces web,billing])",
      "Ctrl-C stops the edge; the embedded Postgres keeps running (npx tenantry down --local stops it).",
    ].join("\n"));
  });
});
