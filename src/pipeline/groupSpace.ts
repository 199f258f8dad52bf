/**
 * The common space in which subjects are averaged. Surface scans share their mesh's vertices (same counts
 * per hemisphere, or the run is refused). Volume scans are each stored inside their own brain mask, so a
 * column index means a different voxel per subject: the group space is the union of the masks on one grid,
 * each subject's columns are placed at their voxel position, and every voxel counts the subjects that
 * cover it. Scans on different grids (shape or affine) are refused — resample them first.
 */
import type { Layout, SubjectResult } from "./scanStore.js";

export interface GroupSpace {
  layout: Layout;
  /** Columns of the group space (vertices, or voxels in the union of the masks). */
  V: number;
  /** Per group column: the number of scans whose columns include it. */
  counts: Int32Array;
  /** Per group column: its region's index in the scans' region list (stored with each scan), −1 for none. */
  regionLabels: Int32Array;
  /** A subject's [blocks × its columns] values in group columns [blocks × V], NaN where it has no data. */
  expand(r: SubjectResult, values: Float32Array, blocks: number): Float32Array;
}

const AFFINE_TOLERANCE = 1e-4;

export function groupSpace(results: SubjectResult[]): GroupSpace {
  const first = results[0];
  const kinds = new Set(results.map((r) => r.layout.kind));
  if (kinds.size > 1)
    throw new Error(
      `group stage: surface and volume scans cannot be combined (${first.key} is ${first.layout.kind}, ${results.find((r) => r.layout.kind !== first.layout.kind)!.key} is not)`,
    );
  if (first.layout.kind === "surface") {
    const { L, R } = first.layout;
    for (const r of results) {
      const l = r.layout as { L: number; R: number };
      if (l.L !== L || l.R !== R)
        throw new Error(
          `group stage: ${r.key} has ${l.L} + ${l.R} vertices, ${first.key} ${L} + ${R}; every scan must be on the same surface space`,
        );
    }
    return {
      layout: first.layout,
      V: L + R,
      counts: new Int32Array(L + R).fill(results.length),
      regionLabels: first.regionLabels,
      expand: (_r, values) => values,
    };
  }
  const grid = first.layout;
  for (const r of results) {
    const l = r.layout as typeof grid;
    const sameShape = l.shape.slice(0, 3).join() === grid.shape.slice(0, 3).join();
    const sameAffine =
      sameShape &&
      l.affine.every((row, i) =>
        row.every((v, j) => Math.abs(v - grid.affine[i][j]) <= AFFINE_TOLERANCE * Math.max(1, Math.abs(v))),
      );
    if (!sameShape || !sameAffine) {
      throw new Error(
        `group stage: ${r.key} is on another grid than ${first.key} (shape [${l.shape.slice(0, 3).join(", ")}] vs [${grid.shape.slice(0, 3).join(", ")}]${sameShape ? ", different affine" : ""}); resample every scan to one grid before a group run`,
      );
    }
  }
  const nVox = grid.shape.slice(0, 3).reduce((a, b) => a * b, 1);
  const voxelCounts = new Int32Array(nVox);
  for (const r of results) for (const i of (r.layout as typeof grid).maskIndices) voxelCounts[i]++;
  const union: number[] = [];
  for (let i = 0; i < nVox; i++) if (voxelCounts[i] > 0) union.push(i);
  const column = new Int32Array(nVox).fill(-1);
  union.forEach((voxel, k) => (column[voxel] = k));
  const V = union.length;
  const counts = Int32Array.from(union, (i) => voxelCounts[i]);
  const layout: Layout = {
    kind: "volume",
    shape: grid.shape.slice(0, 3),
    affine: grid.affine,
    maskIndices: Int32Array.from(union),
  };
  const expand = (r: SubjectResult, values: Float32Array, blocks: number): Float32Array => {
    const mask = (r.layout as typeof grid).maskIndices;
    const n = mask.length;
    if (values.length !== blocks * n) throw new Error(`${r.key}: ${values.length} values for ${blocks} × ${n} voxels`);
    const out = new Float32Array(blocks * V).fill(NaN);
    for (let b = 0; b < blocks; b++) for (let k = 0; k < n; k++) out[b * V + column[mask[k]]] = values[b * n + k];
    return out;
  };
  // Every scan's labels come from one label volume: a voxel takes its region from any scan that covers it.
  const regionLabels = new Int32Array(V).fill(-1);
  for (const r of results) {
    const mask = (r.layout as typeof grid).maskIndices;
    for (let k = 0; k < mask.length; k++) regionLabels[column[mask[k]]] = r.regionLabels[k];
  }
  return { layout, V, counts, regionLabels, expand };
}
