/**
 * Column blocks of a 2-D array read straight from its file (.npy or .safetensors:tensor), so a target
 * matrix larger than the memory available can be fitted block by block (`brainscore fit` does). Only the
 * header is read to locate the values; each block is read row by row at its offsets. A safetensors file's
 * whole-file checksum (written by this toolkit) cannot be checked on a partial read: it is checked when the
 * file is read whole.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { extname } from "node:path";
import type { Matrix } from "../linalg/dense.js";
import { parseNpyHeader } from "./npy.js";
import { readSafetensorsHeader } from "./safetensors.js";
import { matrixDims, splitArraySpec, tensorName } from "./arrays.js";

export interface MatrixLocation {
  /** What error messages name: the path, or path:tensor. */
  source: string;
  path: string;
  rows: number;
  cols: number;
  /** Bytes per value: 4 (float32) or 8 (float64). */
  width: 4 | 8;
  bigEndian: boolean;
  /** Byte offset of the first value in the file. */
  dataOffset: number;
}

/** Where the values of `file.npy` or `file.safetensors:tensor` lie, from the header alone. */
export function locateMatrix(spec: string): MatrixLocation {
  const { path, tensor } = splitArraySpec(spec);
  const head = readHead(path, 1 << 20);
  if (extname(path) === ".npy") {
    const h = parseNpyHeader(head.bytes, path);
    const [rows, cols] = matrixDims(h.shape, path);
    // The same words as parseNpy, so a bad file reads the same whichever way it is opened.
    if (head.size - h.dataStart !== rows * cols * h.width) {
      throw new Error(
        `${path}: header says shape (${h.shape.join(", ")}) of ${h.descr} = ${rows * cols * h.width} bytes, but the file holds ${head.size - h.dataStart}`,
      );
    }
    return { source: path, path, rows, cols, width: h.width, bigEndian: h.bigEndian, dataOffset: h.dataStart };
  }
  if (extname(path) === ".safetensors") {
    const entries = readSafetensorsHeader(path);
    const name = tensorName(
      entries.map((e) => e.name),
      tensor,
      path,
    );
    const e = entries.find((x) => x.name === name)!;
    if (e.dtype !== "F32" && e.dtype !== "F64")
      throw new Error(`${path}:${name}: unsupported dtype ${e.dtype}; expected F32 or F64`);
    const [rows, cols] = matrixDims(e.shape, `${path}:${name}`);
    const headerLength = Number(new DataView(head.bytes.buffer, head.bytes.byteOffset, 8).getBigUint64(0, true));
    return {
      source: `${path}:${name}`,
      path,
      rows,
      cols,
      width: e.dtype === "F32" ? 4 : 8,
      bigEndian: false,
      dataOffset: 8 + headerLength + e.begin,
    };
  }
  throw new Error(`${path}: unsupported file type; expected .npy or .safetensors[:tensor]`);
}

/** Columns [c0, c1) of the located matrix, in its own precision. */
export function readColumns(loc: MatrixLocation, c0: number, c1: number): Matrix {
  if (!(c0 >= 0 && c1 <= loc.cols && c0 < c1))
    throw new Error(`${loc.source}: column block [${c0}, ${c1}) is outside its ${loc.cols} columns`);
  const c = c1 - c0;
  const bytes = new Uint8Array(loc.rows * c * loc.width);
  const fd = open(loc.path);
  try {
    const rowBytes = c * loc.width;
    for (let i = 0; i < loc.rows; i++) {
      const position = loc.dataOffset + (i * loc.cols + c0) * loc.width;
      let done = 0;
      while (done < rowBytes) {
        const n = readSync(fd, bytes, i * rowBytes + done, rowBytes - done, position + done);
        if (n === 0) throw new Error(`${loc.source}: unexpected end of file at byte ${position + done}`);
        done += n;
      }
    }
  } finally {
    closeSync(fd);
  }
  if (loc.bigEndian) for (let i = 0; i < bytes.length; i += loc.width) bytes.subarray(i, i + loc.width).reverse();
  const data = loc.width === 4 ? new Float32Array(bytes.buffer) : new Float64Array(bytes.buffer);
  return { rows: loc.rows, cols: c, data };
}

function open(path: string): number {
  try {
    return openSync(path, "r");
  } catch (e) {
    throw new Error(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** The first `limit` bytes of a file (or all of it) and its size. */
function readHead(path: string, limit: number): { bytes: Uint8Array; size: number } {
  const fd = open(path);
  try {
    const size = fstatSync(fd).size;
    const bytes = new Uint8Array(Math.min(size, limit));
    let done = 0;
    while (done < bytes.length) {
      const n = readSync(fd, bytes, done, bytes.length - done, done);
      if (n === 0) break;
      done += n;
    }
    return { bytes: bytes.subarray(0, done), size };
  } finally {
    closeSync(fd);
  }
}
