/**
 * 2-D float datasets in HDF5 files (the LeBel et al. 2023 responses, `.hf5`), through h5wasm — the HDF5
 * library compiled to WebAssembly, so nothing native is built at install. Errors name the file and what is
 * wrong (not HDF5, no such dataset, not 2-D, not a float type).
 */
import { closeSync, existsSync, fstatSync, openSync, readSync, renameSync, rmSync } from "node:fs";
import type { Matrix } from "../../linalg/dense.js";
import { temporaryPath } from "../../io/atomic.js";

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]; // \x89HDF\r\n\x1a\n

/** HDF5's superblock signature, at byte 0 or after a user block (512, 1024, 2048 … bytes). */
function hasSignature(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const buf = new Uint8Array(8);
    for (let at = 0; at + 8 <= size; at = at === 0 ? 512 : at * 2) {
      readSync(fd, buf, 0, 8, at);
      if (SIGNATURE.every((b, i) => buf[i] === b)) return true;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

type H5 = typeof import("h5wasm/node").default;
let loaded: Promise<H5> | undefined;

/** h5wasm, loaded and initialised once. */
async function h5wasm(): Promise<H5> {
  loaded ??= import("h5wasm/node").then(async (m) => {
    await m.default.ready;
    return m.default;
  });
  return loaded;
}

/** Dataset `name` of an HDF5 file as a float32 or float64 matrix (rows × columns, C order). */
export async function readHdf5Matrix(path: string, name: string): Promise<Matrix> {
  if (!existsSync(path)) throw new Error(`${path}: missing`);
  if (!hasSignature(path))
    throw new Error(`${path}: not a readable HDF5 file (no HDF5 signature at byte 0, 512, 1024 …)`);
  const h5 = await h5wasm();
  let file: InstanceType<H5["File"]>;
  try {
    file = new h5.File(path, "r");
  } catch (e) {
    throw new Error(`${path}: not a readable HDF5 file (${(e as Error).message})`);
  }
  try {
    let entity: ReturnType<typeof file.get>;
    try {
      entity = file.get(name);
    } catch (e) {
      throw new Error(`${path}: cannot read dataset "${name}" (${String(e)})`);
    }
    if (!entity || !(entity instanceof h5.Dataset))
      throw new Error(`${path}: no dataset "${name}" (top level: ${file.keys().join(", ") || "empty"})`);
    const shape = entity.shape ?? [];
    if (shape.length !== 2)
      throw new Error(`${path}: dataset "${name}" has shape (${shape.join(", ")}); expected 2-D (TRs × voxels)`);
    const value = entity.value;
    if (!(value instanceof Float32Array || value instanceof Float64Array)) {
      throw new Error(`${path}: dataset "${name}" holds ${entity.dtype}; expected float32 or float64`);
    }
    return { rows: shape[0], cols: shape[1], data: value };
  } finally {
    file.close();
  }
}

/** Writes a matrix as dataset `name` of a new HDF5 file, atomically (a temporary sibling, then renamed). */
export async function writeHdf5Matrix(path: string, name: string, m: Matrix): Promise<void> {
  const h5 = await h5wasm();
  const tmp = temporaryPath(path);
  try {
    const file = new h5.File(tmp, "w");
    try {
      const dtype = m.data instanceof Float64Array ? "<d" : "<f";
      file.create_dataset({ name, data: m.data as Float32Array | Float64Array, shape: [m.rows, m.cols], dtype });
    } finally {
      file.close();
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new Error(`${path}: cannot be written (${(e as Error).message})`);
  }
}
