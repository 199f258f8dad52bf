/** The common space of the group stage: union of brain masks by voxel position; other grids refused. */
import { describe, expect, it } from "vitest";
import { groupSpace } from "../src/pipeline/groupSpace.js";
import type { Layout, SubjectResult } from "../src/pipeline/scanStore.js";

const affine = [
  [3, 0, 0, -9],
  [0, 3, 0, -6],
  [0, 0, 3, 0],
  [0, 0, 0, 1],
];
// Each voxel's region as a label volume would give it (voxel index mod 3, minus 1: −1 = no region).
const labelOf = (voxel: number) => (voxel % 3) - 1;
const scan = (key: string, layout: Layout, scores: number[]) => {
  const regionLabels =
    layout.kind === "volume" ? Int32Array.from(layout.maskIndices, labelOf) : new Int32Array(layout.L + layout.R);
  return { key, layout, regionLabels, vertexScores: Float32Array.from(scores) } as unknown as SubjectResult;
};
const volume = (mask: number[], a = affine, shape = [2, 2, 2]): Layout => ({
  kind: "volume",
  shape,
  affine: a,
  maskIndices: Int32Array.from(mask),
});

describe("groupSpace", () => {
  it("places each scan's voxels at their grid position in the union of the masks, with counts", () => {
    const a = scan("a", volume([0, 2, 5]), [1, 2, 3, 10, 20, 30]);
    const b = scan("b", volume([2, 3, 5, 7]), [4, 5, 6, 7, 40, 50, 60, 70]);
    const s = groupSpace([a, b]);
    expect(s.V).toBe(5);
    expect(Array.from((s.layout as { maskIndices: Int32Array }).maskIndices)).toEqual([0, 2, 3, 5, 7]);
    expect(Array.from(s.counts)).toEqual([1, 2, 1, 2, 1]);
    // Regions come from the scans' stored labels, each voxel from a scan that covers it: none recomputed.
    expect(Array.from(s.regionLabels)).toEqual([0, 2, 3, 5, 7].map(labelOf));
    expect(Array.from(s.expand(a, a.vertexScores, 2))).toEqual([1, 2, NaN, 3, NaN, 10, 20, NaN, 30, NaN]);
    expect(Array.from(s.expand(b, b.vertexScores, 2))).toEqual([NaN, 4, 5, 6, 7, NaN, 40, 50, 60, 70]);
    expect(() => s.expand(a, a.vertexScores, 3)).toThrow(/a: 6 values for 3 × 3 voxels/);
  });

  it("refuses scans on different grids, and surfaces with other vertex counts", () => {
    const shifted = affine.map((r, i) => (i === 0 ? [3, 0, 0, -6] : r));
    expect(() => groupSpace([scan("a", volume([0]), [1]), scan("b", volume([0], shifted), [1])])).toThrow(
      /b is on another grid than a .*different affine.*resample/,
    );
    expect(() => groupSpace([scan("a", volume([0]), [1]), scan("b", volume([0], affine, [2, 2, 3]), [1])])).toThrow(
      /shape \[2, 2, 3\] vs \[2, 2, 2\]/,
    );
    expect(() =>
      groupSpace([scan("a", { kind: "surface", L: 3, R: 3 }, []), scan("b", { kind: "surface", L: 3, R: 4 }, [])]),
    ).toThrow(/b has 3 \+ 4 vertices, a 3 \+ 3/);
    expect(() => groupSpace([scan("a", { kind: "surface", L: 3, R: 3 }, []), scan("b", volume([0]), [1])])).toThrow(
      /surface and volume scans cannot be combined/,
    );
  });
});
