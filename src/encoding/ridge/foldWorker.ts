/**
 * Worker-thread entry of foldPool.ts: prepares outer folds (foldPrep.ts) on its own onnxruntime sessions
 * (one intra-op thread: the scan's thread keeps both cores for its products), one at a time in the order
 * asked, and posts the arrays back as transferred buffers. It lives as long as the process.
 */
import { parentPort } from "node:worker_threads";
import { OrtBackend } from "../../backend/ort.js";
import type { DType } from "../../linalg/dense.js";
import { prepareFold, type PreparedFold } from "./foldPrep.js";
import type { FoldJob } from "./foldPool.js";

const backends = new Map<DType, OrtBackend>();
const backend = (dtype: DType) => {
  let b = backends.get(dtype);
  if (!b) backends.set(dtype, (b = new OrtBackend({ dtype, intraOpNumThreads: 1 })));
  return b;
};

// One fold at a time, in the order asked: the caller consumes them in that order.
let queue: Promise<void> = Promise.resolve();
parentPort!.on("message", (job: FoldJob) => {
  queue = queue.then(() => handle(job));
});

async function handle(job: FoldJob): Promise<void> {
  try {
    const prep = await prepareFold(job.x, { fold: job.fold, alphas: job.alphas, mode: job.mode, dtype: job.dtype }, backend("float64"), backend(job.dtype).graphs);
    parentPort!.postMessage({ id: job.id, prep }, transferables(prep));
  } catch (err) {
    parentPort!.postMessage({ id: job.id, error: err instanceof Error ? err.message : String(err) });
  }
}

function transferables(p: PreparedFold): ArrayBuffer[] {
  const out = [p.dec.s.buffer, p.dec.U.data.buffer, p.testDesign.data.buffer, ...(p.looFactors ?? []).map((f) => f.buffer)];
  return [...new Set(out)].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
}
