/**
 * `brainscore run` on the Huth lab's dataset (LeBel et al. 2023, ds003020): a run configuration whose
 * "dataset" is {"kind": "lebel", "root": …}. Per subject, brain scores at every layer with the dataset's
 * conventions (`lebelBrainScores`: Lanczos designs, training stories concatenated, bootstrap ridge, test
 * story r per voxel, optional block-permutation p-values), stored as one safetensors file per subject
 * (resumable: a stored result of the same configuration and weights is reused); then a table per subject and
 * layer and a figure of the mean test r by layer; where the dataset's pycortex database holds the subject's
 * cortical mask (lebelVolume.ts), test r and p per layer as NIfTI volumes in the subject's functional space
 * and a slice mosaic of the best layer; with "forecast", F(d) per subject (lebelForecastRun.ts).
 * With "models", the scaling analysis (`lebelScaling`).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { readModelInfo } from "../lm/architectures.js";
import { weightsSha256 } from "../lm/checkpoint.js";
import { resolveModel } from "../lm/hub.js";
import {
  ConfigError,
  expectKeys,
  expectObject,
  optionalBoolean,
  optionalNumber,
  optionalString,
  optionalAlphaGrid,
} from "../config/validate.js";
import { LebelDataset } from "../fmri/datasets/lebel.js";
import {
  findLebelVolume,
  volumeFromColumns,
  writeVolumeMap,
  type SubjectVolume,
} from "../fmri/datasets/lebelVolume.js";
import { writeTextAtomic } from "../io/atomic.js";
import { ensureWritableDir } from "../io/files.js";
import { readSafetensorsIfValid, writeSafetensors } from "../io/safetensors.js";
import { lineChartSvg } from "../report/figures/lineChart.js";
import { writeSvgAsPng } from "../report/figures/png.js";
import { volumeMosaicSvg } from "../report/figures/volumeMosaic.js";
import type { Row } from "../report/csv.js";
import { writeTable } from "../report/table.js";
import type { BootstrapRidgeOptions } from "../ridge/bootstrapRidge.js";
import type { BlockPermutationOptions } from "../stats/blockPermutation.js";
import { lebelBrainScores } from "./lebel.js";
import { lebelForecastLayer, runLebelForecast } from "./lebelForecastRun.js";
import { lebelScaling } from "./lebelScaling.js";
import { sweepLayers } from "./scaling.js";

export interface LebelRunConfig {
  name: string;
  root: string;
  subjects?: string[];
  sessions?: string[];
  model: string;
  /** Layers, or relative depths rounded to the model's layers (default 0, 0.25, 0.5, 0.75, 1). */
  layers?: number[];
  depths?: number[];
  models?: { model: string; family?: string }[];
  context?: number;
  contextMode?: "exact" | "strided";
  bootstrap: BootstrapRidgeOptions;
  permutation?: BlockPermutationOptions;
  /** Forecast scores F(d) per subject (`lebelForecast`), when given. */
  forecast?: LebelForecastConfig;
  outDir: string;
  cacheDir?: string;
}

export interface LebelForecastConfig {
  /** The layer whose states make the current words and the windows (default: the paper's 8 of 12, by depth). */
  layer?: number;
  distances?: number[];
  windowLength?: number;
  components?: number;
  alphaSelection?: "loo" | "gcv" | "bootstrap";
  /** loo/gcv penalty grid (default brainScore's); bootstrap uses "ridge". */
  alphas?: number[];
}

const TOP = [
  "name",
  "dataset",
  "subjects",
  "sessions",
  "model",
  "layers",
  "depths",
  "models",
  "context",
  "contextMode",
  "ridge",
  "permutation",
  "forecast",
  "outDir",
  "cacheDir",
];
const FORECAST = ["layer", "distances", "windowLength", "components", "alphaSelection", "alphas"];
const RIDGE = ["alphas", "nBoots", "chunkLength", "nChunks", "seed", "singleAlpha", "useCorr"];
const PERMUTATION = ["blockLength", "permutations", "seed"];

/** Whether a parsed run configuration is for the LeBel layout ("dataset": {"kind": "lebel", …}). */
export function isLebelRunConfig(json: unknown): boolean {
  const d = (json as { dataset?: unknown } | null)?.dataset;
  return typeof d === "object" && d !== null && (d as { kind?: unknown }).kind === "lebel";
}

/** A LeBel run configuration, checked key by key (`source` names the file in errors); paths relative to it. */
export function parseLebelRunConfig(json: unknown, source: string): LebelRunConfig {
  const c = expectObject(json, source);
  expectKeys(c, TOP, source);
  const base = dirname(resolve(source));
  const path = (p: string) => (isAbsolute(p) ? p : join(base, p));
  const d = expectObject(c.dataset, `${source}.dataset`);
  expectKeys(d, ["kind", "root"], `${source}.dataset`);
  const root = optionalString(d, "root", `${source}.dataset`);
  if (!root)
    throw new ConfigError(`${source}.dataset.root: the ds003020 folder (or its derivative folder) is required`);
  const model = optionalString(c, "model", source);
  if (!model) throw new ConfigError(`${source}: "model" is required`);
  const list = <T>(key: string, check: (v: unknown) => v is T, rule: string): T[] | undefined => {
    const v = c[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.length === 0 || !v.every(check))
      throw new ConfigError(`${source}.${key}: expected a non-empty list of ${rule}, got ${JSON.stringify(v)}`);
    return v;
  };
  const isString = (v: unknown): v is string => typeof v === "string";
  const isLayer = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
  const isDepth = (v: unknown): v is number => typeof v === "number" && v >= 0 && v <= 1;
  const r = expectObject(c.ridge ?? {}, `${source}.ridge`);
  expectKeys(r, RIDGE, `${source}.ridge`);
  const rw = `${source}.ridge`;
  const whole = (n: number) => Number.isInteger(n) && n >= 1;
  const alphas = r.alphas;
  if (
    alphas !== undefined &&
    (!Array.isArray(alphas) || alphas.length === 0 || !alphas.every((a) => typeof a === "number" && a >= 0))
  )
    throw new ConfigError(`${rw}.alphas: expected a non-empty list of numbers ≥ 0, got ${JSON.stringify(alphas)}`);
  const bootstrap: BootstrapRidgeOptions = {
    alphas: alphas as number[] | undefined,
    nBoots: optionalNumber(r, "nBoots", rw, whole, "a whole number ≥ 1"),
    chunkLength: optionalNumber(r, "chunkLength", rw, whole, "a whole number ≥ 1"),
    nChunks: optionalNumber(r, "nChunks", rw, whole, "a whole number ≥ 1"),
    seed: optionalNumber(r, "seed", rw, Number.isInteger, "an integer") ?? 0,
    singleAlpha: optionalBoolean(r, "singleAlpha", rw),
    useCorr: optionalBoolean(r, "useCorr", rw),
  };
  let permutation: BlockPermutationOptions | undefined;
  if (c.permutation !== undefined && c.permutation !== false) {
    const p = expectObject(c.permutation, `${source}.permutation`);
    expectKeys(p, PERMUTATION, `${source}.permutation`);
    const pw = `${source}.permutation`;
    permutation = {
      blockLength: optionalNumber(p, "blockLength", pw, whole, "a whole number ≥ 1") ?? 10,
      permutations: optionalNumber(p, "permutations", pw, whole, "a whole number ≥ 1") ?? 1000,
      seed: optionalNumber(p, "seed", pw, Number.isInteger, "an integer") ?? 0,
    };
  }
  const models =
    c.models === undefined
      ? undefined
      : (c.models as unknown[]).map((m, i) => {
          const o = expectObject(m, `${source}.models[${i}]`);
          expectKeys(o, ["model", "family"], `${source}.models[${i}]`);
          const name = optionalString(o, "model", `${source}.models[${i}]`);
          if (!name) throw new ConfigError(`${source}.models[${i}].model is required`);
          return { model: name, family: optionalString(o, "family", `${source}.models[${i}]`) };
        });
  if (c.models !== undefined && !Array.isArray(c.models)) throw new ConfigError(`${source}.models: expected a list`);
  const layers = list("layers", isLayer, "layer indices ≥ 0");
  const depths = list("depths", isDepth, "relative depths in [0, 1]");
  if (layers && depths) throw new ConfigError(`${source}: give "layers" or "depths", not both`);
  let forecast: LebelForecastConfig | undefined;
  if (c.forecast !== undefined && c.forecast !== false) {
    const f = expectObject(c.forecast, `${source}.forecast`);
    expectKeys(f, FORECAST, `${source}.forecast`);
    const fw = `${source}.forecast`;
    const distances = f.distances;
    if (
      distances !== undefined &&
      (!Array.isArray(distances) || distances.length === 0 || !distances.every(Number.isInteger))
    )
      throw new ConfigError(
        `${fw}.distances: expected a non-empty list of whole numbers, got ${JSON.stringify(distances)}`,
      );
    forecast = {
      layer: optionalNumber(f, "layer", fw, (n) => Number.isInteger(n) && n >= 0, "a layer index ≥ 0"),
      distances: distances as number[] | undefined,
      windowLength: optionalNumber(f, "windowLength", fw, whole, "a whole number ≥ 1"),
      components: optionalNumber(f, "components", fw, whole, "a whole number ≥ 1"),
      alphaSelection: optionalString(f, "alphaSelection", fw, ["loo", "gcv", "bootstrap"] as const),
      alphas: optionalAlphaGrid(f.alphas, `${fw}.alphas`),
    };
    if (c.models !== undefined) throw new ConfigError(`${fw}: forecast scores run with one "model", not with "models"`);
  }
  return {
    name: optionalString(c, "name", source) ?? "lebel",
    root: path(root),
    subjects: list("subjects", isString, "subject names (UTS01 …)"),
    sessions: list(
      "sessions",
      (v): v is string => typeof v === "string" || Number.isInteger(v),
      "session names or numbers",
    )?.map(String),
    model: existsSync(path(model)) ? path(model) : model,
    layers,
    depths,
    models: models?.map((m) => ({ ...m, model: existsSync(path(m.model)) ? path(m.model) : m.model })),
    context: optionalNumber(c, "context", source, whole, "a whole number of tokens"),
    contextMode: optionalString(c, "contextMode", source, ["exact", "strided"] as const),
    bootstrap,
    permutation,
    forecast,
    outDir: path(optionalString(c, "outDir", source) ?? "results"),
    cacheDir: c.cacheDir === undefined ? undefined : path(optionalString(c, "cacheDir", source)!),
  };
}

export interface LebelRunReport {
  computed: string[];
  skipped: string[];
  failed: { key: string; error: string }[];
  /**
   * merge only: results of the configuration's subjects that no shard has stored (subject, or "<subject> forecast").
   */
  missing: string[];
  files: string[];
  summary: string[];
}

export interface LebelRunOptions {
  onProgress?: (done: number, total: number, what: string) => void;
  /**
   * One Slurm array task: only the subjects at positions ≡ index − 1 (mod count) of the configuration's list
   * are computed and stored (with their maps); the tables and figures wait for `merge`.
   */
  shard?: { index: number; count: number };
  /** Combine what the shards stored: compute nothing, name the missing results, write tables and figures. */
  merge?: boolean;
}

/**
 * Runs (or resumes) every subject, then the table and figure; with "models", the scaling analysis. With
 * `shard`, one task's subjects only; with `merge`, the tables from what the shards stored.
 */
export async function runLebel(c: LebelRunConfig, options: LebelRunOptions = {}): Promise<LebelRunReport> {
  const root = join(c.outDir, c.name);
  ensureWritableDir(root, "output folder (outDir/name)");
  const ds = LebelDataset.open(c.root);
  const all = c.subjects ?? ds.subjects();
  for (const s of all)
    if (!ds.subjects().includes(s))
      throw new Error(
        `${join(ds.derivative, "preprocessed_data")}: no subject "${s}" (subjects: ${ds.subjects().join(", ")})`,
      );
  const { shard } = options;
  const subjects = shard ? all.filter((_, i) => i % shard.count === shard.index - 1) : all;
  const common = {
    sessions: c.sessions,
    context: c.context,
    contextMode: c.contextMode,
    cacheDir: c.cacheDir,
    bootstrap: c.bootstrap,
  };
  const report: LebelRunReport = { computed: [], skipped: [], failed: [], missing: [], files: [], summary: [] };
  if (c.models && (shard || options.merge))
    throw new Error(
      'a LeBel scaling sweep ("models") is not sharded: run it whole, or each model as its own sharded configuration',
    );
  if (c.models) {
    const res = await lebelScaling(ds, { ...common, subjects, models: c.models, depths: c.depths, outDir: root });
    report.files.push(...res.files);
    report.computed.push(...res.computed);
    report.skipped.push(...res.reused);
    report.summary.push(
      `${res.computed.length} model-subject result(s) computed, ${res.reused.length} reused from an earlier run`,
    );
    for (const m of res.models)
      report.summary.push(
        `${m.model} (${m.family}, ${(m.parameters / 1e6).toFixed(2)} M parameters): best test r ${m.bestScore.toFixed(4)} at layer ${m.bestLayer} (depth ${m.relativeDepth.toFixed(2)})`,
      );
    for (const [family, f] of Object.entries(res.fits))
      report.summary.push(
        `${family}: slope ${f.slope.toFixed(4)} per decade of parameters [${f.slopeLow.toFixed(4)}, ${f.slopeHigh.toFixed(4)}] (${f.n} sizes)`,
      );
    return report;
  }
  const dir = await resolveModel(c.model, { cacheDir: c.cacheDir });
  const nLayer = readModelInfo(dir).nLayer;
  const layers = c.layers ?? sweepLayers({ depths: c.depths ?? [0, 0.25, 0.5, 0.75, 1] }, nLayer, []);
  for (const l of layers) if (l > nLayer) throw new Error(`layer ${l} does not exist in ${c.model} (0 … ${nLayer})`);
  const forecastLayer = c.forecast ? lebelForecastLayer(c, nLayer) : undefined;
  // Every layer either stage reads, extracted together: one model pass per story.
  const featureLayers = [...new Set([...layers, ...(forecastLayer === undefined ? [] : [forecastLayer])])].sort(
    (a, b) => a - b,
  );
  const weights = await weightsSha256(dir, c.cacheDir);
  const hash = createHash("sha256")
    .update(JSON.stringify({ ...common, layers, weights, root: ds.derivative, permutation: c.permutation }))
    .digest("hex")
    .slice(0, 16);
  writeTextAtomic(join(root, "run.json"), JSON.stringify({ config: c, layers, configHash: hash }, null, 2));
  mkdirSync(join(root, "subjects"), { recursive: true });
  const rows: Row[] = [];
  const curves: { subject: string; mean: number[] }[] = [];
  for (const [i, subject] of subjects.entries()) {
    const path = join(root, "subjects", `${subject}.safetensors`);
    let stored = readSafetensorsIfValid(path);
    if (stored && stored.metadata.config !== hash) stored = undefined;
    if (stored) report.skipped.push(subject);
    else if (options.merge) report.missing.push(subject);
    else {
      try {
        const corrs: Float64Array[] = [];
        const alphas: Float64Array[] = [];
        const pValues: Float64Array[] = [];
        for (const layer of layers) {
          const res = await lebelBrainScores(ds, {
            ...common,
            subject,
            model: dir,
            layer,
            featureLayers,
            permutation: c.permutation,
          });
          corrs.push(res.corrs);
          alphas.push(res.alphas);
          if (res.pValues) pValues.push(res.pValues);
        }
        const V = corrs[0].length;
        const stack = (xs: Float64Array[]) => ({
          shape: [xs.length, V],
          data: Float64Array.from(xs.flatMap((x) => Array.from(x))),
        });
        writeSafetensors(
          path,
          {
            layers: { shape: [layers.length], data: BigInt64Array.from(layers, BigInt) },
            corrs: stack(corrs),
            alphas: stack(alphas),
            ...(pValues.length ? { p_values: stack(pValues) } : {}),
          },
          { config: hash, subject, format: "brainscore.lebel/1" },
        );
        stored = readSafetensorsIfValid(path);
        report.computed.push(subject);
      } catch (e) {
        report.failed.push({ key: subject, error: (e as Error).message });
      }
    }
    options.onProgress?.(i + 1, subjects.length, "subjects");
    if (!stored) continue;
    const corrs = stored.tensors.get("corrs")!;
    const p = stored.tensors.get("p_values");
    const V = corrs.shape[1];
    const mean: number[] = [];
    layers.forEach((layer, k) => {
      const r = (corrs.data as Float64Array).subarray(k * V, (k + 1) * V);
      const sorted = Float64Array.from(r).sort();
      const m = r.reduce((a, b) => a + b, 0) / V;
      mean.push(m);
      const significant = p
        ? (p.data as Float64Array).subarray(k * V, (k + 1) * V).filter((x) => x < 0.05).length
        : null;
      rows.push({
        subject,
        layer,
        relative_depth: layer / nLayer,
        voxels: V,
        mean_test_r: m,
        median_test_r: sorted[Math.floor(V / 2)],
        max_test_r: sorted[V - 1],
        voxels_p_below_005: significant,
      });
    });
    curves.push({ subject, mean });
    const found = findLebelVolume(ds.derivative, subject, V);
    report.summary.push(found.note);
    if (found.volume) {
      const pData = p?.data as Float64Array | undefined;
      report.files.push(
        ...writeLebelMaps(root, subject, found.volume, layers, corrs.data as Float64Array, pData, mean),
      );
    }
  }
  if (shard)
    report.summary.push(
      `shard ${shard.index}/${shard.count}: subjects ${subjects.join(", ") || "none"}; tables and figures at "brainscore merge"`,
    );
  if (options.merge && report.missing.length > 0)
    report.summary.push(`missing (no shard has stored them): ${report.missing.join(", ")}`);
  if (rows.length > 0 && !shard) {
    mkdirSync(join(root, "tables"), { recursive: true });
    mkdirSync(join(root, "figures"), { recursive: true });
    report.files.push(...writeTable(join(root, "tables", "lebel_brain_scores"), rows));
    const figure = join(root, "figures", "lebel_brain_score_by_layer.png");
    writeSvgAsPng(
      figure,
      lineChartSvg({
        title: `Test-story r by layer (${c.model.split("/").pop()}, mean over voxels)`,
        xLabel: "layer",
        yLabel: "mean test r",
        series: curves.map((cv) => ({ name: cv.subject, x: layers, y: cv.mean })),
        markers: true,
      }),
    );
    report.files.push(figure);
    for (const cv of curves) {
      const best = cv.mean.indexOf(Math.max(...cv.mean));
      report.summary.push(`${cv.subject}: best layer ${layers[best]} (mean test r ${cv.mean[best].toFixed(4)})`);
    }
  }
  if (forecastLayer !== undefined)
    await runLebelForecast(
      ds,
      c,
      {
        root,
        subjects,
        model: dir,
        layer: forecastLayer,
        featureLayers,
        weights,
        shard: shard !== undefined,
        merge: options.merge === true,
      },
      report,
    );
  return report;
}

/**
 * A subject's maps on its own grid: test r (and block-permutation p) per layer under maps/<subject>/, and a
 * mosaic of axial slices of the best layer's r (highest mean over voxels) under figures/.
 */
function writeLebelMaps(
  root: string,
  subject: string,
  volume: SubjectVolume,
  layers: number[],
  corrs: Float64Array,
  p: Float64Array | undefined,
  means: number[],
): string[] {
  const V = volume.indices.length;
  const dir = join(root, "maps", subject);
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  layers.forEach((layer, k) => {
    const r = corrs.subarray(k * V, (k + 1) * V);
    files.push(join(dir, `test_r_layer-${layer}.nii.gz`));
    writeVolumeMap(files.at(-1)!, volume, r, `test r, layer ${layer}`);
    if (p) {
      files.push(join(dir, `p_layer-${layer}.nii.gz`));
      writeVolumeMap(files.at(-1)!, volume, p.subarray(k * V, (k + 1) * V), `block-permutation p, layer ${layer}`);
    }
  });
  const best = means.indexOf(Math.max(...means.filter(Number.isFinite)));
  if (best >= 0) {
    mkdirSync(join(root, "figures"), { recursive: true });
    files.push(join(root, "figures", `lebel_test_r_${subject}.png`));
    const data = volumeFromColumns(volume, corrs.subarray(best * V, (best + 1) * V));
    writeSvgAsPng(
      files.at(-1)!,
      volumeMosaicSvg({
        title: `${subject}: test-story r, layer ${layers[best]} (best), subject space`,
        shape: volume.shape,
        data,
        label: "test r",
      }),
    );
  }
  return files;
}
