/**
 * Worker-thread lane of foldLanes.ts: prepares outer folds (foldPrep.ts) and scores target chunks of them
 * (fusedFold.ts) on single-threaded onnxruntime sessions, one task at a time in the order asked. A fold it
 * prepares is compiled here first, then sent to the calling thread with its buffers transferred; a fold the
 * calling thread prepared arrives as a "fold" message. It lives as long as the process.
 */
import { parentPort } from "node:worker_threads";
import type { Matrix } from "../linalg/dense.js";
import type { Fold } from "./folds.js";
import { singleThreaded, type LaneSpec, type WorkerReply, type WorkerRequest } from "./foldLanes.js";
import { prepareFold, type PreparedFold } from "./foldPrep.js";
import { FusedFold, type FusedFoldOutput } from "./fusedFold.js";

interface Call {
  designs: Matrix[];
  folds: Fold[];
  spec: LaneSpec;
  claims: Int32Array;
  n: number;
  fused: Map<number, FusedFold>;
}

const calls = new Map<number, Call>();
let queue: Promise<void> = Promise.resolve();
const reply = (msg: WorkerReply, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(msg, transfer);

parentPort!.on("message", (msg: WorkerRequest) => {
  queue = queue
    .then(() => handle(msg))
    .catch((err) =>
      reply({ type: "error", call: msg.call, message: err instanceof Error ? err.message : String(err) }),
    );
});

async function handle(msg: WorkerRequest): Promise<void> {
  if (msg.type === "begin") {
    calls.set(msg.call, {
      designs: msg.designs,
      folds: msg.folds,
      spec: msg.spec,
      claims: msg.claims,
      n: msg.n,
      fused: new Map(),
    });
    return;
  }
  const call = calls.get(msg.call);
  if (!call) return; // ended (a failed call): its remaining tasks are dropped
  if (msg.type === "end") {
    for (const f of call.fused.values()) await f.release();
    calls.delete(msg.call);
  } else if (msg.type === "prep") {
    if (Atomics.compareExchange(call.claims, msg.k, 0, 2) !== 0)
      return reply({ type: "skipped", call: msg.call, k: msg.k });
    const { spec } = call;
    const design = call.designs.length === 1 ? call.designs[0] : call.designs[msg.k];
    const prep = await prepareFold(
      design,
      {
        fold: call.folds[msg.k],
        alphas: spec.alphas,
        mode: spec.mode,
        dtype: spec.dtype,
        triangular: spec.triangularLoo,
      },
      singleThreaded("float64"),
      singleThreaded(spec.dtype).graphs,
    );
    await compile(call, msg.k, prep);
    reply({ type: "prepared", call: msg.call, k: msg.k, prep }, transferables(prep));
  } else if (msg.type === "fold") {
    await compile(call, msg.k, msg.prep);
  } else if (msg.type === "chunk") {
    const fused = call.fused.get(msg.k);
    if (!fused) throw new Error(`fold worker: chunk of fold ${msg.k}, which it does not hold`);
    const out = await fused.run({ type: call.spec.dtype, data: msg.data, dims: [call.n, msg.cols] }, 0, msg.cols);
    // The chunk's input goes back with the result, for the calling thread to refill.
    reply({ type: "chunk", call: msg.call, id: msg.id, out, data: msg.data }, [
      ...new Set([...outputTransferables(out), msg.data.buffer as ArrayBuffer]),
    ]);
  } else if (msg.type === "release") {
    await call.fused.get(msg.k)?.release();
    call.fused.delete(msg.k);
  }
}

async function compile(call: Call, k: number, prep: PreparedFold): Promise<void> {
  if (prep.dec.s.length === 0 || call.fused.has(k)) return;
  const { spec } = call;
  const fused = await FusedFold.compile(
    {
      mode: spec.mode,
      dtype: spec.dtype,
      fold: call.folds[k],
      alphas: spec.alphas,
      withPredictions: spec.withPredictions,
      ...prep,
    },
    singleThreaded(spec.dtype).graphs,
  );
  call.fused.set(k, fused);
}

/** The LOO blocks are not transferred: this worker's compiled fold feeds them to its own runs (they are copied). */
function transferables(p: PreparedFold): ArrayBuffer[] {
  const out = [p.dec.s.buffer, p.dec.U.data.buffer, p.testDesign.data.buffer];
  return [...new Set(out)].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
}

function outputTransferables(o: FusedFoldOutput): ArrayBuffer[] {
  const arrays = [o.best, o.criterion, o.r, o.r2, o.variance, o.globalMean, o.pred, o.trainMean];
  return [...new Set(arrays.map((a) => a?.buffer))].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
}
