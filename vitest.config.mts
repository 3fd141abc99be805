import { defineConfig } from "vitest/config";

/*
 * Two projects, each one file at a time: the unit tests are CPU-bound, the integration tests
 * mostly wait on Postgres and workerd (timeouts the proof waits out), and their files share one
 * embedded server (global-setup.ts) and org names. vitest runs projects whose files are
 * sequential one after the other, never side by side, so `npm test` starts one vitest for the
 * unit project and two for the integration project's halves (`--shard`), each half with its own
 * server from global-setup.ts; the three overlap on a 2-core machine (12 min against 14.5 for
 * one integration process, measured on a clean clone).
 */
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ["default", "./test/summary-reporter.ts"],
    projects: [
      { extends: true, test: { name: "unit", include: ["test/unit/**/*.test.ts"], fileParallelism: false } },
      {
        extends: true,
        test: { name: "integration", include: ["test/integration/**/*.test.ts"], fileParallelism: false, globalSetup: ["./test/integration/global-setup.ts"] },
      },
    ],
  },
});
