import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { localPaths } from "../../local/paths";
import { ensureProviderAdmin } from "../../local/provider-admin";
import { ensureServer, stopServer } from "../../local/server";

/*
 * One embedded Postgres per vitest process (`npm test` runs the integration files in two halves,
 * each its own process), on a free loopback port, in a temporary directory; stopped and deleted
 * at the end. The provider's login is created here once, so
 * test files running in parallel never race to create it.
 */

declare module "vitest" {
  export interface ProvidedContext {
    localDir: string;
  }
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), "tenantry-it-"));
  // As root the server runs as the postgres OS user, which must be able to reach its data.
  chmodSync(dir, 0o755);
  const paths = localPaths(dir);
  const { server } = await ensureServer(paths);
  await ensureProviderAdmin(paths, server, "tenantry");
  project.provide("localDir", dir);
  return async () => {
    await stopServer(paths);
    rmSync(dir, { recursive: true, force: true });
  };
}
