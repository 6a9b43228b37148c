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
    testTimeout: 120_000,
  },
});
