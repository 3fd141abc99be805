import { build, type Plugin } from "esbuild";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot, WORKER_BUILD_OPTIONS } from "../../workers/build";

/*
 * The operator gateway (or the org router) with one guard taken out, for the proof's controls:
 * the real source, bundled like the real one, with one import swapped for a wrapper around the
 * real module or one line edited. Each variant is what a regression would leave behind.
 */

const libPath = (name: string) => join(projectRoot(), "workers", "lib", `${name}.ts`);

/** Replaces the gateway's `../lib/<name>` import with `wrapper`, which can import the real module as "real". */
function swapImport(name: string, wrapper: string): Plugin {
  return {
    name: `swap-${name}`,
    setup(b) {
      b.onResolve({ filter: new RegExp(`^\\.\\./lib/${name}$`) }, () => ({ path: name, namespace: "variant" }));
      b.onResolve({ filter: /^real$/ }, () => ({ path: libPath(name) }));
      b.onLoad({ filter: /.*/, namespace: "variant" }, () => ({ contents: `export * from "real";\n${wrapper}`, loader: "ts", resolveDir: join(projectRoot(), "workers", "lib") }));
    },
  };
}

/** Edits one Worker source file (`workers/<file>`): `from` must occur exactly once, so a control cannot go stale silently. */
export function editSource(file: string, from: string, to: string): Plugin {
  return editSourceEach(file, [[from, to]]);
}

/** Several edits of one file in one plugin (esbuild loads a file through the first plugin that answers); each `from` exactly once. */
export function editSourceEach(file: string, edits: readonly (readonly [from: string, to: string])[]): Plugin {
  const path = join(projectRoot(), "workers", file);
  return {
    name: `edit-${file}`,
    setup(b) {
      b.onLoad({ filter: new RegExp(`${file.replace(/[/.]/g, (c) => `\\${c}`)}$`) }, (args) => {
        if (args.path !== path) return undefined;
        let source = readFileSync(path, "utf8");
        for (const [from, to] of edits) {
          if (source.split(from).length !== 2) throw new Error(`workers/${file} no longer contains ${JSON.stringify(from)} exactly once: update this control`);
          source = source.replace(from, to);
        }
        return { contents: source, loader: "ts" };
      });
    },
  };
}

export async function bundleWith(plugin: Plugin | Plugin[], entry = join("operator-gateway", "index.ts")): Promise<string> {
  const result = await build({
    ...WORKER_BUILD_OPTIONS,
    conditions: [...WORKER_BUILD_OPTIONS.conditions],
    mainFields: [...WORKER_BUILD_OPTIONS.mainFields],
    entryPoints: [join(projectRoot(), "workers", entry)],
    write: false,
    plugins: Array.isArray(plugin) ? plugin : [plugin],
  });
  const [output] = result.outputFiles;
  if (output === undefined) throw new Error("no bundle");
  return output.text;
}

/** Wraps the verdict: `change` gets the request and the real decideOperator. */
const swapDecision = (change: string) => swapImport("operator-access", `
import { decideOperator as realDecide, type OperatorRequest, type OperatorDecision } from "real";
const change = ${change};
export function decideOperator(request: OperatorRequest): OperatorDecision { return change(request, realDecide); }
`);
const decisionVariant = (change: string) => bundleWith(swapDecision(change));

/** Judges an ordinary path in place of the one received, then forwards the received one: the path grammar taken out. */
const JUDGES_ANOTHER_PATH = `(r: OperatorRequest, real: typeof realDecide) => {
  const decision = real({ ...r, path: "/orgs" });
  return decision.allow ? { ...decision, path: r.path } : decision;
}`;

export const GATEWAY_VARIANTS = {
  /** A verified operator with no entry is let through as support-read. */
  ignoresTheAllowlist: () => decisionVariant(`(r: OperatorRequest, real: typeof realDecide) =>
    r.email !== undefined && r.entry === undefined ? { allow: true, status: 200, role: "support-read", reason: "control", path: r.path, search: r.search } as const : real(r)`),
  /** Remembers each address's last entry in the isolate and uses it when D1 has none: a cached verdict. */
  cachesEntries: () => decisionVariant(`((cache: Map<string, NonNullable<OperatorRequest["entry"]>>) => (r: OperatorRequest, real: typeof realDecide) => {
    if (r.email !== undefined && r.entry !== undefined) cache.set(r.email, r.entry);
    return real({ ...r, entry: r.entry ?? (r.email === undefined ? undefined : cache.get(r.email)) });
  })(new Map())`),
  /** Reads the entry but not its expiry. */
  ignoresExpiry: () => decisionVariant(`(r: OperatorRequest, real: typeof realDecide) => real({ ...r, entry: r.entry === undefined ? undefined : { ...r.entry, expiresAt: null } })`),
  /** Passes the client's Authorization header through to the console. */
  forwardsTheToken: () => bundleWith(swapImport("forwarded-request", `
import { forwardedHeaders as realForwarded } from "real";
export function forwardedHeaders(...args: Parameters<typeof realForwarded>): Headers {
  const headers = realForwarded(...args);
  const token = args[0].get("authorization");
  if (token !== null) headers.set("authorization", token);
  return headers;
}
`)),
  /** Forwards a path it did not judge (the grammar is gone), still through consoleTarget: it stays on the console's origin. */
  judgesAnotherPath: () => decisionVariant(JUDGES_ANOTHER_PATH),
  /** The grammar gone and the target built as before the fix, new URL(path + query, origin): the open forward itself. */
  forwardsAnywhere: () => bundleWith([
    swapDecision(JUDGES_ANOTHER_PATH),
    editSource("operator-gateway/gateway.ts", "consoleTarget(config.consoleOrigin, decision.path, decision.search)", "new URL(decision.path + decision.search, config.consoleOrigin)"),
  ]),
  /** Decides as usual but never sends the decision to the sink (it still logs it). */
  auditsNothing: () => bundleWith(editSource("operator-gateway/gateway.ts", "await audit(env, {", "console.log({")),
} as const;

/** The org router without its operator-domain check: only verification against the org's own issuer and audience is left. */
export const routerWithoutOperatorCheck = () => bundleWith(
  editSource("dispatch/router.ts", "if (unverified.iss === config.operator.issuer || audiences.includes(config.operator.audience)) return undefined;", ""),
  join("dispatch", "index.ts"),
);

/**
 * The org router that still matches an integration's path but dispatches whatever the signature
 * check says (a refused request is passed on with a made-up message id; esbuild does not type-check).
 */
export const routerWithoutIntegrationCheck = () => bundleWith(
  editSource("dispatch/router.ts", "if (!verdict.ok) return status(401);", "if (!verdict.ok) Object.assign(verdict, { message: { messageId: \"unverified\", signedAt: 0 } });"),
  join("dispatch", "index.ts"),
);

/** The org router that no longer knows its integrations' paths: a signed request there is judged as any other (it needs a user's token). */
export const routerWithoutIntegrationRoutes = () => bundleWith(
  editSource("dispatch/router.ts", "const integration = integrationAt(config.integrations, url.pathname);", "const integration = integrationAt([], url.pathname);"),
  join("dispatch", "index.ts"),
);
