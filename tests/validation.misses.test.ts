/**
 * Bad inputs that used to slip through or end in a message that did not name the file to fix: an
 * all-constant design, a single-label --groups file, an event_meta.json without the scans' task, a
 * vocab.json that is a list, an empty tokenizer.json. Each is refused naming the file.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../src/cli/main.js";
import { brainScore } from "../src/ridge/crossValidate.js";
import { RidgeCV } from "../src/ridge/estimator.js";
import { loadGpt2Tokenizer } from "../src/lm/tokenizer.js";
import { tinyModelDir } from "../src/lm/tinyCheckpoint.js";
import { writeNpy } from "../src/io/npy.js";
import { gaussian, mulberry32 } from "../src/linalg/random.js";
import { parseRunConfig } from "../src/pipeline/config.js";
import { runPipeline } from "../src/pipeline/run.js";
import { parseSimulationConfig, simulateDataset } from "../src/simulate/simulate.js";
import { captureConsole } from "./helpers/console.js";

const dir = mkdtempSync(join(tmpdir(), "misses-"));
const { err } = captureConsole();

describe("bad inputs named by file", () => {
  const rand = gaussian(mulberry32(3));
  const n = 60;
  const y = { rows: n, cols: 2, data: Float64Array.from({ length: n * 2 }, rand) };

  it("an all-constant design file is refused by fit before fitting; the library scores it NaN and reports the columns", async () => {
    const x = { rows: n, cols: 3, data: new Float64Array(n * 3).fill(2) };
    const res = await brainScore(x, y, { source: { x: "X.npy", y: "Y.npy" } });
    expect(Array.from(res.r).every(Number.isNaN)).toBe(true);
    expect(res.constantFeatures).toEqual([0, 1, 2]);
    writeNpy(join(dir, "Xc.npy"), { shape: [n, 3], data: Float32Array.from(x.data) });
    writeNpy(join(dir, "Y.npy"), { shape: [n, 2], data: Float32Array.from(y.data) });
    expect(
      await main([
        "fit",
        "--x",
        join(dir, "Xc.npy"),
        "--y",
        join(dir, "Y.npy"),
        "--out",
        join(dir, "r.safetensors"),
        "--quiet",
      ]),
    ).toBe(1);
    expect(err.join("\n")).toMatch(/Xc\.npy: every one of its 3 column\(s\) is constant/);
    const model = await new RidgeCV({ dtype: "float64" }).fit(
      { rows: n, cols: 3, data: Float64Array.from({ length: n * 3 }, rand) },
      y,
    );
    expect((await model.predict(x)).rows).toBe(n);
  });

  it("a --groups file with one label is refused naming it", async () => {
    writeNpy(join(dir, "X.npy"), { shape: [n, 3], data: Float32Array.from({ length: n * 3 }, rand) });
    writeNpy(join(dir, "groups.npy"), { shape: [n], data: new Float32Array(n).fill(1) });
    expect(
      await main([
        "fit",
        "--x",
        join(dir, "X.npy"),
        "--y",
        join(dir, "Y.npy"),
        "--groups",
        join(dir, "groups.npy"),
        "--out",
        join(dir, "r.safetensors"),
        "--quiet",
      ]),
    ).toBe(1);
    expect(err.join("\n")).toMatch(
      /groups\.npy: every sample has group label 1; leave-one-group-out needs at least 2 distinct labels/,
    );
  });

  it("a vocab.json that is a list, and an empty tokenizer.json, are refused naming the file", () => {
    const tiny = tinyModelDir(join(dir, "cache"));
    const listVocab = join(dir, "list-vocab");
    cpSync(tiny, listVocab, { recursive: true });
    writeFileSync(join(listVocab, "vocab.json"), JSON.stringify(["a", "b"]));
    expect(() => loadGpt2Tokenizer(listVocab)).toThrow(
      /list-vocab\/vocab\.json: expected an object mapping tokens to ids, got a list/,
    );
    const empty = join(dir, "empty-tokenizer");
    cpSync(tiny, empty, { recursive: true });
    writeFileSync(join(empty, "tokenizer.json"), "{}");
    expect(() => loadGpt2Tokenizer(empty)).toThrow(
      /empty-tokenizer\/tokenizer\.json: no "model" entry: not a Hugging Face tokenizer\.json/,
    );
    writeFileSync(join(empty, "tokenizer.json"), JSON.stringify({ model: { type: "BPE", vocab: {}, merges: [] } }));
    expect(() => loadGpt2Tokenizer(empty)).toThrow(/tokenizer\.json: the model's vocabulary is empty or missing/);
  });

  it("an event_meta.json without the scans' task names the file and the task", async () => {
    const sim = parseSimulationConfig(
      { seed: 1, stories: ["pieman"], subjects: 2, context: 16, regions: [{ label: "insula", layer: 1 }] },
      "sim.json",
    );
    const ds = join(dir, "ds");
    await simulateDataset(sim, ds, { cacheDir: join(dir, "cache") });
    // Another dataset root: the same scans, an event_meta.json that lists only another story.
    const other = join(dir, "ds-other-meta");
    mkdirSync(join(other, "code"), { recursive: true });
    symlinkSync(join(ds, "derivatives"), join(other, "derivatives"));
    const meta = JSON.parse(readFileSync(join(ds, "code", "event_meta.json"), "utf8"));
    writeFileSync(join(other, "code", "event_meta.json"), JSON.stringify({ lucy: { lucy: meta.pieman.pieman } }));
    const c = parseRunConfig(
      {
        dataset: other,
        space: "fsaverage5",
        model: "tiny",
        layers: [0],
        forecast: false,
        outDir: join(dir, "out"),
        cacheDir: join(dir, "cache"),
      },
      join(dir, "run.json"),
    );
    await expect(runPipeline(c)).rejects.toThrow(
      /ds-other-meta\/code\/event_meta\.json: the scans in .*derivatives\/afni-nosmooth are of task\(s\) pieman, which it does not list \(it lists lucy\)/,
    );
  }, 120_000);
});
