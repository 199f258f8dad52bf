/**
 * FreeSurfer .annot parcellations (big-endian): per-vertex annotation values (R + G·256 + B·65536) and a
 * colour table naming each structure. Labels follow nibabel.freesurfer.read_annot: the index of the
 * colour-table entry whose value matches, −1 where none does.
 */
import { readBytes } from "../../io/files.js";

export interface Annotation {
  /** Per-vertex label index into `names` (−1 = unlabelled). */
  labels: Int32Array;
  names: string[];
  /** [n × 5] colour table rows: R, G, B, transparency, annotation value. */
  ctab: Int32Array;
}

/** Reads a FreeSurfer .annot surface labelling (labels per vertex and the colour table). */
export function readAnnot(path: string): Annotation {
  const bytes = readBytes(path);
  return parseAnnot(bytes, path);
}

export function parseAnnot(bytes: Uint8Array, source = "annot data"): Annotation {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  const int = (what: string) => {
    if (pos + 4 > bytes.length) throw new Error(`${source}: truncated while reading ${what} at byte ${pos}`);
    const v = view.getInt32(pos, false);
    pos += 4;
    return v;
  };
  const str = (what: string) => {
    const len = int(`${what} length`);
    if (len < 0 || pos + len > bytes.length)
      throw new Error(`${source}: invalid ${what} length ${len} at byte ${pos - 4}`);
    const s = new TextDecoder("latin1").decode(bytes.subarray(pos, pos + len)).replace(/\0+$/, "");
    pos += len;
    return s;
  };
  const nVertices = int("vertex count");
  if (nVertices <= 0 || nVertices * 8 > bytes.length)
    throw new Error(`${source}: vertex count ${nVertices} does not fit the file size (${bytes.length} bytes)`);
  const values = new Int32Array(nVertices);
  for (let i = 0; i < nVertices; i++) {
    const vno = int("vertex number");
    const value = int("annotation value");
    if (vno < 0 || vno >= nVertices) throw new Error(`${source}: vertex number ${vno} out of range 0–${nVertices - 1}`);
    values[vno] = value;
  }
  if (pos >= bytes.length) throw new Error(`${source}: no colour table`);
  if (int("colour-table flag") !== 1) throw new Error(`${source}: no colour table (flag ≠ 1)`);
  let n = int("colour-table size");
  const names: string[] = [];
  let ctabRows: number[][] = [];
  if (n > 0) {
    // Old format: entries in order.
    str("colour-table file name");
    if (n > 100000) throw new Error(`${source}: implausible colour-table size ${n}`);
    for (let i = 0; i < n; i++) {
      names.push(str("structure name"));
      ctabRows.push([int("red"), int("green"), int("blue"), int("transparency")]);
    }
  } else {
    const version = -n;
    if (version !== 2) throw new Error(`${source}: unsupported colour-table version ${version}`);
    n = int("colour-table max entries");
    if (n < 0 || n > 100000) throw new Error(`${source}: implausible colour-table size ${n}`);
    str("colour-table file name");
    const toRead = int("colour-table entry count");
    if (toRead < 0 || toRead > n) throw new Error(`${source}: colour table lists ${toRead} entries of at most ${n}`);
    const rows: (number[] | undefined)[] = new Array(n);
    const byIndex: (string | undefined)[] = new Array(n);
    for (let i = 0; i < toRead; i++) {
      const idx = int("structure index");
      if (idx < 0 || idx >= n) throw new Error(`${source}: structure index ${idx} out of range`);
      byIndex[idx] = str("structure name");
      rows[idx] = [int("red"), int("green"), int("blue"), int("transparency")];
    }
    ctabRows = [];
    for (let i = 0; i < n; i++) {
      if (rows[i]) {
        ctabRows.push(rows[i]!);
        names.push(byIndex[i]!);
      }
    }
  }
  const ctab = new Int32Array(ctabRows.length * 5);
  const lookup = new Map<number, number>();
  ctabRows.forEach((r, i) => {
    const value = r[0] + r[1] * 256 + r[2] * 65536;
    ctab.set([r[0], r[1], r[2], r[3], value], i * 5);
    if (!lookup.has(value)) lookup.set(value, i);
  });
  const labels = Int32Array.from(values, (v) => lookup.get(v) ?? -1);
  return { labels, names, ctab };
}
