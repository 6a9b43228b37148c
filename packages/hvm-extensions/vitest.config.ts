import { defineConfig, mergeConfig } from "vitest/config";
import shared from "../../vitest.shared.ts";

// Only the TypeScript sources: `tsc -b` also emits compiled tests into dist/.
export default mergeConfig(shared, defineConfig({ test: { include: ["src/**/*.test.ts"] } }));
