#!/usr/bin/env node
/**
 * API reference from the doc comments: reads the declarations the compiler emits for the library's entries
 * (dist/src/index.d.ts, "brainscore", and dist/src/api/<domain>.d.ts, "brainscore/<domain>", with the files
 * they re-export), and writes one Markdown page: per entry, every public name with its signature and
 * documentation. (TypeDoc does not support TypeScript 7 yet.)
 *
 *   node scripts/api-docs.mjs [--out results/api/API.md] [--no-build]
 * Exits 1 when an exported function, class or constant has no doc comment.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const outIndex = args.indexOf("--out");
const out = resolve(root, outIndex >= 0 ? args[outIndex + 1] : "results/api/API.md");
if (!args.includes("--no-build"))
  execFileSync(
    process.execPath,
    [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.build.json")],
    { stdio: "inherit" },
  );

const entry = join(root, "dist/src/index.d.ts");
if (!existsSync(entry)) throw new Error(`${entry} is missing: build the library first (npm run build:lib)`);
// The package's exports map names the entries: "." and "./<domain>".
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const entries = Object.entries(pkg.exports)
  .filter(([, v]) => typeof v === "object")
  .map(([k, v]) => ({ name: k === "." ? "brainscore" : `brainscore/${k.slice(2)}`, file: join(root, v.types) }));

/** Top-level declarations of a .d.ts file: name → { kind, text, doc }. */
function declarations(file) {
  const lines = readFileSync(file, "utf8").split("\n");
  const found = new Map();
  let doc = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith("/**")) {
      const start = i;
      while (!lines[i].includes("*/")) i++;
      doc = lines
        .slice(start, i + 1)
        .map((l) =>
          l
            .replace(/^\s*\/?\*+\/?\s?/, "")
            .replace(/\*\/$/, "")
            .trimEnd(),
        )
        .join("\n")
        .trim();
      continue;
    }
    const m = /^export (?:declare )?(?:abstract )?(function|class|const|interface|type|enum) (\w+)/.exec(line);
    if (m) {
      // The declaration runs to its closing brace or semicolon at the top level.
      let end = i;
      if (/[{(]\s*$/.test(line) || (m[1] !== "type" && m[1] !== "const" && !line.trimEnd().endsWith(";"))) {
        while (end < lines.length - 1 && !/^[}\)]/.test(lines[end])) end++;
      }
      const text = lines.slice(i, end + 1).join("\n");
      if (!found.has(m[2])) found.set(m[2], { kind: m[1], text, doc });
      i = end;
    }
    if (line.trim() !== "") doc = null;
  }
  return found;
}

const sections = [];
const missing = new Set();
for (const { name: entryName, file: entryFile } of entries) {
  sections.push({ entry: entryName });
  for (const line of readFileSync(entryFile, "utf8").split("\n")) {
    const m = /^export \{ (.+) \} from "(.+)";$/.exec(line);
    if (!m) continue;
    const file = join(dirname(entryFile), m[2].replace(/\.js$/, ".d.ts"));
    const decls = declarations(file);
    const module = relative(join(root, "dist"), file).replace(/\.d\.ts$/, ".ts");
    for (const spec of m[1].split(", ")) {
      const name = spec
        .replace(/^type /, "")
        .split(" as ")
        .pop();
      const original = spec.replace(/^type /, "").split(" as ")[0];
      const d = decls.get(original);
      if (!d) {
        sections.push({ name, module, kind: "re-export", text: "", doc: "" });
        continue;
      }
      if (!d.doc && ["function", "class", "const"].includes(d.kind)) missing.add(`${name} (${module})`);
      sections.push({ name, module, ...d });
    }
  }
}
const names = sections.filter((s) => !s.entry);

const md = [
  "# brainscore — API reference",
  "",
  `Generated from the doc comments of the published declarations (\`scripts/api-docs.mjs\`). ${entries.length} entries: \`"brainscore"\` (the everyday names) and one per domain (all of its names).`,
  "",
  ...sections.flatMap((s) =>
    s.entry
      ? [`# \`${s.entry}\``, ""]
      : [
          `## \`${s.name}\` — ${s.kind}`,
          "",
          `Source: \`${s.module}\``,
          "",
          ...(s.doc ? [s.doc, ""] : []),
          ...(s.text ? ["```ts", s.text, "```", ""] : []),
        ],
  ),
].join("\n");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(`${out}.tmp`, md);
renameSync(`${out}.tmp`, out);
console.log(`api-docs: ${names.length} names in ${entries.length} entries → ${relative(root, out)}`);
if (missing.size > 0) {
  console.error(
    `api-docs: ${missing.size} exported function(s)/class(es)/constant(s) without a doc comment:\n  ${[...missing].join("\n  ")}`,
  );
  process.exit(1);
}
