#!/usr/bin/env node
// Runs the TypeScript CLI through tsx with the workspace's source condition, so `npx virtkit-kvm`
// works from a clean clone without a build step.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const tsx = require.resolve("tsx");
const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const r = spawnSync(process.execPath, ["--conditions=@virtkit/source", "--import", tsx, cli, ...process.argv.slice(2)], { stdio: "inherit" });
process.exit(r.status ?? 1);
