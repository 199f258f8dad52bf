/** Run cleaning (detrend, z-score, masking) and regions (annot parcellations, splits, averages). */
import { describe, expect, it } from "vitest";
import { readAnnot } from "../src/fmri/formats/annot.js";
import { giftiMesh, readGifti } from "../src/fmri/formats/gifti.js";
import { cleanRun, polynomialBasis } from "../src/fmri/preprocess.js";
import {
  parcellationFromAnnot,
  parcellationFromLabelVolume,
  regionAverages,
  splitLargeRegions,
  summarizeByRegion,
} from "../src/fmri/regions.js";
import { gaussian, mulberry32 } from "../src/linalg/random.js";
import { sharedPath } from "./helpers/shared.js";

describe("cleanRun", () => {
  it("removes polynomial trends, z-scores, and reports NaN and constant columns without failing", () => {
    const T = 50;
    const V = 5;
    const rand = gaussian(mulberry32(1));
    const data = new Float32Array(T * V);
    for (let t = 0; t < T; t++) {
      data[t * V] = 100 + 0.5 * t + rand(); // trend + noise
      data[t * V + 1] = 7; // constant
      data[t * V + 2] = t === 3 ? NaN : rand();
      data[t * V + 3] = rand() * 3 - 20;
      data[t * V + 4] = 1e4 + 1e-3 * t; // pure linear trend: constant after detrending
    }
    const { bold, nonFinite, constant } = cleanRun({ rows: T, cols: V, data }, { detrendOrder: 1 });
    expect(nonFinite).toEqual([2]);
    expect(constant).toEqual([1, 4]);
    for (const v of [0, 3]) {
      let m = 0;
      let s = 0;
      let tr = 0;
      for (let t = 0; t < T; t++) {
        m += bold.data[t * V + v] / T;
        s += bold.data[t * V + v] ** 2 / T;
        tr += bold.data[t * V + v] * (t - (T - 1) / 2);
      }
      expect(Math.abs(m)).toBeLessThan(1e-5);
      expect(s).toBeCloseTo(1, 4);
      expect(Math.abs(tr)).toBeLessThan(1e-3);
    }
    for (let t = 0; t < T; t++) expect(bold.data[t * V + 2]).toBe(0);
  });

  it("builds an orthonormal polynomial basis", () => {
    const b = polynomialBasis(20, 3);
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++) {
        let d = 0;
        for (let t = 0; t < 20; t++) d += b[i][t] * b[j][t];
        expect(d).toBeCloseTo(i === j ? 1 : 0, 10);
      }
  });
});

describe("regions", () => {
  const annot = readAnnot(sharedPath("data/fsaverage5/desikan_test.annot"));
  const sphere = giftiMesh(readGifti(sharedPath("data/fsaverage5/sphere_left.gii.gz")), "sphere");

  it("parcellates fsaverage5 with the real Desikan annotation", () => {
    const p = parcellationFromAnnot(annot);
    expect(p.labels.length).toBe(10242);
    expect(p.names).not.toContain("unknown");
    expect(p.names).toContain("superiortemporal");
  });

  it("splits regions larger than 500 vertices into equal parts along their main axis", () => {
    const p = parcellationFromAnnot(annot);
    const split = splitLargeRegions(p, sphere.coords, 500);
    const sizes = new Map<string, number>();
    split.labels.forEach((l) => l >= 0 && sizes.set(split.names[l], (sizes.get(split.names[l]) ?? 0) + 1));
    for (const [, n] of sizes) expect(n).toBeLessThanOrEqual(500);
    const counts = p.names.map((_, r) => p.labels.filter((l) => l === r).length);
    const largest = counts.indexOf(Math.max(...counts));
    expect(counts[largest]).toBeGreaterThan(500);
    const parts = split.names.filter((n) => n.startsWith(`${p.names[largest]}_part`));
    expect(parts.length).toBe(Math.ceil(counts[largest] / 500));
    const small = counts.findIndex((c) => c > 0 && c <= 500);
    expect(split.names).toContain(p.names[small]);
    // Every vertex keeps a region if it had one, and parts are deterministic.
    expect(split.labels.filter((l) => l >= 0).length).toBe(p.labels.filter((l) => l >= 0).length);
    expect(Array.from(splitLargeRegions(p, sphere.coords, 500).labels)).toEqual(Array.from(split.labels));
  });

  it("averages BOLD within regions, leaving out masked vertices, and summarises score maps", () => {
    const p = { labels: Int32Array.from([0, 0, 1, 1, -1]), names: ["a", "b"] };
    const bold = { rows: 2, cols: 5, data: Float32Array.from([1, 3, 10, 20, 99, 2, 4, 30, 40, 99]) };
    expect(Array.from(regionAverages(bold, p).data)).toEqual([2, 15, 3, 35]);
    expect(Array.from(regionAverages(bold, p, [3]).data)).toEqual([2, 10, 3, 30]);
    const s = summarizeByRegion([0.1, 0.3, NaN, 0.5, 9], p);
    expect(s[0]).toMatchObject({ region: "a", nVertices: 2, nValid: 2, mean: 0.2 });
    expect(s[1]).toMatchObject({ region: "b", nVertices: 2, nValid: 1, median: 0.5 });
  });

  it("builds parcellations from NIfTI label volumes", () => {
    const img = { data: Float32Array.from([0, 3, 3, 7, 0]), shape: [5] } as never;
    const p = parcellationFromLabelVolume(img, { 3: "hippocampus" });
    expect(p.names).toEqual(["hippocampus", "label_7"]);
    expect(Array.from(p.labels)).toEqual([-1, 0, 0, 1, -1]);
  });
});
