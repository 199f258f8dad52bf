/**
 * `brainscore fit`: the ridge engine on plain arrays, for users coming from numpy.
 *   brainscore fit --x X.npy --y Y.npy [--alphas ...] [--folds 5 | --groups g.npy] [--alpha-selection loo|kfold|gcv]
 *                  [--dtype float32|float64] [--save-predictions] [--save-model model.safetensors] --out
 * result.safetensors
 */
import { basename, dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { BACKEND_NAMES, type BackendName } from "../backend/index.js";
import { brainScore, type BrainScoreOptions, type BrainScoreResult } from "../ridge/crossValidate.js";
import { brainScoreInBlocks, brainScoreMemory } from "../ridge/targetBlocks.js";
import { locateMatrix, readColumns, type MatrixLocation } from "../io/arrayBlocks.js";
import { designVaries } from "../ridge/checks.js";
import { parseAlphas } from "../ridge/alphas.js";
import { RidgeCV } from "../ridge/estimator.js";
import { ALPHA_SELECTIONS, type AlphaSelection } from "../ridge/alphaSelection.js";
import { loadMatrix } from "../io/arrays.js";
import { removeStaleTemporaries } from "../io/atomic.js";
import { ensureWritableDir } from "../io/files.js";
import { writeSafetensors, type TensorInput } from "../io/safetensors.js";
import type { DType } from "../linalg/dense.js";
import { progressBar } from "./progress.js";
import { byteSizeOption, memoryBudget, numberOption } from "./args.js";
import { UsageError } from "./usage.js";

export const FIT_HELP = `Usage: brainscore fit --x X.npy --y Y.npy --out result.safetensors [options]

Cross-validated ridge regression with one penalty per target; prints the mean brain score.

Inputs (.npy in C order, float32/float64, or file.safetensors:tensor_name):
  --x FILE                 design matrix, samples × features
  --y FILE                 targets, samples × targets (vertices, voxels, regions)
Options:
  --alphas LIST            "0.1,1,10" or "logspace:-1:8:10" (default: logspace:-1:8:10)
  --folds K                contiguous outer folds, no shuffling (default 5)
  --groups FILE            one outer fold per group label (runs, stories), samples long
  --alpha-selection MODE   loo (efficient leave-one-out, scikit-learn) | kfold (himalaya) | gcv (default loo)
  --inner-folds K          inner folds of --alpha-selection kfold (default 5)
  --dtype float32|float64  precision of the heavy products (default float32)
  --backend NAME           onnxruntime | js (default onnxruntime)
  --chunk N                targets per chunk (default: sized to keep ~10 MiB (loo, gcv) or 32 MiB (kfold) intermediates)
  --max-memory SIZE        memory the fit may use, e.g. 8G (default: 90% of what is available now, within a
                           cgroup/Slurm limit); a Y larger than fits is fitted in blocks of targets read from disk
  --mask-invalid-targets   score targets containing NaN/Inf as NaN instead of failing
  --save-predictions       also write held-out predictions [n, V] in Y's units
  --save-model FILE        also refit on all samples (same alpha selection) and write the model
                           (coef [p,V] in X's and Y's units, intercept, best_alphas) for "brainscore predict"
  --quiet                  no progress bar
Output (safetensors): r [V], r_folds [K,V], r2 [V], r2_folds [K,V], alphas [K,V], alpha_grid [A],
  fold_id [n], target_status [V] (0 ok, 1 NaN/Inf, 2 constant), predictions [n,V] if asked.`;

export async function fitCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      x: { type: "string" },
      y: { type: "string" },
      out: { type: "string" },
      alphas: { type: "string" },
      folds: { type: "string" },
      groups: { type: "string" },
      "alpha-selection": { type: "string" },
      "inner-folds": { type: "string" },
      dtype: { type: "string" },
      backend: { type: "string" },
      chunk: { type: "string" },
      "max-memory": { type: "string" },
      "mask-invalid-targets": { type: "boolean" },
      "save-predictions": { type: "boolean" },
      "save-model": { type: "string" },
      quiet: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(FIT_HELP);
    return;
  }
  if (!values.x || !values.y || !values.out) throw new UsageError("fit needs --x, --y and --out", FIT_HELP);
  const mode = (values["alpha-selection"] ?? "loo") as AlphaSelection;
  if (!ALPHA_SELECTIONS.includes(mode))
    throw new UsageError(`--alpha-selection must be one of ${ALPHA_SELECTIONS.join(", ")}`, FIT_HELP);
  const dtype = (values.dtype ?? "float32") as DType;
  if (dtype !== "float32" && dtype !== "float64") throw new UsageError(`--dtype must be float32 or float64`, FIT_HELP);
  const backend = (values.backend ?? "onnxruntime") as BackendName;
  if (!BACKEND_NAMES.includes(backend))
    throw new UsageError(`--backend must be one of ${BACKEND_NAMES.join(", ")}`, FIT_HELP);
  const positive = { integer: true, min: 1 };
  const folds = numberOption(values.folds, "--folds", FIT_HELP, 5, positive);
  const innerFolds = numberOption(values["inner-folds"], "--inner-folds", FIT_HELP, 5, positive);
  const chunk = numberOption(values.chunk, "--chunk", FIT_HELP, undefined, positive);
  if (!values.out.endsWith(".safetensors"))
    throw new UsageError(`--out must be a .safetensors file, got ${values.out}`, FIT_HELP);
  const modelPath = values["save-model"];
  if (modelPath !== undefined && !modelPath.endsWith(".safetensors"))
    throw new UsageError(`--save-model must be a .safetensors file, got ${modelPath}`, FIT_HELP);

  // Output folders checked before the inputs are read and the ridge runs: a typo costs seconds, not the fit.
  for (const [option, file] of [
    ["--out", values.out],
    ["--save-model", modelPath],
  ] as const) {
    if (file !== undefined) ensureWritableDir(dirname(resolve(file)), `folder of ${option}`, { create: false });
  }
  for (const file of [values.out, modelPath])
    if (file !== undefined) removeStaleTemporaries(dirname(resolve(file)), { recursive: false, of: basename(file) });
  const alphas = values.alphas !== undefined ? parseAlphas(values.alphas) : undefined;
  const savePredictions = values["save-predictions"] ?? false;
  const plan = memoryPlan(
    values.x,
    values.y,
    { folds, alphas: alphas?.length ?? 10, dtype, savePredictions, saveModel: modelPath !== undefined },
    byteSizeOption(values["max-memory"], "--max-memory", FIT_HELP),
  );
  const x = loadMatrix(values.x);
  if (!designVaries(x))
    throw new Error(
      `${values.x}: every one of its ${x.cols} column(s) is constant over the ${x.rows} rows: the design carries no signal to fit`,
    );
  const groups = values.groups ? loadMatrix(values.groups).data : undefined;
  const bar = progressBar("ridge", process.stderr, values.quiet);
  const options: BrainScoreOptions = {
    alphas,
    folds,
    groups,
    alphaSelection: mode,
    innerFolds,
    dtype,
    backend,
    targetChunkSize: chunk,
    savePredictions,
    invalidTargets: values["mask-invalid-targets"] ? "mask" : "error",
    source: { x: values.x, y: values.y, groups: values.groups },
    onProgress: (p) => bar.update(p.done, p.total, p.stage),
  };
  if (plan.block !== undefined) console.error(plan.note);
  const y = plan.block === undefined ? loadMatrix(values.y) : undefined;
  const result = y
    ? await brainScore(x, y, options)
    : await brainScoreInBlocks(
        x,
        plan.location.cols,
        plan.block!,
        (c0, c1) => readColumns(plan.location, c0, c1),
        options,
      );
  bar.finish();
  writeSafetensors(values.out, resultTensors(result), {
    format: "brainscore.ridge/1",
    x: values.x,
    y: values.y,
    settings: JSON.stringify({ ...result.settings, folds: result.nFolds, groups: values.groups ?? null }),
  });
  console.log(summary(result, values.out));
  if (modelPath !== undefined) {
    const model = await new RidgeCV({
      alphas: result.alphaGrid,
      alphaSelection: mode,
      cv: mode === "kfold" ? innerFolds : undefined,
      dtype,
      backend,
      targetChunkSize: chunk,
      invalidTargets: values["mask-invalid-targets"] ? "mask" : "error",
      source: { x: values.x, y: values.y },
    }).fit(x, y!);
    model.save(modelPath, { x: values.x, y: values.y });
    console.log(`model refitted on all ${x.rows} samples (${mode}); wrote ${modelPath}`);
  }
}

export function resultTensors(res: BrainScoreResult): Record<string, TensorInput> {
  const V = res.nTargets;
  const K = res.nFolds;
  const status = new Uint8Array(V);
  for (const t of res.invalidTargets.nonFinite) status[t] = 1;
  for (const t of res.invalidTargets.constant) status[t] = 2;
  const tensors: Record<string, TensorInput> = {
    r: { shape: [V], data: res.r },
    r_folds: { shape: [K, V], data: res.rFolds },
    r2: { shape: [V], data: res.r2 },
    r2_folds: { shape: [K, V], data: res.r2Folds },
    alphas: { shape: [K, V], data: res.alphas },
    alpha_grid: { shape: [res.alphaGrid.length], data: res.alphaGrid },
    fold_id: { shape: [res.foldId.length], data: BigInt64Array.from(res.foldId, (v) => BigInt(v)) },
    target_status: { shape: [V], data: status },
  };
  if (res.predictions)
    tensors.predictions = { shape: [res.predictions.rows, res.predictions.cols], data: res.predictions.data };
  return tensors;
}

function summary(res: BrainScoreResult, out: string): string {
  let sum = 0;
  let count = 0;
  let best = -Infinity;
  let bestAt = -1;
  res.r.forEach((v, t) => {
    if (Number.isFinite(v)) {
      sum += v;
      count++;
      if (v > best) [best, bestAt] = [v, t];
    }
  });
  const bad = res.invalidTargets.nonFinite.length + res.invalidTargets.constant.length;
  const lines = [
    count > 0
      ? `brain score (Pearson r, mean over ${res.nFolds} folds): mean ${(sum / count).toFixed(4)} over ${count} targets; max ${best.toFixed(4)} (target ${bestAt})`
      : `brain score: no target has a finite score (all ${res.r.length} NaN: see the warnings below and target_status)`,
    `alpha selection ${res.settings.alphaSelection}, ${res.settings.dtype}, ${res.settings.backend}; design solved in ${[...new Set(res.settings.forms)].join("/")} form`,
  ];
  if (bad > 0) {
    lines.push(
      `warning: ${bad} target(s) scored NaN: ${res.invalidTargets.nonFinite.length} with NaN/Inf values, ${res.invalidTargets.constant.length} constant (see target_status)`,
    );
  }
  if (res.constantFeatures.length > 0) {
    const shown = res.constantFeatures.slice(0, 20).join(", ");
    lines.push(
      `note: ${res.constantFeatures.length} constant column(s) of X carry no information: ${shown}${res.constantFeatures.length > 20 ? ", …" : ""}`,
    );
  }
  lines.push(`wrote ${out}`);
  return lines.join("\n");
}

const gb = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GB`;

/**
 * Whether Y fits in memory beside the fit, from the files' headers alone (nothing read yet): `block`
 * undefined when it does, else the targets per block. Errors name the files and --max-memory where even one
 * block cannot fit, or where --save-model needs all of Y at once.
 */
function memoryPlan(
  xSpec: string,
  ySpec: string,
  fit: { folds: number; alphas: number; dtype: DType; savePredictions: boolean; saveModel: boolean },
  maxMemory: number | undefined,
): { location: MatrixLocation; block?: number; note?: string } {
  const xLoc = locateMatrix(xSpec);
  const yLoc = locateMatrix(ySpec);
  const V = yLoc.cols;
  const need = brainScoreMemory({ n: xLoc.rows, p: xLoc.cols, V, xWidth: xLoc.width, yWidth: yLoc.width, ...fit });
  const budget = memoryBudget(maxMemory);
  const whole = need.fixed + need.perTarget * V;
  if (whole <= budget.bytes) return { location: yLoc };
  const block = Math.floor((budget.bytes - need.fixed) / need.perTarget);
  const yBytes = yLoc.rows * V * yLoc.width;
  if (block < Math.min(V, 64)) {
    throw new Error(
      `fit: ${xSpec} (${xLoc.rows} × ${xLoc.cols}) and the fit's decompositions need about ${gb(need.fixed)} before any target, and ${ySpec} is ${gb(yBytes)}; ${gb(budget.bytes)} may be used (${budget.source}): free memory, use a machine with more, or raise --max-memory if that limit is wrong`,
    );
  }
  if (fit.saveModel) {
    throw new Error(
      `fit: --save-model refits on all of ${ySpec} (${gb(yBytes)}) at once, and the fit needs about ${gb(whole)} with it, more than the ${gb(budget.bytes)} that may be used (${budget.source}); without --save-model the scores are fitted in blocks of targets, or raise --max-memory`,
    );
  }
  return {
    location: yLoc,
    block,
    note: `${ySpec} is ${gb(yBytes)}: the fit needs about ${gb(whole)} with it, more than the ${gb(budget.bytes)} that may be used (${budget.source}); fitting it in blocks of ${block} targets read from disk`,
  };
}
