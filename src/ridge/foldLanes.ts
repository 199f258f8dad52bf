/**
 * Runs the fused outer folds of one brainScore call (fusedFold.ts) on two lanes — this thread and a
 * process-wide worker thread (foldWorker.ts) — each with single-threaded onnxruntime sessions, so both cores
 * work all the time. Measured at the paper's shape (n 1,000 × p 4,608): one session on 2 threads runs a
 * fold's products in 1.33 s where one thread takes 2.30 s (1.73×, not 2×), and a fold's preparation (Gram,
 * eigendecomposition, LOO factors) is largely single-threaded JavaScript; two single-threaded lanes that
 * share the preparations and then the target chunks waste neither.
 *
 * Both lanes prepare folds first (the worker from the lowest fold up, this thread from the highest, claimed
 * through a shared array so none is prepared twice), then take target chunks of prepared folds, lowest fold
 * first. Every chunk is computed by the same model on one thread whichever lane runs it, and both lanes
 * prepare with the same single-threaded float64 GEMM, so results do not depend on the schedule (tests).
 * Where the worker cannot run, the design is small (smaller side under 200: a round trip costs more than
 * the work), the backend is not onnxruntime on the CPU, or BRAINSCORE_FOLD_WORKER=0, one lane runs
 * everything on the caller's backends.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { OrtBackend } from "../backend/ort.js";
import type { ComputeBackend, GraphRunner, GraphTensor } from "../backend/types.js";
import { allocate, castArray, columnsInto, type DType, type FloatArray, type Matrix } from "../linalg/dense.js";
import type { Fold } from "./folds.js";
import { prepareFold, type PreparedFold } from "./foldPrep.js";
import { FusedFold, type FusedFoldOutput, type FusedMode } from "./fusedFold.js";

export interface LaneSpec {
  alphas: Float64Array;
  mode: FusedMode;
  dtype: DType;
  withPredictions: boolean;
  /** loo: score the alphas by triangular factors (prepared per fold) instead of the residual form. */
  triangularLoo: boolean;
}

export interface LaneCallbacks {
  /** Fold k is prepared (called once per fold, in any order). */
  prepared(k: number, prep: PreparedFold): void;
  /** Targets [c0, c0 + out.best.length) of fold k are scored (any order). */
  chunk(k: number, c0: number, out: FusedFoldOutput): void;
}

/** Folds whose smaller design side is below this are prepared in milliseconds: no worker round trip. */
const WORKER_MIN_SIDE = 200;
/**
 * Chunks in flight on the worker (the one it runs and those queued behind it), so it never waits for this
 * thread, which posts new ones only between its own onnxruntime runs and window PCAs (tens of ms each).
 * Measured 2026-12-07, same run, 2 → 6: paper shape (n 1,000 × p 4,608 × V 20,480) loo 8.25 → 7.74 s,
 * primal (n 1,040 × p 240) loo 4.39 → 3.87 s, a pieman-sized forecast fit on 82,002 targets 3.84 → 3.62 s.
 */
const WORKER_QUEUE = 6;

export interface LaneReport {
  /** Folds without a signal direction (s empty): not scored here, the caller scores them step by step. */
  stepwise: number[];
  /** Folds prepared and target chunks scored by each lane. */
  main: { folds: number; chunks: number };
  worker: { folds: number; chunks: number };
}

/** Scores every fold whose design has a signal direction. `y` is the whole n × V target matrix. */
export async function scoreFusedFolds(
  designs: Matrix[],
  folds: Fold[],
  spec: LaneSpec,
  y: Matrix,
  chunk: number,
  backends: { compute: ComputeBackend; f64: ComputeBackend },
  cb: LaneCallbacks,
): Promise<LaneReport> {
  const K = folds.length;
  const V = y.cols;
  const n = y.rows;
  const nChunks = Math.ceil(V / chunk);
  const yData = castArray(y.data, spec.dtype);
  const yTensor: GraphTensor = { type: spec.dtype, data: yData, dims: [n, V] };
  const side = Math.min(designs[0].cols, ...folds.map((f) => f.train.length));
  const lanes =
    process.env.BRAINSCORE_FOLD_WORKER !== "0" && side >= WORKER_MIN_SIDE && onCpu(backends.compute) && V > 0;
  const channel = lanes ? foldWorker() : null;
  const local = channel ? laneBackends(spec.dtype) : { runner: backends.compute.graphs!, f64: backends.f64 };
  const design = (k: number) => (designs.length === 1 ? designs[0] : designs[k]);

  // 0 unclaimed, 1 this thread, 2 the worker (set by the worker itself).
  const claims = new Int32Array(channel ? new SharedArrayBuffer(4 * K) : new ArrayBuffer(4 * K));
  const preps: (PreparedFold | undefined)[] = new Array(K);
  const isPrepared = new Uint8Array(K);
  const stepwise = new Set<number>();
  const nextChunk = new Int32Array(K);
  const doneChunks = new Int32Array(K);
  const workerHas = new Uint8Array(K);
  const localFused = new Map<number, FusedFold>();
  const workerTasks = new Map<number, { k: number; i: number }>();
  const redo: { k: number; i: number }[] = [];
  const inbox: WorkerReply[] = [];
  // Chunk buffers come back from the worker and are reused: a fresh 1,040 × 256 block per chunk was mostly
  // page faults and garbage collection (~0.1–0.2 s of a primal fit's first call).
  const spare: FloatArray[] = [];
  let wake: (() => void) | null = null;
  let workerAlive = channel !== null;
  let failure: Error | null = null;
  let taskId = 0;
  const report: LaneReport = { stepwise: [], main: { folds: 0, chunks: 0 }, worker: { folds: 0, chunks: 0 } };
  const call = channel
    ? channel.open((msg) => {
        inbox.push(msg);
        wake?.();
      })
    : -1;

  const markPrepared = (k: number, prep: PreparedFold) => {
    preps[k] = prep;
    isPrepared[k] = 1;
    cb.prepared(k, prep);
    if (prep.dec.s.length === 0) {
      stepwise.add(k);
      if (workerHas[k] && workerAlive) channel!.post({ type: "release", call, k });
    }
  };
  // Every fold is prepared, even with no targets: its form is part of the result.
  const foldDone = (k: number) => isPrepared[k] === 1 && (stepwise.has(k) || doneChunks[k] === nChunks);
  const chunkDone = async (k: number) => {
    doneChunks[k]++;
    if (doneChunks[k] !== nChunks) return;
    await localFused.get(k)?.release();
    localFused.delete(k);
    preps[k] = undefined;
    if (workerHas[k] && workerAlive) channel!.post({ type: "release", call, k });
  };
  const assignable = (): number => {
    for (let k = 0; k < K; k++) if (preps[k] && !stepwise.has(k) && nextChunk[k] < nChunks) return k;
    return -1;
  };
  const pump = () => {
    while (workerAlive && workerTasks.size < WORKER_QUEUE) {
      const k = assignable();
      if (k < 0) return;
      if (!workerHas[k]) {
        channel!.post({ type: "fold", call, k, prep: preps[k]! });
        workerHas[k] = 1;
      }
      const i = nextChunk[k]++;
      const id = taskId++;
      workerTasks.set(id, { k, i });
      const c0 = i * chunk;
      const c1 = Math.min(V, c0 + chunk);
      const size = n * (c1 - c0);
      const at = spare.findIndex((b) => b.length === size);
      const data = at >= 0 ? spare.splice(at, 1)[0] : allocate(spec.dtype, size);
      columnsInto({ rows: n, cols: V, data: yData }, c0, c1, data);
      channel!.post({ type: "chunk", call, id, k, data, cols: c1 - c0 }, [data.buffer as ArrayBuffer]);
    }
  };
  const handle = async (msg: WorkerReply) => {
    if (msg.type === "prepared") {
      workerHas[msg.k] = 1;
      report.worker.folds++;
      markPrepared(msg.k, msg.prep);
    } else if (msg.type === "chunk") {
      const task = workerTasks.get(msg.id)!;
      workerTasks.delete(msg.id);
      if (msg.data) spare.push(msg.data);
      cb.chunk(task.k, task.i * chunk, msg.out);
      report.worker.chunks++;
      await chunkDone(task.k);
    } else if (msg.type === "error") {
      failure ??= new Error(msg.message);
    } else if (msg.type === "died") {
      // Nothing is lost: the worker's unfinished preparations and chunks move to this thread.
      workerAlive = false;
      for (let k = 0; k < K; k++) if (claims[k] === 2 && !preps[k]) claims[k] = 0;
      redo.push(...workerTasks.values());
      workerTasks.clear();
    }
  };
  const runLocal = async (k: number, i: number) => {
    let fused = localFused.get(k);
    if (!fused) {
      fused = await FusedFold.compile(
        {
          mode: spec.mode,
          dtype: spec.dtype,
          fold: folds[k],
          alphas: spec.alphas,
          withPredictions: spec.withPredictions,
          ...preps[k]!,
        },
        local.runner,
      );
      localFused.set(k, fused);
    }
    const c0 = i * chunk;
    cb.chunk(k, c0, await fused.run(yTensor, c0, Math.min(V, c0 + chunk)));
    report.main.chunks++;
    await chunkDone(k);
  };
  // The worker prepares from the lowest fold up, this thread claims from the highest down.
  const claimLocal = (): number => {
    for (let j = 0; j < K; j++) {
      const k = workerAlive ? K - 1 - j : j;
      if (Atomics.compareExchange(claims, k, 0, 1) === 0) return k;
    }
    return -1;
  };

  try {
    if (channel) {
      channel.post({
        type: "begin",
        call,
        designs,
        folds,
        spec,
        claims,
        n,
      });
      for (let k = 0; k < K; k++) channel.post({ type: "prep", call, k });
    }
    for (;;) {
      while (inbox.length > 0) await handle(inbox.shift()!);
      if (failure) throw failure;
      let all = true;
      for (let k = 0; k < K && all; k++) all = foldDone(k);
      if (all) break;
      pump();
      const again = redo.shift();
      if (again) {
        await runLocal(again.k, again.i);
        continue;
      }
      const k = assignable();
      if (k >= 0) {
        await runLocal(k, nextChunk[k]++);
        continue;
      }
      const kp = claimLocal();
      if (kp >= 0) {
        report.main.folds++;
        markPrepared(
          kp,
          await prepareFold(
            design(kp),
            {
              fold: folds[kp],
              alphas: spec.alphas,
              mode: spec.mode,
              dtype: spec.dtype,
              triangular: spec.triangularLoo,
            },
            local.f64,
            local.runner,
          ),
        );
        continue;
      }
      // Everything left is on the worker: wait for its next reply.
      if (inbox.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
    }
    report.stepwise = [...stepwise].sort((a, b) => a - b);
    return report;
  } finally {
    // A failed call leaves nothing for the worker to prepare: it skips the folds it has not started.
    for (let k = 0; k < K; k++) Atomics.compareExchange(claims, k, 0, 1);
    for (const f of localFused.values()) await f.release();
    if (channel) channel.close(call);
  }
}

function onCpu(backend: ComputeBackend): boolean {
  return backend instanceof OrtBackend && backend.onCpu && backend.graphs !== undefined;
}

/** This thread's lane: single-threaded sessions, like the worker's (so either lane gives the same bits). */
function laneBackends(dtype: DType): { runner: GraphRunner; f64: ComputeBackend } {
  return { runner: singleThreaded(dtype).graphs, f64: singleThreaded("float64") };
}
const singles = new Map<DType, OrtBackend>();
/** One single-threaded onnxruntime backend per precision and thread (also used by the worker). */
export function singleThreaded(dtype: DType): OrtBackend {
  let b = singles.get(dtype);
  if (!b) singles.set(dtype, (b = new OrtBackend({ dtype, intraOpNumThreads: 1 })));
  return b;
}

/** Messages to the worker (foldWorker.ts). */
export type WorkerRequest =
  | { type: "begin"; call: number; designs: Matrix[]; folds: Fold[]; spec: LaneSpec; claims: Int32Array; n: number }
  | { type: "prep"; call: number; k: number }
  | { type: "fold"; call: number; k: number; prep: PreparedFold }
  | { type: "chunk"; call: number; id: number; k: number; data: Float32Array | Float64Array; cols: number }
  | { type: "release"; call: number; k: number }
  | { type: "end"; call: number };

/** Replies from the worker, routed to the call they belong to. */
export type WorkerReply =
  | { type: "prepared"; call: number; k: number; prep: PreparedFold }
  | { type: "skipped"; call: number; k: number }
  | { type: "chunk"; call: number; id: number; out: FusedFoldOutput; data?: Float32Array | Float64Array }
  | { type: "error"; call: number; message: string }
  | { type: "died"; call: number };

interface Channel {
  open(onReply: (msg: WorkerReply) => void): number;
  post(msg: WorkerRequest, transfer?: ArrayBuffer[]): void;
  close(call: number): void;
}

let shared: Channel | null | undefined;

/** The process's fold worker, started on first use; null where none can run (then one lane). */
function foldWorker(): Channel | null {
  if (shared !== undefined) return shared;
  const worker = startWorker();
  if (!worker) return (shared = null);
  worker.unref();
  const listeners = new Map<number, (msg: WorkerReply) => void>();
  let nextCall = 0;
  worker.on("message", (msg: WorkerReply) => listeners.get(msg.call)?.(msg));
  const die = (err: Error) => {
    if (shared === null) return;
    warnOnce(err);
    shared = null;
    for (const [call, listener] of listeners) listener({ type: "died", call });
    listeners.clear();
  };
  worker.on("error", die);
  worker.on("exit", (code) => die(new Error(`exited with code ${code}`)));
  shared = {
    open(onReply) {
      const call = nextCall++;
      if (listeners.size === 0) worker.ref();
      listeners.set(call, onReply);
      return call;
    },
    post(msg, transfer = []) {
      worker.postMessage(msg, transfer);
    },
    close(call) {
      if (!listeners.delete(call)) return;
      worker.postMessage({ type: "end", call } satisfies WorkerRequest);
      // The worker holds the process open only while a call uses it.
      if (listeners.size === 0) worker.unref();
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
    const tsxApi = pathToFileURL(
      join(dirname(createRequire(import.meta.url).resolve("tsx/package.json")), "dist/esm/api/index.mjs"),
    ).href;
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
  process.emitWarning(
    `the fold worker is unavailable (${err.message}); folds run on the main thread`,
    "BrainscoreWarning",
  );
}
