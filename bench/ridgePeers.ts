/**
 * Ridge brain scores against the Python peers, same data, same folds, same run, each solver in its own
 * process (so its peak RSS is its own): `npm run bench -- ridge-peers [--shapes paper,primal] [--V 20480,81924]
 * [--peers himalaya,sklearn] [--modes loo,gcv]`.
 *
 * Shapes: "paper" = n 1,000 TRs × p 4,608 (768 features × 6 FIR delays), wider than tall, so solved in kernel
 * form (the peer: himalaya KernelRidgeCV); "primal" = n 1,040 × p 240 (the peer: himalaya RidgeCV). Both with
 * scikit-learn RidgeCV(alpha_per_target) (efficient LOO). Peers run on Debian's python3 with the BLAS at its
 * best: the environment's OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE guard is unset in the peer's command only
 * (../shared/peers/README.md), and the kernel OpenBLAS then runs is printed. Ratios are peer seconds over ours.
 * Our solver runs as an installed package does, from JavaScript compiled once before the timings
 * (`--runtime compiled`, the default), or from the TypeScript sources through tsx (`--runtime tsx`, a checkout's
 * `bin/brainscore.js`): tsx compiles the modules of the process and of the fold worker as they load.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { takeColumns } from "../src/linalg/dense.js";
import { readNpy, writeNpy } from "../src/io/npy.js";
import { syntheticEncodingProblem } from "./ridge.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const HIMALAYA = resolve(HERE, "../../shared/peers/himalaya-0.4.11");
const SHAPES: Record<string, { n: number; p: number; peer: string }> = {
  paper: { n: 1000, p: 4608, peer: "himalaya-kernel" },
  primal: { n: 1040, p: 240, peer: "himalaya-primal" },
};
export const PEER_ALPHAS = Array.from({ length: 10 }, (_, i) => 10 ** (i - 1));

export interface RidgePeersOptions {
  shapes?: string[];
  V?: number[];
  peers?: string[];
  modes?: string[];
  /** "compiled" (default) or "tsx". */
  runtime?: string;
}

interface Timing {
  seconds: number;
  peakRssMB: number;
  r: Float64Array;
  info: Record<string, unknown>;
}

function runChild(cmd: string, args: string[], env: NodeJS.ProcessEnv, rPath: string): Timing | { error: string } {
  const res = spawnSync(cmd, args, { encoding: "utf8", env, maxBuffer: 1 << 24 });
  if (res.status !== 0) return { error: (res.stderr || String(res.error)).trim().split("\n").slice(-1)[0] };
  const info = JSON.parse(res.stdout.trim().split("\n").pop()!) as Record<string, unknown>;
  return {
    seconds: info.seconds as number,
    peakRssMB: info.peakRssMB as number,
    r: Float64Array.from(readNpy(rPath).data),
    info,
  };
}

/**
 * How to start our child: compiled to JavaScript under .cache/ (inside the repository, so its imports of
 * onnxruntime-node resolve), with the fold worker, which foldLanes.ts loads by path; or the sources via tsx.
 */
function ourChild(runtime: string): { args: string[]; runtime: string } {
  const child = join(HERE, "ridgePeersChild.ts");
  if (runtime === "tsx") return { args: [...process.execArgv, child], runtime: "tsx (TypeScript sources)" };
  if (runtime !== "compiled") throw new Error(`ridge-peers: unknown runtime "${runtime}" (compiled, tsx)`);
  const root = resolve(HERE, "..");
  const out = join(root, ".cache", "bench-compiled");
  rmSync(out, { recursive: true, force: true });
  const worker = join(root, "src/ridge/foldWorker.ts");
  const flags = [
    "--ignoreConfig",
    "--outDir",
    out,
    "--rootDir",
    root,
    "--module",
    "NodeNext",
    "--moduleResolution",
    "NodeNext",
    "--target",
    "ES2022",
    "--skipLibCheck",
    "--types",
    "node",
  ];
  const tsc = spawnSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), ...flags, child, worker], {
    encoding: "utf8",
  });
  if (tsc.status !== 0)
    throw new Error(`ridge-peers: compiling the solver failed: ${(tsc.stdout + tsc.stderr).trim().split("\n")[0]}`);
  return { args: [join(out, "bench", "ridgePeersChild.js")], runtime: "compiled (as installed)" };
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++)
    if (Number.isFinite(a[i]) && Number.isFinite(b[i])) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export async function benchRidgePeers(opts: RidgePeersOptions = {}): Promise<object[]> {
  const shapes = opts.shapes ?? ["paper", "primal"];
  const Vs = opts.V ?? [20480, 81924];
  const peers = (opts.peers ?? ["himalaya", "sklearn"]).filter((p) => p !== "none");
  for (const p of peers)
    if (p !== "himalaya" && p !== "sklearn")
      throw new Error(`ridge-peers: unknown peer "${p}" (himalaya, sklearn, none)`);
  const modes = opts.modes ?? ["loo", "gcv"];
  const child = ourChild(opts.runtime ?? "compiled");
  const peerEnv: NodeJS.ProcessEnv = { ...process.env, PYTHONPATH: HIMALAYA };
  delete peerEnv.OPENBLAS_CORETYPE;
  delete peerEnv.OPENBLAS_L2_SIZE;
  const rows: object[] = [];
  const dir = mkdtempSync(join(tmpdir(), "ridge-peers-"));
  try {
    for (const shape of shapes) {
      const s = SHAPES[shape];
      if (!s) throw new Error(`ridge-peers: unknown shape "${shape}" (paper, primal)`);
      const vMax = Math.max(...Vs);
      const { x, y } = syntheticEncodingProblem(s.n, s.p, vMax, 1);
      const xf = join(dir, `${shape}-X.npy`);
      writeNpy(xf, { shape: [s.n, s.p], data: x.data as Float32Array });
      for (const V of Vs) {
        // Each V its own file, so no solver reads (and then frees, inside its timing) columns it does not use.
        const yf = join(dir, `${shape}-Y-${V}.npy`);
        writeNpy(yf, { shape: [s.n, V], data: takeColumns(y, 0, V).data as Float32Array });
        const results: Record<string, Timing> = {};
        const record = (solver: string, t: Timing | { error: string }) => {
          if ("error" in t) {
            rows.push({ benchmark: "ridge-peers", shape, V, solver, note: `not run: ${t.error}` });
            return;
          }
          results[solver] = t;
        };
        for (const mode of modes) {
          const rPath = join(dir, `ours-${mode}.npy`);
          const args = [...child.args, xf, yf, String(V), mode, rPath, JSON.stringify(PEER_ALPHAS)];
          record(`brainscore ${mode}`, runChild(process.execPath, args, process.env, rPath));
        }
        for (const peer of peers) {
          const solver = peer === "himalaya" ? s.peer : "sklearn";
          if (peer === "himalaya" && !existsSync(HIMALAYA)) {
            record(solver, { error: `${HIMALAYA} not found` });
            continue;
          }
          const rPath = join(dir, `${solver}.npy`);
          const script = join(HERE, "peers", "ridge_peer.py");
          record(
            solver,
            runChild(
              "/usr/bin/python3",
              [script, solver, xf, yf, String(V), rPath, JSON.stringify(PEER_ALPHAS)],
              peerEnv,
              rPath,
            ),
          );
        }
        const reference = results.sklearn?.r;
        for (const [solver, t] of Object.entries(results)) {
          const row: Record<string, unknown> = {
            benchmark: "ridge-peers",
            shape,
            n: s.n,
            p: s.p,
            V,
            solver,
            seconds: +t.seconds.toFixed(2),
            peakRssMB: t.peakRssMB,
          };
          for (const [k, v] of Object.entries(t.info)) if (!["seconds", "peakRssMB"].includes(k)) row[k] = v;
          if (reference && solver !== "sklearn")
            row.maxAbsDiffRvsSklearn = +maxAbsDiff(t.r, reference).toExponential(2);
          if (solver.startsWith("brainscore")) {
            row.runtime = child.runtime;
            for (const peer of Object.keys(results).filter((k) => !k.startsWith("brainscore")))
              row[`speedupVs_${peer}`] = +(results[peer].seconds / t.seconds).toFixed(2);
          }
          rows.push(row);
        }
        rmSync(yf, { force: true });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
