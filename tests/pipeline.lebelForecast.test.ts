/**
 * Forecast scores F(d) on a simulated ds003020 layout (issue 24, item 5): 2 subjects, 4 training stories
 * and 1 test story with real Narratives word timings; 20 of 150 voxels respond to layer 2's states of the
 * word 4 words ahead. Windows of 7 words ending d words ahead contain that word for d = 4 … 10 only, so
 * F(d) of the planted voxels is high at d = 4 and 8 and nothing where the window ends before it (d = −4, 0);
 * d = 12 gains too, as a 2-s TR holds ~5 words. The other voxels gain nothing at any distance.
 */
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { main } from "../src/cli/main.js";
import { LebelDataset } from "../src/fmri/datasets/lebel.js";
import { readNifti } from "../src/fmri/formats/nifti.js";
import { readSafetensors } from "../src/io/safetensors.js";
import { storyForecastSweep } from "../src/forecast/storySweep.js";
import { lebelForecast } from "../src/pipeline/lebel.js";
import { simulateLebelDataset, type LebelTruth } from "../src/simulate/lebelSimulate.js";
import { captureConsole } from "./helpers/console.js";
import { readCsvRows } from "./helpers/csv.js";
import { sharedPath } from "./helpers/shared.js";

const root = mkdtempSync(join(tmpdir(), "lebel-forecast-"));
const cacheDir = join(root, "cache");
const align = (story: string) => sharedPath(`data/narratives/align/${story}/align.csv`);
const features = { model: "tiny", layer: 2, context: 32, contextMode: "strided" as const, cacheDir };
let truth: LebelTruth;

beforeAll(async () => {
  const stories = Object.fromEntries(
    ["lucy", "bronx", "notthefallintact", "black", "pieman"].map((s) => [s, align(s)]),
  );
  truth = await simulateLebelDataset(
    {
      seed: 11,
      subjects: 2,
      stories,
      voxels: 150,
      planted: { count: 20, layer: 2, snr: 3, distance: 4 },
      model: "tiny",
      context: 32,
      contextMode: "strided",
      grid: [8, 8, 6],
    },
    join(root, "ds"),
    { cacheDir },
  );
}, 300_000);

const { out, err } = captureConsole();
const mean = (a: ArrayLike<number>) => Array.from(a).reduce((x, y) => x + y, 0) / a.length;

describe("forecast scores on a simulated ds003020 layout", () => {
  it("F(d) of the planted voxels is high where the window holds the word 4 ahead, not elsewhere", async () => {
    const ds = LebelDataset.open(join(root, "ds"));
    const distances = [-4, 0, 4, 8, 12];
    for (const subject of truth.subjects) {
      const res = await lebelForecast(ds, {
        subject,
        sessions: [1],
        ...features,
        distances,
        nComponents: 10,
        alphaSelection: "loo",
      });
      expect(res.test).toEqual(["pieman"]);
      expect(res.cost.pcaIterations).toHaveLength(distances.length);
      const V = res.nTargets;
      const plantedF = distances.map((_, i) => mean(res.forecast.subarray(i * V, i * V + 20)));
      const otherF = distances.map((_, i) => mean(res.forecast.subarray(i * V + 20, (i + 1) * V)));
      const at = (d: number) => plantedF[distances.indexOf(d)];
      // The current words already explain much of it (a 2-s TR holds ~5 words): the gain is the rest.
      expect(mean(res.baseline.subarray(0, 20))).toBeGreaterThan(0.3);
      expect([4, 8]).toContain(distances[plantedF.indexOf(Math.max(...plantedF))]);
      expect(Math.min(at(4), at(8))).toBeGreaterThan(0.04);
      // Windows that end before the planted word add nothing.
      expect(Math.max(at(-4), at(0))).toBeLessThan(0.02);
      for (const f of otherF) expect(Math.abs(f)).toBeLessThan(0.03);
    }
  }, 300_000);

  it("bootstrap selection gives the same picture", async () => {
    const ds = LebelDataset.open(join(root, "ds"));
    const res = await lebelForecast(ds, {
      subject: truth.subjects[0],
      sessions: [1],
      ...features,
      distances: [-4, 4],
      nComponents: 10,
      alphaSelection: "bootstrap",
      bootstrap: { nBoots: 5, chunkLength: 20, nChunks: 10, seed: 2 },
    });
    const V = res.nTargets;
    expect(mean(res.forecast.subarray(V, V + 20))).toBeGreaterThan(mean(res.forecast.subarray(0, 20)) + 0.04);
  }, 300_000);

  it('brainscore run with "forecast": F(d) per subject stored and reused, the table, the figure and each subject\'s d*', async () => {
    const config = (forecast: object) => {
      const path = join(root, "run.json");
      writeFileSync(
        path,
        JSON.stringify({
          name: "fc",
          dataset: { kind: "lebel", root: "ds" },
          sessions: [1],
          model: "tiny",
          layers: [2],
          context: 32,
          contextMode: "strided",
          ridge: { nBoots: 4, chunkLength: 20, nChunks: 10 },
          forecast,
          outDir: "out",
          cacheDir,
        }),
      );
      return path;
    };
    const c = config({ layer: 2, distances: [-4, 0, 4, 8, 12], components: 10 });
    out.length = 0;
    expect(await main(["run", "--config", c, "--quiet"])).toBe(0);
    const text = out.join("\n");
    expect(text).toMatch(
      /^2 subject\(s\) computed, 0 already done, 0 failed\nforecast: 2 computed, 0 already done, 0 failed/,
    );
    expect(text).toMatch(/UTS01 forecast: window PCA [\d.]+ s, ridge [\d.]+ s, \d+ training TRs/);
    expect(text).toMatch(/UTS01: F\(d\) of the best-predicted tenth of voxels peaks at d\* = (4|8) /);
    expect(text).toMatch(/UTS02: F\(d\) of the best-predicted tenth of voxels peaks at d\* = (4|8) /);
    const stored = readSafetensors(join(root, "out", "fc", "subjects", "UTS01.forecast.safetensors")).tensors;
    expect(stored.get("scores")!.shape).toEqual([5, 150]);
    const rows = readCsvRows(join(root, "out", "fc", "tables", "lebel_forecast.csv"));
    expect(rows.length).toBe(10);
    expect(rows.map((r) => Number(r.distance)).slice(0, 5)).toEqual([-4, 0, 4, 8, 12]);
    expect(existsSync(join(root, "out", "fc", "figures", "lebel_forecast_by_distance.png"))).toBe(true);
    // On the subject's grid: F(8) and d* at each voxel of the mask (planted columns 0–19 peak at 4 or 8).
    const mask = readNifti(
      join(root, "ds", "derivative", "pycortex-db", "UTS01", "transforms", "UTS01_auto", "mask_thick.nii.gz"),
    ).data;
    const voxels = Array.from(mask.keys()).filter((i) => mask[i] !== 0);
    const dStar = readNifti(join(root, "out", "fc", "maps", "UTS01", "forecast_dstar.nii.gz")).data;
    const f8 = readNifti(join(root, "out", "fc", "maps", "UTS01", "forecast_d-8.nii.gz")).data;
    const scores = stored.get("scores")!.data as Float64Array;
    const baseline = stored.get("baseline")!.data as Float64Array;
    voxels.forEach((voxel, k) => expect(f8[voxel]).toBeCloseTo(scores[3 * 150 + k] - baseline[k], 6));
    const plantedPeaks = voxels.slice(0, 20).map((voxel) => dStar[voxel]);
    expect(plantedPeaks.filter((d) => d === 4 || d === 8).length).toBeGreaterThanOrEqual(18);
    expect(Array.from(dStar).filter((x) => !Number.isNaN(x)).length).toBe(150);
    out.length = 0;
    expect(await main(["run", "--config", c, "--quiet"])).toBe(0);
    expect(out.join("\n")).toMatch(/forecast: 0 computed, 2 already done, 0 failed/);
    err.length = 0;
    expect(await main(["run", "--config", config({ distance: [4] }), "--quiet"])).toBe(1);
    expect(err.join("\n")).toMatch(/run\.json\.forecast: unknown key "distance" \(did you mean "distances"\?\)/);
    expect(await main(["run", "--config", config({ alphaSelection: "kfold" }), "--quiet"])).toBe(1);
    expect(err.join("\n")).toMatch(/run\.json\.forecast\.alphaSelection/);
  }, 600_000);

  it("refuses a story in both splits, a distance wider than a story and responses of the wrong length", async () => {
    const states = { rows: 30, cols: 4, data: new Float64Array(120).fill(1) };
    const story = {
      states,
      wordTimes: Float64Array.from({ length: 30 }, (_, i) => i / 3),
      trTimes: Float64Array.from({ length: 30 }, (_, i) => i * 2),
      responses: { rows: 5, cols: 3, data: new Float64Array(15) },
    };
    await expect(storyForecastSweep([story, story], { train: [0, 1], test: [1] })).rejects.toThrow(
      /stories 1 are both training and test/,
    );
    await expect(storyForecastSweep([story, story], { train: [0], test: [1], distances: [40] })).rejects.toThrow(
      /distance 40 is wider than the shortest story \(30 words\)/,
    );
    await expect(storyForecastSweep([story, story], { train: [0], test: [1], distances: [2] })).rejects.toThrow(
      /story 0's design has 15 TRs after trimming, its responses 5/,
    );
  });
});
