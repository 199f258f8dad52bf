import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

/** The package's root folder (where package.json is), whether running from src/ or from dist/src/. */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, "utf8")).name === "brainscore") return (root = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find the brainscore package root (package.json)");
    dir = up;
  }
}

/** A path inside the package's embedded data folder. */
export function embeddedData(...parts: string[]): string {
  return join(packageRoot(), "data", ...parts);
}

/** The installed package's version (package.json), for `brainscore --version` and provenance. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version: string }).version;
}
