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

/** A backend given by name is created (and later disposed) by the call; a handle is borrowed as is. */
export type BackendSpec = BackendName | ComputeBackend;

/**
 * Runs `fn` with a compute backend of precision `dtype` and a float64 companion for decompositions (the
 * same handle when it is already float64). Backends the call created are disposed when `fn` settles.
 */
export async function withBackends<T>(
  spec: BackendSpec | undefined,
  dtype: DType,
  fn: (backend: ComputeBackend, gram: ComputeBackend) => Promise<T>,
): Promise<T> {
  const owned: ComputeBackend[] = [];
  const backend = typeof spec === "object" ? spec : createBackend(spec ?? "onnxruntime", dtype);
  if (typeof spec !== "object") owned.push(backend);
  try {
    if (backend.dtype !== dtype) throw new Error(`backend precision ${backend.dtype} differs from dtype ${dtype}`);
    let gram = backend;
    if (backend.dtype !== "float64") {
      gram = createBackend(backend.name === "js" ? "js" : "onnxruntime", "float64");
      owned.push(gram);
    }
    return await fn(backend, gram);
  } finally {
    for (const b of owned) await b.dispose();
  }
}
