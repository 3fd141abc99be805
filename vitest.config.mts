import { defineConfig } from "vitest/config";

/*
 * Two projects that run side by side, each one file at a time: the unit tests are CPU-bound,
 * the integration tests mostly wait on Postgres and workerd (timeouts the proof waits out), so
 * on a 2-core machine the two overlap well. Integration files stay sequential: they share one
 * embedded server (global-setup.ts) and org names.
 */
export default defineConfig({
  test: {
    globalSetup: ["./test/integration/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ["default", "./test/summary-reporter.ts"],
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: "unit", include: ["test/unit/**/*.test.ts"], fileParallelism: false } },
      { extends: true, test: { name: "integration", include: ["test/integration/**/*.test.ts"], fileParallelism: false } },
    ],
  },
});
