import { buildSync } from "esbuild";
import { join } from "node:path";

/*
 * Bundles each Worker into one ES module for workerd, at build time (npm run build): the program
 * uploads these files as the scripts' content, and the local run loads the same files.
 */

export const WORKER_ENTRIES = {
  dispatch: "dispatch/index.ts",
  outbound: "outbound/index.ts",
  "sample-app": "sample-app/index.ts",
  "local-shims": "local/shims.ts",
} as const;

export type WorkerName = keyof typeof WORKER_ENTRIES;

/** Where a bundle lives once built, relative to the project root. */
export const bundlePath = (projectDir: string, name: WorkerName) => join(projectDir, "dist", "workers", "bundles", `${name}.mjs`);

export function buildWorkers(projectDir: string): void {
  for (const [name, entry] of Object.entries(WORKER_ENTRIES)) {
    buildSync({
      entryPoints: [join(projectDir, "workers", entry)],
      outfile: bundlePath(projectDir, name as WorkerName),
      bundle: true,
      format: "esm",
      platform: "neutral",
      target: "es2022",
      // jose and aws4fetch ship Web-API builds; these conditions pick them.
      conditions: ["workerd", "worker", "browser"],
      mainFields: ["browser", "module", "main"],
      legalComments: "none",
      logLevel: "error",
    });
  }
}

if (require.main === module) buildWorkers(join(__dirname, "..", ".."));
