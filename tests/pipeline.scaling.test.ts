/**
 * Scaling sweep (`"models"`): the same simulated scans scored with checkpoints of several families and
 * sizes, one sub-run each, then one table (best brain score and relative depth of the best layer per
 * region and model, with parameter counts) and the two scaling figures.
 */
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseRunConfig } from "../src/pipeline/config.js";
import { runScalingSweep, sweepLayers } from "../src/pipeline/scaling.js";
import { parseSimulationConfig, simulateDataset } from "../src/simulate/simulate.js";
import { readCsvRows } from "./helpers/csv.js";
import { sharedPath } from "./helpers/shared.js";

const csv = readCsvRows;

describe("scaling sweep", () => {
  it("scores every model on the same scans and tabulates best score, best layer depth and parameters", async () => {
    const work = mkdtempSync(join(tmpdir(), "scaling-"));
    const cacheDir = join(work, "cache");
    const sim = parseSimulationConfig(
      {
        seed: 5,
        stories: ["pieman"],
        subjects: 2,
        context: 32,
        regions: [{ name: "t", label: "superiortemporal", hemi: "both", layer: 2, snr: 1 }],
      },
      "sim.json",
    );
    await simulateDataset(sim, join(work, "ds"), { cacheDir });
    const llama = sharedPath("reference/lm-families/llama");
    const gpt2 = sharedPath("reference/gpt2");
    const c = parseRunConfig(
      {
        name: "sweep",
        dataset: join(work, "ds"),
        space: "fsaverage5",
        models: [
          { model: "tiny", depths: [0, 0.5, 1] },
          { model: gpt2, layers: [0, 1, 2] },
          { model: llama, depths: [0, 1] },
          { model: sharedPath("reference/lm-families/opt") },
        ],
        context: 32,
        contextMode: "strided",
        ridge: { alphaSelection: "gcv" },
        forecast: false,
        noiseCeiling: false,
        statistics: { bootstrap: 100 },
        outDir: join(work, "out"),
        cacheDir,
      },
      join(work, "run.json"),
    );
    const sweep = await runScalingSweep(c);
    expect(sweep.runs.map((r) => r.report.failed)).toEqual([[], [], [], []]);
    const rows = csv(join(work, "out", "sweep", "tables", "scaling.csv"));
    const of = (model: string) => rows.filter((r) => r.model === model);
    expect(new Set(rows.map((r) => r.family))).toEqual(new Set(["gpt2", "llama", "opt"]));
    // Parameter counts: llama's index records total_size in bytes of bf16 weights (2 bytes each).
    const index = JSON.parse(readFileSync(join(llama, "model.safetensors.index.json"), "utf8"));
    expect(Number(of(llama)[0].parameters)).toBe(index.metadata.total_size / 2);
    // GPT-2 (V 50257, P 128, E 32, L 2): embeddings, per block 12E² + 13E, final norm — the causal-mask buffers
    // excluded.
    const E = 32;
    expect(Number(of(gpt2)[0].parameters)).toBe(50257 * E + 128 * E + 2 * (12 * E * E + 13 * E) + 2 * E);
    // Best layers come from the requested ones; relative depth = layer / n_layer.
    for (const r of of("tiny")) expect(["0", "2", "4"]).toContain(r.best_layer);
    for (const r of of(llama)) expect(["0", "3"]).toContain(r.best_layer);
    for (const r of rows) expect(Number(r.relative_depth)).toBeCloseTo(Number(r.best_layer) / Number(r.n_layer), 12);
    // The planted region (tiny GPT-2's layer 2) is best explained by the tiny model at its middle layer.
    const st = of("tiny").filter((r) => r.region.includes("superiortemporal"));
    expect(st.length).toBeGreaterThan(0);
    for (const r of st) expect(r.best_layer).toBe("2");
    for (const f of ["scaling_brain_score.png", "scaling_depth.png"])
      expect(statSync(join(work, "out", "sweep", "figures", f)).size).toBeGreaterThan(5000);
    expect(existsSync(join(work, "out", "sweep", "tiny", "tables", "group_brain_scores.csv"))).toBe(true);
    expect(sweep.summary.length).toBe(4);
  }, 600_000);

  it("resolves relative depths to layers and refuses ambiguous configurations", () => {
    expect(sweepLayers({ depths: [0, 0.5, 1] }, 12, [])).toEqual([0, 6, 12]);
    expect(sweepLayers({ depths: [0, 0.33, 0.34] }, 3, [])).toEqual([0, 1]);
    expect(sweepLayers({}, 24, [0, 4, 8, 12])).toEqual([0, 8, 16, 24]);
    expect(() => sweepLayers({ layers: [0, 13] }, 12, [])).toThrow(/layer 13 does not exist in a model with 12 layers/);
    expect(() => parseRunConfig({ dataset: "x", model: "gpt2", models: [{ model: "gpt2" }] }, "r.json")).toThrow(
      /r\.json\.models: give either "models" \(a sweep\) or "model" and "layers", not both/,
    );
    expect(() => parseRunConfig({ dataset: "x", models: [{ model: "gpt2", depths: [0, 1.5] }] }, "r.json")).toThrow(
      /r\.json\.models\[0\]\.depths: expected a non-empty list of relative depths in \[0, 1\]/,
    );
    expect(() => parseRunConfig({ dataset: "x", models: [] }, "r.json")).toThrow(
      /r\.json\.models: expected a non-empty list/,
    );
  });
});
