/**
 * A run's configuration is checked before anything is computed (src/pipeline/preflight.ts), and the
 * defaults run on the default space: simulated fsaverage6 scans with the embedded regions and the tiny
 * model (whose 4 layers get the paper's relative depths) go through `runPipeline`; each misconfiguration
 * fails naming the key or file, before any scan is computed.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { ModelInfo } from "../src/lm/architectures.js";
import { writeGifti } from "../src/fmri/formats/gifti.js";
import { parseRunConfig } from "../src/pipeline/config.js";
import { resolveLayers } from "../src/pipeline/preflight.js";
import { runPipeline } from "../src/pipeline/run.js";
import { parseSimulationConfig, simulateDataset } from "../src/simulate/simulate.js";

import { readCsvRows } from "./helpers/csv.js";

const work = mkdtempSync(join(tmpdir(), "preflight-"));
const cacheDir = join(work, "cache");
const dataset = join(work, "ds");

const csv = readCsvRows;

const runConfig = (name: string, extra: Record<string, unknown> = {}) =>
  parseRunConfig(
    {
      name,
      dataset,
      model: "tiny",
      context: 32,
      contextMode: "strided",
      ridge: { alphaSelection: "gcv" },
      forecast: false,
      noiseCeiling: false,
      statistics: { bootstrap: 100 },
      outDir: join(work, "out"),
      cacheDir,
      ...extra,
    },
    join(work, "run.json"),
  );

beforeAll(async () => {
  const sim = parseSimulationConfig(
    {
      seed: 11,
      stories: ["pieman"],
      subjects: 2,
      surface: "fsaverage6",
      context: 32,
      regions: [{ name: "t", label: "superiortemporal", hemi: "both", snr: 1 }],
    },
    "sim.json",
  );
  await simulateDataset(sim, dataset, { cacheDir });
}, 300_000);

describe("the default space with the default regions", () => {
  it("runs simulated fsaverage6 scans with the embedded labelling, and the tiny model's layers at the paper's depths", async () => {
    const c = runConfig("six");
    expect(c.space).toBe("fsaverage6");
    const report = await runPipeline(c);
    expect(report.failed).toEqual([]);
    expect(report.computed.length).toBe(2);
    const stored = JSON.parse(readFileSync(join(work, "out", "six", "run.json"), "utf8"));
    expect(stored.config.layers).toEqual([0, 1, 3, 4]);
    const rows = csv(join(work, "out", "six", "tables", "group_brain_scores.csv"));
    expect(new Set(rows.map((r) => r.layer))).toEqual(new Set(["0", "1", "3", "4"]));
    const regions = new Set(rows.map((r) => r.region));
    expect([...regions].some((r) => r.startsWith("L_superiortemporal"))).toBe(true);
    expect([...regions].some((r) => r.startsWith("R_superiortemporal"))).toBe(true);
    // The planted region (layer 3) scores above the other regions at that layer.
    const at3 = rows.filter((r) => r.layer === "3");
    const mean = (xs: Record<string, string>[]) => xs.reduce((s, r) => s + Number(r.mean), 0) / xs.length;
    const planted = at3.filter((r) => r.region.includes("superiortemporal"));
    expect(mean(planted)).toBeGreaterThan(mean(at3.filter((r) => !r.region.includes("superiortemporal"))) + 0.05);
  }, 600_000);
});

describe("layers resolved against the model", () => {
  const info = (nLayer: number): ModelInfo => ({
    modelType: "gpt2",
    nLayer,
    nEmbd: 32,
    nPositions: 128,
    vocabSize: 100,
  });
  it("rescales only the keys left at their GPT-2-small defaults", () => {
    const d = parseRunConfig({ dataset: "/d" }, "r.json");
    expect(resolveLayers(d, info(12)).layers).toEqual([0, 4, 8, 12]);
    expect(resolveLayers(d, info(12)).forecast?.layer).toBe(8);
    expect(resolveLayers(d, info(24)).layers).toEqual([0, 8, 16, 24]);
    expect(resolveLayers(d, info(24)).forecast?.layer).toBe(16);
    expect(resolveLayers(d, info(24)).forecast?.depthLayers).toEqual([0, 8, 16, 24]);
    const given = parseRunConfig({ dataset: "/d", layers: [1, 2], forecast: { layer: 2 } }, "r.json");
    expect(resolveLayers(given, info(4)).layers).toEqual([1, 2]);
    expect(resolveLayers(given, info(4)).forecast?.layer).toBe(2);
    expect(resolveLayers(given, info(4)).forecast?.depthLayers).toEqual([1, 2]);
  });
  it("reads forecast.dRef null (test F(dTest) > 0) without requiring a reference distance", () => {
    const c = parseRunConfig({ dataset: "/d", forecast: { dRef: null, distances: [4, 8] } }, "r.json");
    expect(c.forecast?.dRef).toBeNull();
    expect(() => parseRunConfig({ dataset: "/d", forecast: { distances: [4, 8] } }, "r.json")).toThrow(
      /r\.json\.forecast\.distances: must include dTest \(8\) and dRef \(0\)/,
    );
  });
  it("refuses a configured layer the model does not have, naming the key and the model's range", () => {
    const info4 = info(4);
    expect(() => resolveLayers(parseRunConfig({ dataset: "/d", layers: [0, 9] }, "r.json"), info4, "tiny")).toThrow(
      /r\.json: layers: layer 9 does not exist; tiny has layers 0 … 4/,
    );
    expect(() =>
      resolveLayers(parseRunConfig({ dataset: "/d", layers: [0, 2], forecast: { layer: 8 } }, "r.json"), info4, "tiny"),
    ).toThrow(/r\.json: forecast\.layer: layer 8 does not exist/);
    expect(() =>
      resolveLayers(
        parseRunConfig({ dataset: "/d", layers: [0, 2], forecast: { depthLayers: [5] } }, "r.json"),
        info4,
        "tiny",
      ),
    ).toThrow(/r\.json: forecast\.depthLayers: layer 5 does not exist/);
  });
});

describe("misconfigured runs fail before computing, naming the problem", () => {
  const odd = join(work, "odd.label.gii");
  writeGifti(odd, [{ intent: "NIFTI_INTENT_LABEL", data: new Int32Array(5000).fill(1), dims: [5000] }], {
    labels: [{ key: 1, name: "a", rgba: [1, 0, 0, 1] }],
  });
  const aFile = join(work, "a-file");
  writeFileSync(aFile, "");
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["a layer the model lacks", { layers: [0, 7] }, /run\.json: layers: layer 7 does not exist; tiny has layers 0 … 4/],
    [
      "a forecast layer the model lacks",
      { layers: [0, 2], forecast: { layer: 8, distances: [0, 8] } },
      /run\.json: forecast\.layer: layer 8 does not exist; tiny has layers 0 … 4/,
    ],
    [
      "a subject not in the dataset",
      { subjects: ["sub-001", "sub-999"] },
      /run\.json: subjects: sub-999 not in .*derivatives\/afni-nosmooth \(it holds sub-001, sub-002\)/,
    ],
    [
      "a space the files are not in",
      { space: "fsaverage5" },
      /run\.json: space: no fsaverage5 file in .*derivatives\/afni-nosmooth; its files are in space fsaverage6/,
    ],
    [
      "a task not in event_meta.json",
      { tasks: ["lucy"] },
      /code\/event_meta\.json: task "lucy" is not in event_meta\.json \(tasks: pieman\)/,
    ],
    [
      "a labelling of no fsaverage resolution",
      { regions: { annot: odd, hemi: "L" } },
      /odd\.label\.gii: labels 5000 vertices, expected an fsaverage hemisphere/,
    ],
    [
      "an output folder under a file",
      { outDir: join(aFile, "results") },
      /a-file\/results\/bad: output folder \(outDir\/name\) cannot be created: a file \(not a folder\) is in the way/,
    ],
  ];
  for (const [what, extra, message] of cases) {
    it(`refuses ${what}`, async () => {
      const c = runConfig("bad", extra);
      const t0 = performance.now();
      await expect(runPipeline(c)).rejects.toThrow(message);
      const ms = performance.now() - t0;
      // Refused before the run started: no run.json, no scan result, no recorded scan failure.
      for (const f of ["run.json", "subjects", "failures.json"])
        expect(existsSync(join(c.outDir, "bad", f))).toBe(false);
      console.log(`preflight: ${what}: refused in ${ms.toFixed(0)} ms`);
    }, 60_000);
  }
});

describe("the simulator checks its planted layers against the model first", () => {
  it("refuses a layer the model lacks before writing anything, and defaults to ⅔ of the depth", async () => {
    const root = join(work, "sim-bad");
    const bad = parseSimulationConfig(
      {
        stories: ["pieman"],
        subjects: 2,
        context: 32,
        regions: [{ label: "superiortemporal" }, { label: "insula", layer: 9 }],
      },
      "sim.json",
    );
    await expect(simulateDataset(bad, root, { cacheDir })).rejects.toThrow(
      /sim\.json: regions\[1\]\.layer: layer 9 does not exist; tiny has layers 0 … 4/,
    );
    expect(existsSync(root)).toBe(false);
    const truth = JSON.parse(readFileSync(join(dataset, "derivatives", "simulation", "truth.json"), "utf8"));
    expect(truth.regions[0].layer).toBe(3);
    const defaulted = parseSimulationConfig({ stories: ["pieman"], regions: [{ label: "insula" }] }, "sim.json");
    expect(defaulted.regions[0].layer).toBeUndefined();
  }, 60_000);
});
