/**
 * Inputs checked where they enter (issue 13): dataset metadata, safetensors headers, checkpoint weights,
 * word timings, ridge options and run configurations — each error names the file (or option) and what is
 * wrong; a run whose scans all fail says why each failed.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAlphas } from "../src/ridge/alphas.js";
import { brainScore } from "../src/ridge/crossValidate.js";
import { readGpt2Config } from "../src/lm/config.js";
import { loadGpt2Weights } from "../src/lm/weights.js";
import { NarrativesDataset } from "../src/fmri/datasets/narratives.js";
import { writeNarrativesLayout } from "../src/fmri/datasets/narrativesWriter.js";
import { encodeSafetensors, parseSafetensors } from "../src/io/safetensors.js";
import { gaussian, mulberry32 } from "../src/linalg/random.js";
import { parseRunConfig } from "../src/pipeline/config.js";
import { parseLebelRunConfig } from "../src/pipeline/lebelRun.js";
import { runPipeline } from "../src/pipeline/run.js";
import { readWords } from "../src/stimuli/readers.js";
import { sharedPath } from "./helpers/shared.js";

const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

describe("dataset metadata", () => {
  const dataset = (eventMeta: unknown, scanExclude: unknown = {}) => {
    const root = tmp("meta-");
    mkdirSync(join(root, "code"), { recursive: true });
    writeFileSync(join(root, "code", "event_meta.json"), JSON.stringify(eventMeta));
    writeFileSync(join(root, "code", "scan_exclude.json"), JSON.stringify(scanExclude));
    return root;
  };
  it("event_meta.json: whole, non-negative TR counts per task and story, with the file and the entry named", () => {
    expect(() => new NarrativesDataset(dataset({ pieman: { pieman: { onset: -3, duration: 300 } } }))).toThrow(
      /event_meta\.json: pieman\.pieman\.onset: expected a whole non-negative number of TRs, got -3/,
    );
    expect(() => new NarrativesDataset(dataset({ pieman: { pieman: { onset: 10, duration: 281.5 } } }))).toThrow(
      /event_meta\.json: pieman\.pieman\.duration: expected a whole positive number of TRs, got 281\.5/,
    );
    expect(() => new NarrativesDataset(dataset({ pieman: { pieman: { onset: 10 } } }))).toThrow(
      /pieman\.pieman\.duration: .* got undefined/,
    );
    expect(() => new NarrativesDataset(dataset({ pieman: [] }))).toThrow(
      /event_meta\.json: pieman: expected an object of stories/,
    );
    expect(() => new NarrativesDataset(dataset([1, 2]))).toThrow(/event_meta\.json: expected an object of tasks/);
    // The dataset's real file is valid.
    expect(
      () =>
        new NarrativesDataset(
          dataset(
            JSON.parse(readFileSync(sharedPath("data/narratives/event_meta.json"), "utf8")),
            JSON.parse(readFileSync(sharedPath("data/narratives/scan_exclude.json"), "utf8")),
          ),
        ),
    ).not.toThrow();
  });
  it("scan_exclude.json: lists of scan keys per task and subject", () => {
    const ok = { pieman: { pieman: { onset: 10, duration: 281 } } };
    expect(() => new NarrativesDataset(dataset(ok, { pieman: { "sub-001": "sub-001_task-pieman" } }))).toThrow(
      /scan_exclude\.json: pieman\.sub-001: expected a list of scan keys/,
    );
    expect(() => new NarrativesDataset(dataset(ok, { pieman: 3 }))).toThrow(
      /scan_exclude\.json: pieman: expected an object of subjects/,
    );
  });
});

describe("safetensors headers", () => {
  const file = Buffer.concat(encodeSafetensors({ a: { shape: [2], data: Float32Array.of(1, 2) } }, { format: "pt" }));
  const withHeader = (header: string) => {
    const h = new TextEncoder().encode(header);
    const body = file.subarray(8 + Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true)));
    const out = new Uint8Array(8 + h.length + body.length);
    new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
    out.set(h, 8);
    out.set(body, 8 + h.length);
    return out;
  };
  it("refuses null entries, repeated tensor names and non-string metadata, naming the file", () => {
    expect(() => parseSafetensors(withHeader('{"a":null}'), "null.safetensors")).toThrow(
      /null\.safetensors: tensor "a" has no \{dtype, shape, data_offsets\} entry \(got null\)/,
    );
    const entry = '{"dtype":"F32","shape":[2],"data_offsets":[0,8]}';
    expect(() =>
      parseSafetensors(withHeader(`{"a":${entry},"b":{"x":[1,{"a":2}]},"a":${entry}}`), "dup.safetensors"),
    ).toThrow(/dup\.safetensors: tensor name "a" appears twice/);
    expect(() => parseSafetensors(withHeader(`{"__metadata__":{"n":1},"a":${entry}}`), "meta.safetensors")).toThrow(
      /meta\.safetensors: __metadata__ must map names to strings/,
    );
    // Names that only look alike (escaped quotes, nested keys) are not repeats.
    expect(parseSafetensors(withHeader(`{"a\\"":${entry},"a":${entry}}`), "ok.safetensors").tensors.size).toBe(2);
  });
});

describe("checkpoint weights", () => {
  it("a NaN weight is refused with the tensor and position named", () => {
    const dir = tmp("nan-ckpt-");
    for (const f of readdirSync(sharedPath("reference/gpt2")))
      copyFileSync(join(sharedPath("reference/gpt2"), f), join(dir, f));
    const bytes = readFileSync(join(dir, "model.safetensors"));
    const parsed = parseSafetensors(bytes, "model.safetensors");
    const tensors = Object.fromEntries(
      [...parsed.tensors].map(([k, t]) => [k, { shape: t.shape, data: Float32Array.from(t.data as Float32Array) }]),
    );
    tensors["h.1.mlp.c_fc.bias"].data[5] = NaN;
    writeFileSync(join(dir, "model.safetensors"), Buffer.concat(encodeSafetensors(tensors, parsed.metadata)));
    expect(() => loadGpt2Weights(dir, readGpt2Config(dir))).toThrow(
      /model\.safetensors: tensor "h\.1\.mlp\.c_fc\.bias" holds a non-finite weight \(NaN\) at flat index 5/,
    );
  });
});

describe("tokenizer and weights from different models", () => {
  it("token ids beyond config.json's vocab_size are refused, naming both files", async () => {
    const dir = tmp("vocab-");
    const src = sharedPath("reference/lm-families/qwen2");
    for (const f of readdirSync(src)) copyFileSync(join(src, f), join(dir, f));
    const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    writeFileSync(join(dir, "config.json"), JSON.stringify({ ...config, vocab_size: 1000 }));
    const { extractWordFeatures } = await import("../src/lm/extract.js");
    const { untimedWords } = await import("../src/stimuli/words.js");
    await expect(
      extractWordFeatures(dir, untimedWords(["I", "began", "my", "illustrious", "career"], "words.txt"), {
        cache: false,
      }),
    ).rejects.toThrow(
      /tokenizer\.json: gives token id \d+ \(in ".*"\), but .*config\.json has vocab_size 1000: the tokenizer and the weights belong to different models/,
    );
  });
});

describe("word timings", () => {
  const csv = (rows: string[]) => {
    const path = join(tmp("words-"), "align.csv");
    writeFileSync(path, rows.join("\n") + "\n");
    return path;
  };
  it("onsets that go backwards and offsets before onsets are refused; missing timings are interpolated and flagged", () => {
    expect(() => readWords(csv(["I,i,0.5,0.7", "began,began,1.0,1.3", "my,my,0.9,1.1"]))).toThrow(
      /align\.csv: word 2 \("my"\) starts at 0\.9 s, before word 1 \("began"\) at 1 s; onsets must not decrease/,
    );
    expect(() => readWords(csv(["I,i,0.5,0.7", "began,began,1.0,0.8"]))).toThrow(
      /align\.csv: word 1 \("began"\) ends at 0\.8 s, before its onset 1 s/,
    );
    const w = readWords(csv(["I,i,0.5,0.7", "began,,,", "my,my,1.5,1.7"]));
    expect(Array.from(w.interpolated)).toEqual([0, 1, 0]);
    expect(w.onsets[1]).toBeCloseTo(1.0, 12);
  });
});

describe("ridge options", () => {
  it("an empty alpha grid and NaN group labels are refused, naming the option or file", async () => {
    expect(() => parseAlphas("")).toThrow(/alphas: the alpha grid is empty/);
    const rand = gaussian(mulberry32(1));
    const x = { rows: 40, cols: 3, data: Float64Array.from({ length: 120 }, rand) };
    const y = { rows: 40, cols: 2, data: Float64Array.from({ length: 80 }, rand) };
    const groups = Float64Array.from({ length: 40 }, (_, i) => (i === 7 ? NaN : i % 4));
    await expect(brainScore(x, y, { groups, source: { x: "X.npy", y: "Y.npy", groups: "runs.npy" } })).rejects.toThrow(
      /runs\.npy: group label 7 is NaN; labels must be finite numbers/,
    );
    await expect(brainScore(x, y, { groups: groups.subarray(0, 30), source: { groups: "runs.npy" } })).rejects.toThrow(
      /runs\.npy: 30 group labels but X has 40 rows/,
    );
  });
});

describe("degenerate but valid designs", () => {
  it("constant columns of X are listed and change nothing", async () => {
    const rand = gaussian(mulberry32(2));
    const n = 60;
    const x = {
      rows: n,
      cols: 4,
      data: Float64Array.from({ length: n * 4 }, (_, i) => (i % 4 === 1 ? 5 : i % 4 === 3 ? 0 : rand())),
    };
    const reduced = {
      rows: n,
      cols: 2,
      data: Float64Array.from({ length: n * 2 }, (_, i) => x.data[Math.floor(i / 2) * 4 + (i % 2) * 2]),
    };
    const y = {
      rows: n,
      cols: 3,
      data: Float64Array.from({ length: n * 3 }, (_, i) => reduced.data[Math.floor(i / 3) * 2] * (i % 3) + rand()),
    };
    const full = await brainScore(x, y, { alphaSelection: "gcv" });
    expect(full.constantFeatures).toEqual([1, 3]);
    const without = await brainScore(reduced, y, { alphaSelection: "gcv" });
    expect(without.constantFeatures).toEqual([]);
    for (let t = 0; t < 3; t++) expect(full.r[t]).toBeCloseTo(without.r[t], 8);
  });
});

describe("run configurations and failing runs", () => {
  it("empty lists are refused up front", () => {
    expect(() => parseRunConfig({ dataset: "x", layers: [] }, "run.json")).toThrow(
      /run\.json\.layers: the list is empty/,
    );
    expect(() => parseRunConfig({ dataset: "x", layers: [-1, 4] }, "run.json")).toThrow(
      /run\.json\.layers: layer indices are ≥ 0/,
    );
    expect(() => parseRunConfig({ dataset: "x", forecast: { distances: [] } }, "run.json")).toThrow(
      /run\.json\.forecast\.distances: the list is empty/,
    );
  });

  it("a configuration without settings gets the paper's set-up (Caucheteux et al. 2023)", () => {
    const c = parseRunConfig({ dataset: "x" }, "run.json");
    expect(c.layers).toEqual([0, 4, 8, 12]);
    expect(c.ridge).toMatchObject({ alphaSelection: "loo", folds: 5, firDelays: [0, 1, 2, 3, 4, 5] });
    expect(c.forecast).toMatchObject({ layer: 8, windowLength: 7, components: 20, dTest: 8, k: 10 });
    expect(c.forecast!.distances).toEqual(Array.from({ length: 41 }, (_, i) => i - 10));
  });

  it("ridge.alphas: a list or a logspace spec, bad grids refused naming the key", () => {
    expect(parseRunConfig({ dataset: "x", ridge: { alphas: [1, 10] } }, "run.json").ridge.alphas).toEqual([1, 10]);
    expect(parseRunConfig({ dataset: "x", ridge: { alphas: "logspace:0:2:3" } }, "run.json").ridge.alphas).toEqual([
      1, 10, 100,
    ]);
    expect(parseRunConfig({ dataset: "x" }, "run.json").ridge.alphas).toBeUndefined();
    expect(() => parseRunConfig({ dataset: "x", ridge: { alphas: [] } }, "run.json")).toThrow(
      /run\.json\.ridge\.alphas: the alpha grid is empty/,
    );
    expect(() => parseRunConfig({ dataset: "x", ridge: { alphas: [1, -2] } }, "run.json")).toThrow(
      /run\.json\.ridge\.alphas: every alpha must be a finite number > 0/,
    );
    expect(() => parseRunConfig({ dataset: "x", ridge: { alphas: ["1"] } }, "run.json")).toThrow(
      /run\.json\.ridge\.alphas: expected a list of numbers/,
    );
    expect(() => parseRunConfig({ dataset: "x", ridge: { alphas: "logspace:1" } }, "run.json")).toThrow(
      /run\.json\.ridge\.alphas: /,
    );
    expect(() =>
      parseLebelRunConfig(
        { dataset: { kind: "lebel", root: "ds" }, model: "tiny", forecast: { alphas: [0] } },
        "run.json",
      ),
    ).toThrow(/run\.json\.forecast\.alphas: every alpha must be a finite number > 0/);
  });

  it("a scan with no valid target is reported and kept out of the group statistics", async () => {
    const root = tmp("novalid-");
    const rand = gaussian(mulberry32(4));
    const T = 300;
    const noisy = () => ({ rows: T, cols: 10242, data: Float32Array.from({ length: T * 10242 }, () => 100 + rand()) });
    const flat = { rows: T, cols: 10242, data: new Float32Array(T * 10242).fill(100) };
    writeNarrativesLayout(join(root, "ds"), {
      eventMeta: { pieman: { pieman: { onset: 10, duration: 281 } } },
      alignments: { pieman: readFileSync(join(process.cwd(), "data/narratives/align/pieman/align.csv"), "utf8") },
      scans: [
        { subject: "sub-001", task: "pieman", hemis: { L: noisy(), R: noisy() } },
        { subject: "sub-002", task: "pieman", hemis: { L: noisy(), R: noisy() } },
        { subject: "sub-003", task: "pieman", hemis: { L: flat, R: flat } },
      ],
      surface: "fsaverage5",
    });
    const c = parseRunConfig(
      {
        name: "novalid",
        dataset: join(root, "ds"),
        space: "fsaverage5",
        model: "tiny",
        layers: [1],
        context: 32,
        contextMode: "strided",
        ridge: { alphaSelection: "gcv" },
        forecast: false,
        noiseCeiling: false,
        statistics: { bootstrap: 100 },
        outDir: join(root, "out"),
        cacheDir: join(root, "cache"),
      },
      join(root, "run.json"),
    );
    const report = await runPipeline(c);
    expect(report.failed).toEqual([]);
    expect(report.group!.summary).toContain(
      "excluded from group statistics: sub-003_task-pieman (no valid target: every vertex NaN or constant)",
    );
    const group = readFileSync(join(root, "out", "novalid", "tables", "group_brain_scores.csv"), "utf8")
      .trim()
      .split("\n");
    const n = group[0].split(",").indexOf("n");
    expect(group.slice(1).every((row) => row.split(",")[n] === "2")).toBe(true);
  }, 300_000);

  it("when every scan fails, the error lists each scan with its reason", async () => {
    const root = tmp("allfail-");
    const short = { rows: 50, cols: 10242, data: new Float32Array(50 * 10242) }; // 50 TRs: shorter than the story
    writeNarrativesLayout(join(root, "ds"), {
      eventMeta: { pieman: { pieman: { onset: 10, duration: 281 } } },
      alignments: { pieman: readFileSync(join(process.cwd(), "data/narratives/align/pieman/align.csv"), "utf8") },
      scans: ["sub-001", "sub-002"].map((subject) => ({ subject, task: "pieman", hemis: { L: short, R: short } })),
      surface: "fsaverage5",
    });
    const c = parseRunConfig(
      {
        name: "fail",
        dataset: join(root, "ds"),
        space: "fsaverage5",
        model: "tiny",
        layers: [1],
        context: 32,
        contextMode: "strided",
        forecast: false,
        outDir: join(root, "out"),
        cacheDir: join(root, "cache"),
      },
      join(root, "run.json"),
    );
    await expect(runPipeline(c)).rejects.toThrow(
      /2 scan\(s\) failed and no result remains to combine[\s\S]*sub-001_task-pieman: .*50 TRs, but event_meta\.json places story "pieman" at TRs 10–290[\s\S]*sub-002_task-pieman/,
    );
    expect(JSON.parse(readFileSync(join(root, "out", "fail", "failures.json"), "utf8")).length).toBe(2);
  }, 120_000);

  it("a surface with another vertex count than its space is refused, naming the file", async () => {
    const root = tmp("vertices-");
    const small = { rows: 300, cols: 12, data: new Float32Array(300 * 12) };
    writeNarrativesLayout(join(root, "ds"), {
      eventMeta: { pieman: { pieman: { onset: 10, duration: 281 } } },
      alignments: { pieman: readFileSync(join(process.cwd(), "data/narratives/align/pieman/align.csv"), "utf8") },
      scans: [{ subject: "sub-001", task: "pieman", hemis: { L: small, R: small } }],
      surface: "fsaverage5",
    });
    const c = parseRunConfig(
      {
        name: "v",
        dataset: join(root, "ds"),
        space: "fsaverage5",
        model: "tiny",
        layers: [1],
        context: 32,
        contextMode: "strided",
        forecast: false,
        outDir: join(root, "out"),
        cacheDir: join(root, "cache"),
      },
      join(root, "run.json"),
    );
    await expect(runPipeline(c)).rejects.toThrow(
      /sub-001_task-pieman_space-fsaverage5_hemi-L_desc-clean\.func\.gii: 12 vertices, but fsaverage5 has 10242 per hemisphere/,
    );
  }, 120_000);
});

describe("labellings that label nothing where regions are scored", () => {
  it("a label volume of zeros, or one whose labels all fall outside the brain mask, is refused naming the file", async () => {
    const { writeNifti } = await import("../src/fmri/formats/nifti.js");
    const { runParcellation } = await import("../src/pipeline/scanRegions.js");
    const root = tmp("labels-");
    const shape = [4, 4, 4];
    const affine = [
      [2, 0, 0, 0],
      [0, 2, 0, 0],
      [0, 0, 2, 0],
      [0, 0, 0, 1],
    ];
    const layout = {
      kind: "volume" as const,
      shape,
      affine,
      maskIndices: Int32Array.from({ length: 20 }, (_, i) => i),
    };
    const config = (labels: string) =>
      parseRunConfig({ dataset: root, space: "MNI152NLin2009cAsym", regions: { labels } }, join(root, "run.json"));
    const zeros = join(root, "zeros.nii.gz");
    writeNifti(zeros, { shape, data: new Float32Array(64), affine, datatype: "int16" });
    expect(() => runParcellation(config(zeros), layout)).toThrow(
      /zeros\.nii\.gz: the label volume labels no voxel \(every value is 0\)/,
    );
    const outside = join(root, "outside.nii.gz");
    writeNifti(outside, {
      shape,
      data: Float32Array.from({ length: 64 }, (_, i) => (i >= 40 ? 3 : 0)),
      affine,
      datatype: "int16",
    });
    expect(() => runParcellation(config(outside), layout)).toThrow(
      /outside\.nii\.gz: no labelled voxel inside the scan's brain mask \(20 voxels\)/,
    );
    const inside = join(root, "inside.nii.gz");
    writeNifti(inside, {
      shape,
      data: Float32Array.from({ length: 64 }, (_, i) => (i < 10 ? 1 : i >= 40 ? 2 : 0)),
      affine,
      datatype: "int16",
    });
    // A region outside this scan's mask stays (NaN for this scan, counted in n), as long as one is inside.
    expect(runParcellation(config(inside), layout).names).toEqual(["label_1", "label_2"]);
  });

  it("surface labels that cover only vertices past the first 10,242 of each hemisphere are refused naming the files", async () => {
    const { writeGifti } = await import("../src/fmri/formats/gifti.js");
    const { hemisphereParcellation } = await import("../src/pipeline/scanRegions.js");
    const root = tmp("annot-");
    const files = (["L", "R"] as const).map((h) => {
      const path = join(root, `${h === "L" ? "lh" : "rh"}.far.label.gii`);
      const keys = Int32Array.from({ length: 40962 }, (_, v) => (v >= 10242 ? 1 : 0));
      writeGifti(path, [{ intent: "NIFTI_INTENT_LABEL", data: keys, dims: [40962] }], {
        labels: [
          { key: 0, name: "???", rgba: [0, 0, 0, 0] },
          { key: 1, name: "far", rgba: [1, 0, 0, 1] },
        ],
      });
      return path;
    });
    const c = parseRunConfig(
      { dataset: root, space: "fsaverage6", regions: { annot: { L: files[0], R: files[1] } } },
      join(root, "run.json"),
    );
    expect(() => hemisphereParcellation(c, { L: 40962, R: 40962 })).toThrow(
      /lh\.far\.label\.gii and .*rh\.far\.label\.gii: no region has a vertex among each hemisphere's first 10,242 vertices/,
    );
  });
});

describe("GIfTI hemispheres", () => {
  it("a left-hemisphere file that declares the right cortex (files swapped) is refused, in Narratives and BIDS runs", async () => {
    const { writeGiftiTimeSeries } = await import("../src/fmri/formats/gifti.js");
    const { loadBidsRun } = await import("../src/fmri/datasets/bids.js");
    const root = tmp("swapped-");
    const bold = { rows: 6, cols: 10242, data: new Float32Array(6 * 10242).map((_, i) => i % 7) };
    writeGiftiTimeSeries(join(root, "left.func.gii"), bold, { tr: 1.5, hemi: "L" });
    writeGiftiTimeSeries(join(root, "right.func.gii"), bold, { tr: 1.5, hemi: "R" });
    writeFileSync(join(root, "events.tsv"), "onset\tduration\tword\n0.5\t0.3\thello\n");
    const events = join(root, "events.tsv");
    expect(loadBidsRun({ bold: [join(root, "left.func.gii"), join(root, "right.func.gii")], events }).bold.cols).toBe(
      20484,
    );
    expect(() => loadBidsRun({ bold: [join(root, "right.func.gii"), join(root, "left.func.gii")], events })).toThrow(
      /right\.func\.gii: used as the left hemisphere but its AnatomicalStructurePrimary is CortexRight/,
    );
  });
});
