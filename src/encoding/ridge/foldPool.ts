/**
 * Prepares outer folds on a background worker thread while the caller's thread runs the products of the
 * folds already prepared, so both cores stay busy: onnxruntime-node runs a session synchronously on the
 * thread that calls it, and a fold's preparation is largely single-threaded JavaScript (tridiagonalisation,
 * divide and conquer, Cholesky panels). The first fold is prepared on the caller's thread at the same time.
 * Where a worker cannot start, every fold is prepared on the caller's thread: same arithmetic, same results.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { ComputeBackend, GraphRunner } from "../../backend/types.js";
import type { DType, Matrix } from "../../linalg/dense.js";
import type { AlphaSelection } from "./criteria.js";
import type { Fold } from "./folds.js";
import { prepareFold, type PreparedFold } from "./foldPrep.js";

export interface FoldJob {
  id: number;
  x: Matrix;
  fold: Fold;
  alphas: Float64Array;
  mode: AlphaSelection;
  dtype: DType;
}

/** Folds whose smaller design side is below this are prepared in milliseconds: no worker round trip. */
const WORKER_MIN_SIDE = 200;

/**
 * One promise per fold, in fold order. `designs[k]` is fold k's design (or one design for all). Fold 0 is
 * prepared here and the others on the process's worker, which holds the process open only while it has
 * folds to prepare.
 */
export function prepareFolds(
  designs: Matrix[],
  folds: Fold[],
  spec: { alphas: Float64Array; mode: AlphaSelection; dtype: DType },
  gram: ComputeBackend,
  runner: GraphRunner | undefined,
): Promise<PreparedFold>[] {
  const design = (k: number) => (designs.length === 1 ? designs[0] : designs[k]);
  const local = (k: number) => prepareFold(design(k), { fold: folds[k], ...spec }, gram, runner);
  const side = Math.min(designs[0].cols, ...folds.map((f) => f.train.length));
  const pool = folds.length > 1 && side >= WORKER_MIN_SIDE ? foldWorker() : null;
  const out: Promise<PreparedFold>[] = [];
  for (let k = 0; k < folds.length; k++) {
    // Without a worker, one after the other, as the products consume them.
    const after = (k: number) => (k === 0 ? local(0) : out[k - 1].catch(() => undefined).then(() => local(k)));
    if (!pool || k === 0) {
      out.push(after(k));
      continue;
    }
    out.push(
      pool.submit({ x: design(k), fold: folds[k], ...spec }).catch((err: Error & { workerDied?: boolean }) => {
        // A worker that died (not a bad input: that fails the same way here) falls back to this thread.
        if (!err.workerDied) throw err;
        return after(k);
      }),
    );
  }
  return out;
}

interface Pool {
  submit(job: Omit<FoldJob, "id">): Promise<PreparedFold>;
}

let shared: Pool | null | undefined;

/** The process's fold worker, started on first use; null where none can run (then folds stay here). */
function foldWorker(): Pool | null {
  if (shared !== undefined) return shared;
  const worker = startWorker();
  if (!worker) return (shared = null);
  worker.unref();
  const pending = new Map<number, { resolve: (p: PreparedFold) => void; reject: (e: Error) => void }>();
  let next = 0;
  worker.on("message", (msg: { id: number; prep?: PreparedFold; error?: string }) => {
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (pending.size === 0) worker.unref();
    if (msg.prep) p.resolve(msg.prep);
    else p.reject(new Error(msg.error));
  });
  const die = (err: Error) => {
    warnOnce(err);
    shared = null;
    for (const p of pending.values()) p.reject(Object.assign(new Error(err.message), { workerDied: true }));
    pending.clear();
  };
  worker.on("error", die);
  worker.on("exit", (code) => die(new Error(`exited with code ${code}`)));
  shared = {
    submit(job) {
      const id = next++;
      return new Promise<PreparedFold>((resolve, reject) => {
        if (pending.size === 0) worker.ref();
        pending.set(id, { resolve, reject });
        worker.postMessage({ ...job, id });
      });
    },
  };
  return shared;
}

/** The worker, started from its compiled .js, or from the .ts source through tsx's loader in development. */
function startWorker(): Worker | null {
  try {
    const js = new URL("./foldWorker.js", import.meta.url);
    if (existsSync(fileURLToPath(js))) return new Worker(js);
    const ts = new URL("./foldWorker.ts", import.meta.url);
    if (!existsSync(fileURLToPath(ts))) throw new Error(`${fileURLToPath(js)} not found`);
    // tsx's ESM API (its "./esm/api" export, import condition).
    const tsxApi = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve("tsx/package.json")), "dist/esm/api/index.mjs")).href;
    const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(ts.href)}); });`;
    return new Worker(boot, { eval: true });
  } catch (err) {
    warnOnce(err instanceof Error ? err : new Error(String(err)));
    return null;
  }
}

let warned = false;
/** Said once per process: the results are the same, only the second core idles during preparations. */
function warnOnce(err: Error): void {
  if (warned) return;
  warned = true;
  process.emitWarning(`the fold-preparation worker is unavailable (${err.message}); folds are prepared on the main thread`, "BrainscoreWarning");
}
