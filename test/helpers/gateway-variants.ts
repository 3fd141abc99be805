import { build, type Plugin } from "esbuild";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot, WORKER_BUILD_OPTIONS } from "../../workers/build";

/*
 * The operator gateway with one guard taken out, for the proof's controls: the real gateway
 * source, bundled like the real one, with one of its imports swapped for a wrapper around the
 * real module. Each variant is what an adversary (or a regression) would leave behind.
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

/** Edits the gateway's own source: `from` must occur exactly once, so a control cannot go stale silently. */
function editGateway(from: string, to: string): Plugin {
  return {
    name: "edit-gateway",
    setup(b) {
      b.onLoad({ filter: /operator-gateway[\\/]gateway\.ts$/ }, () => {
        const source = readFileSync(join(projectRoot(), "workers", "operator-gateway", "gateway.ts"), "utf8");
        if (source.split(from).length !== 2) throw new Error(`the gateway no longer contains ${JSON.stringify(from)} exactly once: update this control`);
        return { contents: source.replace(from, to), loader: "ts" };
      });
    },
  };
}

async function bundleWith(plugin: Plugin): Promise<string> {
  const result = await build({
    ...WORKER_BUILD_OPTIONS,
    conditions: [...WORKER_BUILD_OPTIONS.conditions],
    mainFields: [...WORKER_BUILD_OPTIONS.mainFields],
    entryPoints: [join(projectRoot(), "workers", "operator-gateway", "index.ts")],
    write: false,
    plugins: [plugin],
  });
  const [output] = result.outputFiles;
  if (output === undefined) throw new Error("no bundle");
  return output.text;
}

/** Wraps the verdict: `change` gets the request and the real decideOperator. */
const decisionVariant = (change: string) => bundleWith(swapImport("operator-access", `
import { decideOperator as realDecide, type OperatorRequest, type OperatorDecision } from "real";
const change = ${change};
export function decideOperator(request: OperatorRequest): OperatorDecision { return change(request, realDecide); }
`));

export const GATEWAY_VARIANTS = {
  /** A verified operator with no entry is let through as support-read. */
  ignoresTheAllowlist: () => decisionVariant(`(r: OperatorRequest, real: typeof realDecide) =>
    r.email !== undefined && r.entry === undefined ? { allow: true, status: 200, role: "support-read", reason: "control" } as const : real(r)`),
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
  /** Decides as usual but never sends the decision to the sink (it still logs it). */
  auditsNothing: () => bundleWith(editGateway("await audit(env, {", "console.log({")),
} as const;
