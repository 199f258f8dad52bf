/**
 * `brainscore forecast`: forecast-score sweeps F(d) on one BOLD run, with controls and the
 * syntactic/semantic decomposition, written as a tidy table.
 */
import { parseArgs } from "node:util";
import { forecastAnalyses } from "../forecast/analyses.js";
import { syntaxSemantics } from "../lm/decomposition.js";
import { readConllu } from "../lm/syntax.js";
import { argmaxFinite, finiteMean } from "../stats/acrossSubjects.js";
import { forecastSweep, peakDistances, type ForecastControl, type ForecastSweepResult } from "../forecast/sweep.js";
import { loadMatrix } from "../io/arrays.js";
import { namedTrDesign, TR_DESIGN_NAMES, type TrDesignName } from "../fmri/design/wordDesign.js";
import { readSafetensors } from "../io/safetensors.js";
import type { Matrix } from "../linalg/dense.js";
import { writeCsv, type Row } from "../report/csv.js";
import type { WordEvents } from "../stimuli/words.js";
import { parseAlphas } from "../ridge/alphas.js";
import { ALPHA_SELECTIONS, type AlphaSelection } from "../ridge/alphaSelection.js";
import { findConstantTargets, findNonFiniteTargets } from "../ridge/checks.js";
import { storyScanMismatch } from "../fmri/design/wordsPerTR.js";
import { progressBar } from "./progress.js";
import { numberOption } from "./args.js";
import { UsageError } from "./usage.js";
import { PAPER, paperDistances } from "../config/paper.js";

export const FORECAST_HELP = `Usage: brainscore forecast --features feats.safetensors --layer 8 --bold bold.npy --tr 1.5 --out forecast.csv [options]

Forecast scores F(d) = R(X ⊕ X̃(d)) − R(X) for every target (vertex or region) of one BOLD run.

  --features FILE       output of "brainscore extract" (hidden_states, onsets, words)
  --layer L             layer used for X (must be in the features file)
  --bold FILE           BOLD, TRs × targets (.npy or file.safetensors:name), trimmed to the story
  --tr SECONDS          repetition time
  --onset-shift S       seconds subtracted from word onsets (the story's start within the BOLD clock; default 0)
  --distances SPEC      "${PAPER.distanceRange[0]}:${PAPER.distanceRange[1]}" (default), "0:12" or "0,4,8"
  --window N            words per forecast window (default ${PAPER.windowLength})
  --components N        PCA components for X and for X̃(d) (default ${PAPER.components})
  --folds K             contiguous outer folds (default ${PAPER.folds})
  --alpha-selection M   loo | gcv | kfold (default loo)
  --alphas LIST         penalty grid: "0.1,1,10" or "logspace:-1:8:10" (the default)
  --design D            fir (default: TR sums, FIR delays 0–5 TRs) | glover | spm (TR sums convolved with that HRF)
                        | lanczos (words Lanczos-interpolated to mid-TR times, then FIR delays 0–5 TRs)
                        | glover+derivative | spm+derivative (the HRF and its time derivative)
  --control C           none (default) | random (random vectors) | shuffled (shuffled future words) | all
  --decompose           also syntactic and semantic sweeps (needs --model, the features' checkpoint)
  --model DIR|ID        checkpoint for --decompose; --k N alternatives (default ${PAPER.alternatives}); --parses FILE.conllu
  --seed N              seed for controls and alternatives (default 0)
  --quiet               no progress bar
Output: a tidy CSV (analysis, d, target, score, baseline, forecast) and a summary of each analysis's peak.`;

export function parseDistances(spec: string | undefined): number[] {
  if (spec === undefined) return paperDistances();
  const range = /^\s*(-?\d+)\s*:\s*(-?\d+)\s*$/.exec(spec);
  if (range) {
    const [a, b] = [Number(range[1]), Number(range[2])];
    if (b < a) throw new UsageError(`--distances: empty range ${spec}`, FORECAST_HELP);
    return Array.from({ length: b - a + 1 }, (_, i) => a + i);
  }
  const list = spec.split(",").map((s) => Number(s.trim()));
  if (list.some((d) => !Number.isInteger(d)))
    throw new UsageError(`--distances: cannot read "${spec}" (use -10:30 or 0,4,8)`, FORECAST_HELP);
  return list;
}

export async function forecastCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      features: { type: "string" },
      layer: { type: "string" },
      bold: { type: "string" },
      tr: { type: "string" },
      "onset-shift": { type: "string" },
      distances: { type: "string" },
      window: { type: "string" },
      components: { type: "string" },
      folds: { type: "string" },
      "alpha-selection": { type: "string" },
      alphas: { type: "string" },
      design: { type: "string" },
      control: { type: "string" },
      decompose: { type: "boolean" },
      model: { type: "string" },
      k: { type: "string" },
      parses: { type: "string" },
      seed: { type: "string" },
      out: { type: "string" },
      quiet: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(FORECAST_HELP);
    return;
  }
  for (const k of ["features", "layer", "bold", "tr", "out"] as const)
    if (!values[k]) throw new UsageError(`forecast needs --${k}`, FORECAST_HELP);
  const num = (v: string | undefined, name: string, fallback: number, integer = true) =>
    numberOption(v, name, FORECAST_HELP, fallback, { integer });
  const tr = num(values.tr, "--tr", NaN, false);
  if (!(tr > 0)) throw new UsageError("--tr must be > 0", FORECAST_HELP);
  const mode = (values["alpha-selection"] ?? "loo") as AlphaSelection;
  if (!ALPHA_SELECTIONS.includes(mode))
    throw new UsageError(`--alpha-selection must be one of ${ALPHA_SELECTIONS.join(", ")}`, FORECAST_HELP);
  const designName = (values.design ?? "fir") as TrDesignName;
  if (!TR_DESIGN_NAMES.includes(designName))
    throw new UsageError(`--design must be one of ${TR_DESIGN_NAMES.join(", ")}`, FORECAST_HELP);
  const controlArg = values.control ?? "none";
  if (!["none", "random", "shuffled", "all"].includes(controlArg))
    throw new UsageError(`--control must be none, random, shuffled or all`, FORECAST_HELP);
  if (values.decompose && !values.model)
    throw new UsageError("--decompose needs --model (the checkpoint the features came from)", FORECAST_HELP);
  const layer = num(values.layer, "--layer", 0);
  const { features, events } = readFeatures(
    values.features!,
    layer,
    num(values["onset-shift"], "--onset-shift", 0, false),
  );
  const bold = loadMatrix(values.bold!);
  const mismatch = storyScanMismatch(events.onsets, bold.rows, tr);
  if (mismatch) throw new Error(`${values.bold} with --tr ${values.tr} and ${values.features}: ${mismatch}`);
  // NaN and constant targets are scored NaN (reported here, not fatal).
  const invalid = { nonFinite: findNonFiniteTargets(bold), constant: findConstantTargets(bold) };
  for (const [what, cols] of [
    ["contain NaN or Inf", invalid.nonFinite],
    ["are constant", invalid.constant],
  ] as const) {
    if (cols.length > 0)
      console.error(
        `note: ${values.bold}: ${cols.length} of ${bold.cols} target(s) ${what} (first: column ${cols[0]}); they are scored NaN`,
      );
  }
  const common = {
    tr,
    distances: parseDistances(values.distances),
    windowLength: num(values.window, "--window", PAPER.windowLength),
    nComponents: num(values.components, "--components", PAPER.components),
    folds: num(values.folds, "--folds", PAPER.folds),
    seed: num(values.seed, "--seed", 0),
    ridge: { alphaSelection: mode, alphas: values.alphas === undefined ? undefined : usageAlphas(values.alphas) },
    design: namedTrDesign(designName),
  };
  const controls = (controlArg === "all" ? ["random", "shuffled"] : [controlArg]) as ForecastControl[];
  const bar = progressBar("forecast", process.stderr, values.quiet);
  let decomposition: { syntax: Matrix; semantics: Matrix } | undefined;
  if (values.decompose) {
    const dec = await syntaxSemantics(values.model!, events, {
      layer,
      k: num(values.k, "--k", 10),
      seed: common.seed,
      parses: values.parses ? readConllu(values.parses) : undefined,
      onProgress: (stage, d, t) => bar.update(d, t, stage),
    });
    decomposition = dec;
    if (dec.fallbackWords > 0 && values.parses)
      console.error(`note: ${dec.fallbackWords} word(s) outside the parses were classed with wink-nlp`);
  }
  const analyses = forecastAnalyses({ controls, decomposition });
  const rows: Row[] = [];
  const summary: string[] = [];
  for (const [i, a] of analyses.entries()) {
    const res = await forecastSweep(features, events.onsets, bold, {
      ...common,
      control: a.control,
      windowFeatures: a.windowFeatures,
      onProgress: (d, t) => bar.update(i * t + d, analyses.length * t, a.name),
    });
    rows.push(...tidy(a.name, res));
    summary.push(describePeak(a.name, res));
  }
  bar.finish();
  writeCsv(values.out!, rows, ["analysis", "d", "target", "score", "baseline", "forecast"]);
  console.log([...summary, `wrote ${values.out}`].join("\n"));
}

function readFeatures(path: string, layer: number, shift: number): { features: Matrix; events: WordEvents } {
  const file = readSafetensors(path);
  const hs = file.tensors.get("hidden_states");
  const on = file.tensors.get("onsets");
  if (!hs || !on || !file.metadata.layers || !file.metadata.words) {
    throw new Error(
      `${path}: not a features file from "brainscore extract" (needs hidden_states, onsets, and layers/words metadata)`,
    );
  }
  const layers = JSON.parse(file.metadata.layers) as number[];
  const li = layers.indexOf(layer);
  if (li < 0) throw new Error(`${path}: layer ${layer} is not in the file (layers ${layers.join(", ")})`);
  const [, W, E] = hs.shape;
  const words = JSON.parse(file.metadata.words) as string[];
  const onsets = Float64Array.from(on.data as Float64Array, (t) => t - shift);
  if (onsets.some((t) => !Number.isFinite(t)))
    throw new Error(`${path}: words without onsets (the word file had no timings)`);
  const data = Float64Array.from((hs.data as Float32Array).subarray(li * W * E, (li + 1) * W * E));
  const events: WordEvents = {
    words,
    onsets,
    offsets: onsets.slice(),
    interpolated: new Uint8Array(W),
    timed: true,
    source: path,
  };
  return { features: { rows: W, cols: E, data }, events };
}

function tidy(analysis: string, res: ForecastSweepResult): Row[] {
  const V = res.nTargets;
  const rows: Row[] = [];
  res.distances.forEach((d, i) => {
    for (let t = 0; t < V; t++) {
      rows.push({
        analysis,
        d,
        target: t,
        score: res.scores[i * V + t],
        baseline: res.baseline[t],
        forecast: res.forecast[i * V + t],
      });
    }
  });
  return rows;
}

function describePeak(name: string, res: ForecastSweepResult): string {
  const V = res.nTargets;
  const mean = res.distances.map((_, i) => finiteMean(res.forecast.subarray(i * V, (i + 1) * V)));
  const best = argmaxFinite((i) => mean[i], mean.length);
  if (best < 0) return `${name}: no target with a finite forecast score`;
  const peaks = peakDistances(res).filter(Number.isFinite);
  const counts = new Map<number, number>();
  peaks.forEach((d) => counts.set(d, (counts.get(d) ?? 0) + 1));
  const mode = [...counts].sort((a, b) => b[1] - a[1])[0];
  return `${name}: mean F(d) over ${V} targets peaks at d = ${res.distances[best]} (${mean[best].toFixed(4)}); most common per-target d* = ${mode[0]} (${mode[1]} targets)`;
}

function usageAlphas(spec: string): Float64Array {
  try {
    return parseAlphas(spec);
  } catch (e) {
    throw new UsageError(`--alphas: ${(e as Error).message}`, FORECAST_HELP);
  }
}
