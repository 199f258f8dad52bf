/**
 * The published package as a user gets it: `npm pack`, install the tarball into a fresh TypeScript project,
 * type-check (strict, no skipLibCheck) and run a program that imports "brainscore" and its domain entries
 * ("brainscore/ridge", "/finetune", "/stats") by name, and run the
 * installed command. The install follows the README's consumer instructions as written, without this
 * repository's .npmrc. Dependencies come from npm's cache when `npm ci` has filled it.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const repo = fileURLToPath(new URL("..", import.meta.url));
const require = createRequire(import.meta.url);
const version = (pkg: string) =>
  (JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), "utf8")) as { version: string }).version;

// Nothing of this repository's npm configuration reaches the consumer: npm exports project settings
// (the repository's .npmrc) to scripts as npm_config_* variables, which would hide a missing instruction.
const consumerEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^npm_config_onnxruntime|^ONNXRUNTIME_NODE_INSTALL$/i.test(k)),
);

/** The README's consumer install block (bash), marked by its consumer-install comment. */
function readmeInstallBlock(): string {
  const readme = readFileSync(join(repo, "README.md"), "utf8");
  const m = /<!-- consumer-install:[^>]*-->\s*```bash\n([\s\S]*?)```/.exec(readme);
  if (!m) throw new Error("README.md: no consumer-install block");
  return m[1];
}

function run(cmd: string, args: string[], cwd: string): string {
  const res = spawnSync(cmd, args, {
    cwd,
    encoding: "utf8",
    env: { ...consumerEnv, npm_config_update_notifier: "false" },
  });
  if (res.status !== 0)
    throw new Error(`${cmd} ${args.join(" ")} failed (${res.status}):\n${res.stdout}\n${res.stderr}`);
  return res.stdout;
}

const PROGRAM = `import { brainScore, RidgeCV, BandedRidgeCV, pearsonScore, writeNpy, type Matrix } from "brainscore";
import { RidgeCV as RidgeFromDomain } from "brainscore/ridge";
import { Tape } from "brainscore/finetune";
import { fdrAcrossTargets } from "brainscore/stats";

const n = 120, p = 5, V = 3;
let seed = 1;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) - 0.5;
const x: Matrix = { rows: n, cols: p, data: Float64Array.from({ length: n * p }, rand) };
const y: Matrix = { rows: n, cols: V, data: new Float64Array(n * V) };
for (let i = 0; i < n; i++) for (let t = 0; t < V; t++) y.data[i * V + t] = x.data[i * p + t] + 0.3 * rand();
const cv = await brainScore(x, y, { folds: 5, dtype: "float64" });
const model = await new RidgeCV({ dtype: "float64" }).fit(x, y);
const r: Float64Array = await model.score(x, y);
const banded = await new BandedRidgeCV({ gammas: [[1, 0], [0, 1]], dtype: "float64" }).fit([x, { ...x, data: x.data.map(() => rand()) }], y);
writeNpy("X.npy", { shape: [n, p], data: x.data });
writeNpy("Y.npy", { shape: [n, V], data: y.data });
const domains = { sameClass: RidgeFromDomain === RidgeCV, tape: typeof Tape, q: Array.from(fdrAcrossTargets([0.01, NaN])) };
console.log(JSON.stringify({ r: Array.from(cv.r), fit: Array.from(r), same: pearsonScore(y, await model.predict(x))[0] === r[0], firstSpace: Array.from(banded.bestGammas!.subarray(0, V)), domains }));
`;

describe("the npm package", () => {
  it("packs, installs into a fresh project, type-checks and runs by name, with its command", () => {
    const work = mkdtempSync(join(tmpdir(), "brainscore-consumer-"));
    const packed = run("npm", ["pack", "--silent", "--pack-destination", work], repo).trim().split("\n").pop()!;
    const tarball = join(work, packed);
    const files = run("tar", ["tzf", tarball], work).split("\n");
    expect(files).toContain("package/dist/src/index.js");
    expect(files).toContain("package/dist/src/index.d.ts");
    expect(files).toContain("package/data/fsaverage5/infl_left.gii.gz");
    expect(
      files.some(
        (f) => f.startsWith("package/tests/") || f.startsWith("package/dist/tests/") || f.startsWith("package/src/"),
      ),
    ).toBe(false);

    const app = join(work, "app");
    run("mkdir", ["-p", app], work);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    // The README's consumer instructions, run as written (the tarball's name is the one npm pack wrote).
    run("cp", [tarball, app], work);
    const steps = readmeInstallBlock();
    expect(steps).toMatch(new RegExp(`npm install \\./${packed.replace(/\./g, "\\.")}`));
    const help = run("bash", ["-euo", "pipefail", "-c", steps], app);
    expect(help).toMatch(/Usage: brainscore <command>/);
    writeFileSync(join(app, "main.ts"), PROGRAM);
    const tsconfig = {
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        outDir: "out",
        types: ["node"],
      },
      include: ["main.ts"],
    };
    writeFileSync(join(app, "tsconfig.json"), JSON.stringify(tsconfig));
    // What the test needs on top (a compiler for the strict type-check), not what a user must install.
    run(
      "npm",
      [
        "install",
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        "--silent",
        `typescript@${version("typescript")}`,
        `@types/node@${version("@types/node")}`,
      ],
      app,
    );
    run("node", ["node_modules/typescript/bin/tsc", "-p", "."], app);
    const out = JSON.parse(run("node", ["out/main.js"], app)) as {
      r: number[];
      fit: number[];
      same: boolean;
      firstSpace: number[];
      domains: object;
    };
    for (const v of out.r) expect(v).toBeGreaterThan(0.8);
    expect(out.same).toBe(true);
    expect(out.firstSpace).toEqual([1, 1, 1]);
    // The domain entries (package.json exports): the same classes as the root's, and the names only they hold.
    expect(out.domains).toEqual({ sameClass: true, tape: "function", q: [0.02, null] });
    const fit = run(
      join(app, "node_modules", ".bin", "brainscore"),
      ["fit", "--x", "X.npy", "--y", "Y.npy", "--out", "res.safetensors", "--quiet"],
      app,
    );
    expect(fit).toMatch(/brain score \(Pearson r, mean over 5 folds\): mean 0\.9\d+ over 3 targets/);
  }, 300_000);
});
