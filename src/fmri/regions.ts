/**
 * Regions of interest: parcellations from FreeSurfer .annot files (e.g. Destrieux aparc.a2009s, Desikan)
 * or NIfTI label volumes, the paper's split of large regions into parts of at most ~500 vertices, averages
 * of BOLD within regions and per-region summaries of scores.
 */
import type { Matrix } from "../linalg/dense.js";
import type { Annotation } from "./formats/annot.js";
import type { GiftiImage } from "./formats/gifti.js";
import type { NiftiImage } from "./formats/nifti.js";

export interface Parcellation {
  /** Region index per vertex/voxel (−1 = outside every region). */
  labels: Int32Array;
  names: string[];
}

/** From an annotation; the "unknown"/"Medial_wall" entries are treated as outside. */
export function parcellationFromAnnot(
  annot: Annotation,
  exclude: string[] = ["unknown", "Unknown", "Medial_wall", "corpuscallosum"],
): Parcellation {
  const keep = annot.names.map((n) => !exclude.includes(n));
  const newIndex = new Int32Array(annot.names.length).fill(-1);
  const names: string[] = [];
  annot.names.forEach((n, i) => {
    if (keep[i]) {
      newIndex[i] = names.length;
      names.push(n);
    }
  });
  return { labels: Int32Array.from(annot.labels, (l) => (l >= 0 ? newIndex[l] : -1)), names };
}

/** From a label.gii: its first DataArray holds keys of its LabelTable (key 0 / "???" = outside). */
export function parcellationFromGiftiLabels(img: GiftiImage, source = "label.gii"): Parcellation {
  const da = img.darrays[0];
  if (!da) throw new Error(`${source}: no DataArray`);
  const regions = img.labels.filter((l) => l.key !== 0 && l.name !== "???" && l.name !== "Medial_wall");
  const index = new Map(regions.map((l, i) => [l.key, i]));
  return { labels: Int32Array.from(da.data, (k) => index.get(k) ?? -1), names: regions.map((l) => l.name) };
}

/** From an integer label volume (0 = background), voxels in on-disk order. */
export function parcellationFromLabelVolume(img: NiftiImage, names?: Record<number, string>): Parcellation {
  const values = [...new Set(Array.from(img.data, (v) => Math.round(v)))].filter((v) => v !== 0).sort((a, b) => a - b);
  const index = new Map(values.map((v, i) => [v, i]));
  return {
    labels: Int32Array.from(img.data, (v) => index.get(Math.round(v)) ?? -1),
    names: values.map((v) => names?.[v] ?? `label_${v}`),
  };
}

/**
 * Splits every region larger than `maxSize` into ceil(n / maxSize) parts of equal size along the region's
 * principal axis (vertex coordinates, e.g. the sphere or pial surface), named "<name>_part<k>".
 */
export function splitLargeRegions(p: Parcellation, coords: Float32Array | Float64Array, maxSize = 500): Parcellation {
  if (coords.length !== p.labels.length * 3)
    throw new Error(`splitLargeRegions: ${coords.length / 3} coordinates for ${p.labels.length} vertices`);
  const labels = new Int32Array(p.labels.length).fill(-1);
  const names: string[] = [];
  p.names.forEach((name, r) => {
    const members: number[] = [];
    p.labels.forEach((l, v) => l === r && members.push(v));
    const parts = Math.max(1, Math.ceil(members.length / maxSize));
    if (parts === 1) {
      const id = names.push(name) - 1;
      for (const v of members) labels[v] = id;
      return;
    }
    const axis = principalAxis(members, coords);
    const proj = members.map((v) => ({
      v,
      x: axis[0] * coords[3 * v] + axis[1] * coords[3 * v + 1] + axis[2] * coords[3 * v + 2],
    }));
    proj.sort((a, b) => a.x - b.x || a.v - b.v);
    for (let k = 0; k < parts; k++) {
      const id = names.push(`${name}_part${k + 1}`) - 1;
      const from = Math.floor((k * proj.length) / parts);
      const to = Math.floor(((k + 1) * proj.length) / parts);
      for (let i = from; i < to; i++) labels[proj[i].v] = id;
    }
  });
  return { labels, names };
}

/**
 * Caucheteux's split: every region of n vertices cut into ⌊n / size⌋ slabs of equal vertex count along one
 * coordinate axis (1 = y, antero-posterior), named "<name>_part<k>"; regions under `size` stay whole.
 */
export function splitAlongAxis(
  p: Parcellation,
  coords: Float32Array | Float64Array,
  size = 250,
  axis = 1,
): Parcellation {
  if (coords.length !== p.labels.length * 3)
    throw new Error(`splitAlongAxis: ${coords.length / 3} coordinates for ${p.labels.length} vertices`);
  const labels = new Int32Array(p.labels.length).fill(-1);
  const names: string[] = [];
  const members: number[][] = p.names.map(() => []);
  p.labels.forEach((l, v) => l >= 0 && members[l].push(v));
  p.names.forEach((name, r) => {
    const parts = Math.max(1, Math.floor(members[r].length / size));
    const sorted = members[r].map((v) => ({ v, x: coords[3 * v + axis] })).sort((a, b) => a.x - b.x || a.v - b.v);
    for (let k = 0; k < parts; k++) {
      const id = names.push(parts === 1 ? name : `${name}_part${k + 1}`) - 1;
      const from = Math.floor((k * sorted.length) / parts);
      const to = Math.floor(((k + 1) * sorted.length) / parts);
      for (let i = from; i < to; i++) labels[sorted[i].v] = id;
    }
  });
  return { labels, names };
}

function principalAxis(members: number[], coords: Float32Array | Float64Array): number[] {
  const mean = [0, 0, 0];
  for (const v of members) for (let d = 0; d < 3; d++) mean[d] += coords[3 * v + d] / members.length;
  const C = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  for (const v of members) {
    const x = [0, 1, 2].map((d) => coords[3 * v + d] - mean[d]);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) C[i * 3 + j] += x[i] * x[j];
  }
  // Power iteration from a fixed start: deterministic.
  let a = [1, 0.5, 0.25];
  for (let it = 0; it < 100; it++) {
    const b = [0, 1, 2].map((i) => C[i * 3] * a[0] + C[i * 3 + 1] * a[1] + C[i * 3 + 2] * a[2]);
    const n = Math.hypot(...b) || 1;
    a = b.map((x) => x / n);
  }
  return a;
}

/** Mean BOLD per region: [time × regions]; masked columns (listed in `exclude`) are left out of means. */
export function regionAverages(bold: Matrix, p: Parcellation, exclude: Iterable<number> = []): Matrix {
  if (bold.cols !== p.labels.length)
    throw new Error(`regionAverages: BOLD has ${bold.cols} columns, the parcellation ${p.labels.length} vertices`);
  const skip = new Set(exclude);
  const R = p.names.length;
  const counts = new Int32Array(R);
  p.labels.forEach((l, v) => l >= 0 && !skip.has(v) && counts[l]++);
  const out = { rows: bold.rows, cols: R, data: new Float64Array(bold.rows * R) };
  for (let t = 0; t < bold.rows; t++) {
    const o = t * bold.cols;
    for (let v = 0; v < bold.cols; v++) {
      const l = p.labels[v];
      if (l >= 0 && !skip.has(v)) out.data[t * R + l] += bold.data[o + v];
    }
    for (let r = 0; r < R; r++) out.data[t * R + r] = counts[r] > 0 ? out.data[t * R + r] / counts[r] : NaN;
  }
  return out;
}

export interface RegionSummary {
  region: string;
  nVertices: number;
  nValid: number;
  mean: number;
  median: number;
}

/** Per-region mean and median of a per-vertex score map (NaN vertices ignored and counted). */
export function summarizeByRegion(scores: ArrayLike<number>, p: Parcellation): RegionSummary[] {
  if (scores.length !== p.labels.length)
    throw new Error(`summarizeByRegion: ${scores.length} scores for ${p.labels.length} vertices`);
  const values: number[][] = p.names.map(() => []);
  const sizes = new Int32Array(p.names.length);
  p.labels.forEach((l, v) => {
    if (l < 0) return;
    sizes[l]++;
    if (Number.isFinite(scores[v])) values[l].push(scores[v]);
  });
  return p.names.map((region, r) => {
    const vals = values[r].sort((a, b) => a - b);
    const n = vals.length;
    return {
      region,
      nVertices: sizes[r],
      nValid: n,
      mean: n ? vals.reduce((a, b) => a + b, 0) / n : NaN,
      median: n ? (n % 2 ? vals[(n - 1) / 2] : (vals[n / 2 - 1] + vals[n / 2]) / 2) : NaN,
    };
  });
}
