#!/usr/bin/env node
// In a checkout the TypeScript sources run directly through tsx; an installed package (no src/) runs the
// compiled JavaScript in dist/.
import { existsSync } from "node:fs";

const source = new URL("../src/cli/main.ts", import.meta.url);
let main, exitOnTermination;
if (existsSync(source)) {
  const { register } = await import("tsx/esm/api");
  register();
  ({ main, exitOnTermination } = await import(source.href));
} else {
  ({ main, exitOnTermination } = await import(new URL("../dist/src/cli/main.js", import.meta.url).href));
}
exitOnTermination(process.argv[2] ?? "");
process.exitCode = await main(process.argv.slice(2));
