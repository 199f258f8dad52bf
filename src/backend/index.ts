import type { DType } from "../linalg/dense.js";
import { JsBackend } from "./js.js";
import { OrtBackend } from "./ort.js";
import type { ComputeBackend } from "./types.js";

export type BackendName = "onnxruntime" | "js";
export const BACKEND_NAMES: readonly BackendName[] = ["onnxruntime", "js"];

/** A compute backend by name and precision; the caller disposes it. */
export function createBackend(name: BackendName, dtype: DType): ComputeBackend {
  if (name === "js") return new JsBackend(dtype);
  if (name === "onnxruntime") return new OrtBackend({ dtype });
  throw new Error(`unknown backend "${name}" (expected one of ${BACKEND_NAMES.join(", ")})`);
}

export type { ComputeBackend } from "./types.js";
export { JsBackend } from "./js.js";
export { OrtBackend } from "./ort.js";

/** A compute backend with its float64 companion for decompositions (the same handle when it is float64). */
export interface BackendPair {
  compute: ComputeBackend;
  /** float64 backend for the decompositions (Gram matrices, eigendecompositions, their products). */
  float64: ComputeBackend;
  dispose(): Promise<void>;
}

/**
 * Opens a backend pair to create once and pass down (to brainScore, forecastSweep, RidgeCV…), so the
 * sessions of its kernels are compiled once per subject rather than once per call.
 */
export function openBackends(name: BackendName, dtype: DType): BackendPair {
  const compute = createBackend(name, dtype);
  const f64 = dtype === "float64" ? compute : createBackend(name, "float64");
  return {
    compute,
    float64: f64,
    async dispose() {
      await compute.dispose();
      if (f64 !== compute) await f64.dispose();
    },
  };
}

/** A backend name (created and disposed by the call), a handle, or a pair the caller owns. */
export type BackendSpec = BackendName | ComputeBackend | BackendPair;

function isPair(spec: BackendSpec): spec is BackendPair {
  return typeof spec === "object" && "compute" in spec && "float64" in spec;
}

/**
 * Runs `fn` with a compute backend of precision `dtype` and a float64 companion for decompositions.
 * Backends the call created are disposed when `fn` settles; handles and pairs are borrowed.
 */
export async function withBackends<T>(
  spec: BackendSpec | undefined,
  dtype: DType,
  fn: (backend: ComputeBackend, f64: ComputeBackend) => Promise<T>,
): Promise<T> {
  if (spec !== undefined && isPair(spec)) {
    if (spec.compute.dtype !== dtype)
      throw new Error(`backend precision ${spec.compute.dtype} differs from dtype ${dtype}`);
    return fn(spec.compute, spec.float64);
  }
  const owned: ComputeBackend[] = [];
  const backend = typeof spec === "object" ? spec : createBackend(spec ?? "onnxruntime", dtype);
  if (typeof spec !== "object") owned.push(backend);
  try {
    if (backend.dtype !== dtype) throw new Error(`backend precision ${backend.dtype} differs from dtype ${dtype}`);
    let f64 = backend;
    if (backend.dtype !== "float64") {
      f64 = createBackend(backend.name === "js" ? "js" : "onnxruntime", "float64");
      owned.push(f64);
    }
    return await fn(backend, f64);
  } finally {
    for (const b of owned) await b.dispose();
  }
}
