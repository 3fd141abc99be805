import { defineConfig } from "vitest/config";

/*
 * Two projects, each one file at a time: the unit tests are CPU-bound, the integration tests
 * mostly wait on Postgres and workerd (timeouts the proof waits out), and their files share one
 * embedded server (global-setup.ts) and org names. vitest runs projects whose files are
 * sequential one after the other, never side by side, so `npm test` starts one vitest per
 * project (concurrently) and the two overlap on a 2-core machine.
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
