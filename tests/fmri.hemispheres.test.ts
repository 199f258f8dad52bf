/**
 * Regions per hemisphere: the default right labelling is anatomically where its left namesake is
 * (lateral stays lateral), one file per hemisphere (.annot or .label.gii, ico7 files serving smaller
 * meshes), a single file only with its hemisphere declared, and Caucheteux's y-slab split.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../src/config/validate.js";
import { writeGifti } from "../src/fmri/formats/gifti.js";
import { fsaverage5Mesh, FSAVERAGE_VERTICES, type Hemi } from "../src/fmri/fsaverage.js";
import {
  defaultHemisphereLabels,
  readSurfaceLabels,
  surfaceParcellation,
  type HemisphereLabels,
} from "../src/fmri/surfaceLabels.js";
import { parseRunConfig } from "../src/pipeline/config.js";
import { hemisphereParcellation } from "../src/pipeline/scanRegions.js";

const dir = mkdtempSync(join(tmpdir(), "hemis-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const N5 = FSAVERAGE_VERTICES.fsaverage5;

/**
 * Which way each region faces on the inflated surface: the mean sign of the vertex normals' x component,
 * outwards from the midline (−x on the left, +x on the right): +1 all lateral, −1 all medial.
 */
function lateralness(labels: Int32Array, names: string[], h: Hemi): Map<string, number> {
  const { coords: c, faces: f } = fsaverage5Mesh("infl", h);
  const nx = new Float64Array(N5);
  for (let i = 0; i < f.length; i += 3) {
    const [a, b, d] = [f[i], f[i + 1], f[i + 2]];
    const u = [1, 2].map((k) => c[3 * b + k] - c[3 * a + k]);
    const w = [1, 2].map((k) => c[3 * d + k] - c[3 * a + k]);
    const x = u[0] * w[1] - u[1] * w[0];
    nx[a] += x;
    nx[b] += x;
    nx[d] += x;
  }
  const sign = h === "L" ? -1 : 1;
  const sum = new Float64Array(names.length);
  const n = new Int32Array(names.length);
  for (let v = 0; v < N5; v++) {
    if (labels[v] < 0) continue;
    sum[labels[v]] += sign * Math.sign(nx[v]);
    n[labels[v]]++;
  }
  return new Map(names.map((name, r) => [name, n[r] ? sum[r] / n[r] : NaN]));
}

describe("default regions on both hemispheres", () => {
  const { L, R } = defaultHemisphereLabels();
  const left = lateralness(L.labels, L.names, "L");
  const right = lateralness(R.labels, R.names, "R");
  // Regions that face one way on the left (≥ 90% of their vertices lateral, or medial).
  const clearly = [...left].filter(([, x]) => Math.abs(x) >= 0.8).map(([name]) => name);

  it("every right region lies on the same side (lateral or medial) as its left namesake", () => {
    expect(clearly.length).toBeGreaterThan(25);
    for (const name of clearly) {
      const msg = `${name}: left ${left.get(name)!.toFixed(2)}, right ${right.get(name)!.toFixed(2)}`;
      expect(Math.sign(right.get(name)!), msg).toBe(Math.sign(left.get(name)!));
      expect(Math.abs(right.get(name)!), msg).toBeGreaterThan(0.25);
    }
    expect(left.get("superiortemporal")!).toBeGreaterThan(0.9);
    expect(left.get("precuneus")!).toBeLessThan(-0.9);
  });

  it("reusing the left vertex indices on the right (the old behaviour) fails that check", () => {
    const reused = lateralness(L.labels, L.names, "R");
    const wrong = clearly.filter((name) => Math.sign(reused.get(name)!) !== Math.sign(left.get(name)!));
    expect(wrong.length).toBeGreaterThan(5);
    expect(wrong).toContain("superiortemporal");
  });

  it("labels nearly as many vertices on the right as on the left, with the same regions", () => {
    const count = (p: HemisphereLabels) => p.labels.filter((l) => l >= 0 && p.names[l] !== "unknown").length;
    expect(Math.abs(count(R) - count(L)) / count(L)).toBeLessThan(0.03);
    expect(R.names).toEqual(L.names);
  });

  it("the run's default parcellation uses the mirror on the right", () => {
    const c = parseRunConfig({ dataset: "/data" }, "run.json");
    expect(c.regions.annot).toBe("default");
    const parc = hemisphereParcellation({ ...c, regions: { ...c.regions, maxVertices: 100000 } }, { L: N5, R: N5 });
    const st = parc.names.indexOf("R_superiortemporal");
    const members = [...parc.labels.keys()].filter((v) => parc.labels[v] === st).map((v) => v - N5);
    expect(members.length).toBeGreaterThan(200);
    expect(new Set(members)).toEqual(
      new Set([...R.labels.keys()].filter((v) => R.names[R.labels[v]] === "superiortemporal")),
    );
  });
});

describe("per-hemisphere label files", () => {
  // An ico7-sized (fsaverage) label.gii per hemisphere: fsaverage5 vertices keep the default labels.
  const write = (h: Hemi, n: number) => {
    const src = defaultHemisphereLabels()[h];
    const keys = Int32Array.from({ length: n }, (_, v) => (v < N5 && src.labels[v] >= 0 ? src.labels[v] + 1 : 0));
    const path = join(dir, `${h === "L" ? "lh" : "rh"}.${n}.label.gii`);
    writeGifti(path, [{ intent: "NIFTI_INTENT_LABEL", data: keys, dims: [n] }], {
      labels: [
        { key: 0, name: "???", rgba: [0, 0, 0, 0] },
        ...src.names.map((name, i) => ({ key: i + 1, name, rgba: [1, 0, 0, 1] as [number, number, number, number] })),
      ],
    });
    return path;
  };
  const lh = write("L", FSAVERAGE_VERTICES.fsaverage);
  const rh = write("R", FSAVERAGE_VERTICES.fsaverage);

  it("reads one file per hemisphere; ico7 files serve fsaverage6 and fsaverage5 runs", () => {
    const c = parseRunConfig(
      { dataset: "/data", regions: { annot: { L: lh, R: rh }, maxVertices: 100000 } },
      join(dir, "run.json"),
    );
    const six = hemisphereParcellation(c, { L: FSAVERAGE_VERTICES.fsaverage6, R: FSAVERAGE_VERTICES.fsaverage6 });
    const five = hemisphereParcellation(c, { L: N5, R: N5 });
    expect(six.names).toEqual(five.names);
    expect(six.labels.length).toBe(2 * FSAVERAGE_VERTICES.fsaverage6);
    const rightOf = (p: typeof six, off: number) =>
      Array.from(p.labels.subarray(off, off + N5), (l) => (l >= 0 ? p.names[l] : ""));
    expect(rightOf(six, FSAVERAGE_VERTICES.fsaverage6)).toEqual(rightOf(five, N5));
  });

  it("refuses one file for two hemispheres unless its hemisphere is declared, and then labels only that side", () => {
    expect(() => parseRunConfig({ dataset: "/data", regions: { annot: lh } }, "run.json")).toThrow(ConfigError);
    expect(() => parseRunConfig({ dataset: "/data", regions: { annot: lh } }, "run.json")).toThrow(
      /run\.json\.regions\.annot: one annotation for a two-hemisphere run; .*"hemi": "L" or "R"/,
    );
    const c = parseRunConfig({ dataset: "/data", regions: { annot: rh, hemi: "R" } }, "run.json");
    const parc = hemisphereParcellation(c, { L: N5, R: N5 });
    expect(parc.names.every((n) => n.startsWith("R_"))).toBe(true);
    expect(Array.from(parc.labels.subarray(0, N5)).every((l) => l === -1)).toBe(true);
  });

  it("refuses a labelling whose vertex count is no fsaverage resolution, naming the file", () => {
    const path = join(dir, "odd.label.gii");
    writeGifti(path, [{ intent: "NIFTI_INTENT_LABEL", data: new Int32Array(5000).fill(1), dims: [5000] }], {
      labels: [{ key: 1, name: "a", rgba: [1, 0, 0, 1] }],
    });
    expect(() => readSurfaceLabels(path)).toThrow(
      /odd\.label\.gii: labels 5000 vertices, expected an fsaverage hemisphere \(10242, 40962, 163842 vertices\)/,
    );
  });

  it("serves an fsaverage5 labelling (and the embedded default) on fsaverage6 and fsaverage runs through the nested vertices", () => {
    const small = write("L", N5);
    const c = parseRunConfig({ dataset: "/data", regions: { annot: small, hemi: "L" } }, "run.json");
    const five = hemisphereParcellation(c, { L: N5, R: N5 });
    for (const n of [FSAVERAGE_VERTICES.fsaverage6, FSAVERAGE_VERTICES.fsaverage]) {
      const big = hemisphereParcellation(c, { L: n, R: n });
      expect(big.names).toEqual(five.names);
      expect(Array.from(big.labels.subarray(0, N5))).toEqual(Array.from(five.labels.subarray(0, N5)));
      // Vertices past the fsaverage5 subset carry no region.
      expect(big.labels.subarray(N5).every((l) => l === -1)).toBe(true);
    }
    const d = parseRunConfig({ dataset: "/data" }, "run.json");
    const six = hemisphereParcellation(d, { L: FSAVERAGE_VERTICES.fsaverage6, R: FSAVERAGE_VERTICES.fsaverage6 });
    expect(six.names).toEqual(hemisphereParcellation(d, { L: N5, R: N5 }).names);
    expect(six.names.some((x) => x.startsWith("R_"))).toBe(true);
  });

  it("refuses a run whose hemisphere is smaller than fsaverage5, naming the labelling", () => {
    const c = parseRunConfig({ dataset: "/data", regions: { annot: lh, hemi: "L" } }, "run.json");
    expect(() => hemisphereParcellation(c, { L: 642, R: 642 })).toThrow(
      /lh\.163842\.label\.gii: the run's left hemisphere has 642 vertices, fewer than fsaverage5's 10242/,
    );
  });
});

describe("the paper's split: ⌊n / 250⌋ slabs along y", () => {
  it("cuts each region into equal antero-posterior slabs", () => {
    const { L } = defaultHemisphereLabels();
    // fsaverage5 regions are small: 60-vertex slabs play the part of the paper's 250 on fsaverage6.
    const parc = surfaceParcellation({ L }, { L: N5, R: N5 }, { maxVertices: 60, axis: "y" });
    const y = fsaverage5Mesh("pial", "L").coords;
    const st = L.names.indexOf("superiortemporal");
    const n = L.labels.filter((l) => l === st).length;
    const parts = parc.names.filter((x) => x.startsWith("L_superiortemporal_part"));
    expect(parts.length).toBe(Math.floor(n / 60));
    expect(parts.length).toBeGreaterThan(2);
    // Slabs are ordered along y and do not overlap.
    const ranges = parts.map((name) => {
      const id = parc.names.indexOf(name);
      const ys = [...parc.labels.keys()].filter((v) => parc.labels[v] === id).map((v) => y[3 * v + 1]);
      return [Math.min(...ys), Math.max(...ys), ys.length];
    });
    for (let k = 1; k < ranges.length; k++) expect(ranges[k][0]).toBeGreaterThanOrEqual(ranges[k - 1][1]);
    expect(ranges.reduce((a, r) => a + r[2], 0)).toBe(n);
    const small = L.names.find(
      (name, r) => L.labels.filter((l) => l === r).length > 0 && L.labels.filter((l) => l === r).length < 120,
    )!;
    expect(parc.names).toContain(`L_${small}`);
  });
});
