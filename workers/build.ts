import type { BuildOptions } from "esbuild";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

/*
 * Bundles each Worker into one ES module for workerd, at build time (npm run build): the program
 * uploads these files as the scripts' content, and the local run loads the same files.
 */

export const WORKER_ENTRIES = {
  dispatch: "dispatch/index.ts",
  outbound: "outbound/index.ts",
  "operator-gateway": "operator-gateway/index.ts",
  "sample-app": "sample-app/index.ts",
  "local-shims": "local/shims.ts",
} as const;

export type WorkerName = keyof typeof WORKER_ENTRIES;

/** Where a bundle lives once built, relative to the project root. */
export const bundlePath = (projectDir: string, name: WorkerName) => join(projectDir, "dist", "workers", "bundles", `${name}.mjs`);

/** The project root (holding Pulumi.yaml), from compiled or source code alike. */
export function projectRoot(from: string = __dirname): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, "Pulumi.yaml")) && existsSync(join(dir, "package.json"))) return dir;
  }
  throw new Error(`internal: no project root above ${from}`);
}

const sources = new Map<string, string>();

/** A built bundle's text; the program uploads it as the script's content. Read once per process. */
export function bundleSource(name: WorkerName, projectDir: string = projectRoot()): string {
  const path = bundlePath(projectDir, name);
  const cached = sources.get(path);
  if (cached !== undefined) return cached;
  if (!existsSync(path)) throw new Error(`the ${name} Worker is not built (${path}): run npm run build`);
  const source = readFileSync(path, "utf8");
  sources.set(path, source);
  return source;
}

/** How every Worker is bundled: one ES module for workerd (the proof's control variants are bundled the same way). */
export const WORKER_BUILD_OPTIONS = {
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  // jose and aws4fetch ship Web-API builds; these conditions pick them.
  conditions: ["workerd", "worker", "browser"],
  mainFields: ["browser", "module", "main"],
  legalComments: "none",
  logLevel: "error",
} as const satisfies BuildOptions;

export function buildWorkers(projectDir: string): void {
  // Loaded here, not at the top: the program reads built bundles through this module, and
  // `tenantry check` must not load the bundler it never runs.
  const { buildSync } = require("esbuild") as typeof import("esbuild");
  for (const [name, entry] of Object.entries(WORKER_ENTRIES)) {
    buildSync({
      ...WORKER_BUILD_OPTIONS,
      conditions: [...WORKER_BUILD_OPTIONS.conditions],
      mainFields: [...WORKER_BUILD_OPTIONS.mainFields],
      entryPoints: [join(projectDir, "workers", entry)],
      outfile: bundlePath(projectDir, name as WorkerName),
    });
  }
}

if (require.main === module) buildWorkers(projectRoot());
