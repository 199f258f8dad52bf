/**
 * Loads a 2-D float array for the command line from `file.npy` or `file.safetensors:tensor_name`.
 * One-dimensional arrays are read as a single column.
 */
import { extname } from "node:path";
import type { Matrix } from "../linalg/dense.js";
import { readNpy } from "./npy.js";
import { readSafetensors } from "./safetensors.js";

/** A 2-D float array from `file.npy` or `file.safetensors:tensor` (1-D arrays become one column). */
export function loadMatrix(spec: string): Matrix {
  const { path, tensor } = splitArraySpec(spec);
  if (extname(path) === ".npy") {
    if (tensor !== undefined) throw new Error(`${spec}: a .npy file holds one array; drop ":${tensor}"`);
    const a = readNpy(path);
    return toMatrix(a.shape, a.data, path);
  }
  if (extname(path) === ".safetensors") {
    const file = readSafetensors(path);
    const name = tensorName([...file.tensors.keys()], tensor, path);
    const t = file.tensors.get(name)!;
    if (!(t.data instanceof Float32Array || t.data instanceof Float64Array)) {
      throw new Error(`${path}:${name}: unsupported dtype ${t.dtype}; expected F32 or F64`);
    }
    return toMatrix(t.shape, t.data, `${path}:${name}`);
  }
  throw new Error(`${path}: unsupported file type; expected .npy or .safetensors[:tensor]`);
}

/** Splits "path.safetensors:name" (the path itself may contain colons). */
export function splitArraySpec(spec: string): { path: string; tensor?: string } {
  const m = /^(.*\.safetensors):([^/\\]+)$/.exec(spec);
  return m ? { path: m[1], tensor: m[2] } : { path: spec };
}

/** The tensor a `file.safetensors[:tensor]` spec names: the one given, or the file's only one. */
export function tensorName(names: string[], tensor: string | undefined, path: string): string {
  const name = tensor ?? (names.length === 1 ? names[0] : undefined);
  if (name === undefined)
    throw new Error(`${path}: holds ${names.length} tensors (${names.join(", ")}); name one as ${path}:<tensor>`);
  if (!names.includes(name)) throw new Error(`${path}: no tensor named "${name}" (available: ${names.join(", ")})`);
  return name;
}

/** Rows and columns of a 1-D (one column) or 2-D array shape. */
export function matrixDims(shape: number[], source: string): [number, number] {
  if (shape.length === 1) return [shape[0], 1];
  if (shape.length !== 2)
    throw new Error(`${source}: expected a 2-D array (samples × columns), got shape (${shape.join(", ")})`);
  return [shape[0], shape[1]];
}

function toMatrix(shape: number[], data: Float32Array | Float64Array, source: string): Matrix {
  const [rows, cols] = matrixDims(shape, source);
  return { rows, cols, data };
}
