import { defineConfig } from "vitest/config";

/** Shared vitest settings: resolve workspace packages to their TypeScript source. */
export default defineConfig({
  ssr: {
    resolve: {
      conditions: ["@virtkit/source", "module", "node", "development|production"],
    },
  },
  resolve: {
    conditions: ["@virtkit/source", "module", "node", "development|production"],
  },
  test: {
    // Only TypeScript sources: `tsc -b` also emits compiled tests into dist/.
    include: ["src/**/*.test.ts"],
    testTimeout: 120_000,
    // In CI each package also writes a JSON report that .ci/run adds up.
    reporters: process.env.CI ? ["default", "json"] : ["default"],
    outputFile: { json: ".vitest-report.json" },
  },
});
