/** `brainscore run`, `brainscore merge` and `brainscore simulate`. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ConfigError } from "../config/validate.js";
import { readRunConfig } from "../pipeline/config.js";
import { isLebelRunConfig, parseLebelRunConfig, runLebel, type LebelRunConfig } from "../pipeline/lebelRun.js";
import { mergeResults, parseShard, runPipeline } from "../pipeline/run.js";
import { runScalingSweep } from "../pipeline/scaling.js";
import { describeStages } from "../pipeline/stageClock.js";
import { parseSimulationConfig, simulateDataset } from "../simulate/simulate.js";
import { progressBar } from "./progress.js";
import { UsageError } from "./usage.js";
import { PAPER } from "../config/paper.js";

export const RUN_HELP = `Usage: brainscore run --config run.json [--subjects sub-001,sub-002] [--shard i/N] [--name NAME] [--allow-failures] [--quiet]

Dataset → GPT-2 features → brain scores per layer (vertices and regions) → forecast sweeps, controls and
the syntactic/semantic decomposition (regions) → statistics → tables, maps and figures under
<outDir>/<name>/. Finished scans are skipped on rerun. With --shard i/N only every N-th scan runs (one
Slurm array task); combine the shards with "brainscore merge --config run.json".

Exit code: 0 when every scan has a result; 1 when any scan failed (after finishing the others, each failure
named, also in failures*.json), so a scheduler's afterok holds the merge back; with --allow-failures, 0
unless every scan failed. 2: a usage error.

Checked before anything is computed: the output folder is writable; subjects, tasks and space exist in the
dataset; the model has the configured layers; the regions read and fit the space.

Main keys (all in the README): dataset, space (fsaverage6), tasks, subjects, model (gpt2; a folder, hub id
or tiny), layers (0, 4, 8, 12 on 12 layers; the same relative depths otherwise), context (1024), ridge
{alphaSelection loo|gcv|kfold, folds ${PAPER.folds}, firDelays 0-5, design fir|glover|spm, alphas}, regions {annot, maxVertices},
forecast (false to skip) {layer (${PAPER.gpt2.forecastLayer} of ${PAPER.gpt2.nLayer}), distances (${PAPER.distanceRange[0]}..${PAPER.distanceRange[1]}), windowLength ${PAPER.windowLength}, components ${PAPER.components},
decompose, k ${PAPER.alternatives}, controls [random, shuffled, generated], depthLayers, dTest ${PAPER.dTest}, dRef 0, vertexLevel, ridge
single|banded}, noiseCeiling, statistics {alpha 0.01, bootstrap 2000}, outDir, cacheDir.

The Huth lab's dataset (LeBel et al. 2023, ds003020): "dataset": {"kind": "lebel", "root": "ds003020"},
subjects (UTS01 …), sessions (1-5: the released train/test split), model, layers or depths, models (the
scaling analysis), context, contextMode, ridge {alphas, nBoots 50, chunkLength 40, nChunks 125, seed,
singleAlpha, useCorr}, permutation {blockLength 10, permutations 1000, seed}, forecast {layer, distances,
windowLength, components, alphaSelection loo|gcv|bootstrap, alphas}, outDir, cacheDir. With --shard i/N
every N-th subject of the list is computed and stored; "brainscore merge" writes the tables.`;

export const MERGE_HELP = `Usage: brainscore merge --config run.json [--allow-missing]

Combines the per-scan results of every shard into the group tables, maps and figures. The scans the
configuration expects (dataset, subjects, tasks, exclusions) are checked against the stored results and
the shards' failures*.json; tables/scans lists each one (combined, failed, left out, missing).
Exit code: 0 when every expected scan was combined; 1 when any is failed, left out or missing (the tables
are still written from the others), unless --allow-missing. On a LeBel (ds003020) configuration: the
configuration's subjects (and their forecast results), each read from what the shards stored, the missing
ones named.`;

export const SIMULATE_HELP = `Usage: brainscore simulate --config sim.json --out <bids-root> [--cache-dir DIR] [--quiet]

Writes a Narratives-layout dataset from real story timings with BOLD generated from planted encoding
models (per region: layer, SNR, forecast distance, component), HRF-convolved, plus noise; the planted truth
goes to derivatives/simulation/truth.json. The configuration schema is in the README.`;

function config(values: { config?: string; name?: string }, help: string) {
  if (!values.config) throw new UsageError("needs --config", help);
  try {
    const c = readRunConfig(values.config);
    if (values.name) c.name = values.name;
    return c;
  } catch (e) {
    if (e instanceof ConfigError) throw new Error(e.message);
    throw e;
  }
}

export async function runCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      config: { type: "string" },
      subjects: { type: "string" },
      shard: { type: "string" },
      name: { type: "string" },
      "allow-failures": { type: "boolean" },
      quiet: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return void console.log(RUN_HELP);
  if (values.config && existsSync(values.config) && isLebelRunConfig(readJsonOrNull(values.config)))
    return runLebelCommand(values);
  const c = config(values, RUN_HELP);
  let shard;
  try {
    shard = values.shard ? parseShard(values.shard) : undefined;
  } catch (e) {
    throw new UsageError((e as Error).message, RUN_HELP);
  }
  const bar = progressBar(`run ${c.name}`, process.stderr, values.quiet);
  if (c.models) {
    if (shard)
      throw new UsageError(
        'a scaling sweep ("models") cannot be sharded yet: run each model\'s configuration as its own sharded run',
        RUN_HELP,
      );
    const sweep = await runScalingSweep(c, {
      subjects: values.subjects?.split(",").map((s) => s.trim()),
      onProgress: (d, t, s) => bar.update(d, t, s),
    });
    bar.finish();
    const lines: string[] = [];
    for (const r of sweep.runs) {
      lines.push(
        `${r.model}: ${r.report.computed.length} scan(s) computed, ${r.report.skipped.length} already done, ${r.report.failed.length} failed`,
      );
      for (const f of r.report.failed) lines.push(`  failed: ${f.key}: ${f.error}`);
    }
    lines.push(
      ...sweep.summary,
      `outputs: ${c.outDir}/${c.name}/ (tables/scaling, figures/scaling_*.png; each model under its own folder)`,
    );
    console.log(lines.join("\n"));
    return;
  }
  const report = await runPipeline(c, {
    shard,
    subjects: values.subjects?.split(",").map((s) => s.trim()),
    onProgress: (d, t, s) => bar.update(d, t, s),
  });
  bar.finish();
  const lines = [
    `${report.computed.length} scan(s) computed, ${report.skipped.length} already done, ${report.failed.length} failed`,
  ];
  for (const w of report.warnings) lines.push(`warning: ${w}`);
  for (const f of report.failed) lines.push(`failed: ${f.key}: ${f.error}`);
  for (const t of report.stageSeconds) lines.push(`time ${t.key}: ${describeStages(t.stages, t.cpu)}`);
  if (report.groupSeconds !== undefined) lines.push(`time group stage: ${report.groupSeconds.toFixed(1)} s`);
  if (report.group) lines.push(...report.group.summary, `outputs: ${c.outDir}/${c.name}/ (tables, maps, figures)`);
  else lines.push(`shard ${values.shard} done; run "brainscore merge --config ${values.config}" after every shard`);
  console.log(lines.join("\n"));
  const total = report.failed.length + report.computed.length + report.skipped.length;
  if (report.failed.length > 0 && (report.failed.length === total || !values["allow-failures"])) {
    throw new Error(
      `${report.failed.length === total ? "every scan failed" : `${report.failed.length} of ${total} scan(s) failed`} (named above; exit code 1${report.failed.length === total ? "" : ", or 0 with --allow-failures"})`,
    );
  }
}

export async function mergeCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      config: { type: "string" },
      name: { type: "string" },
      "allow-missing": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return void console.log(MERGE_HELP);
  if (values.config && existsSync(values.config) && isLebelRunConfig(readJsonOrNull(values.config))) {
    return runLebelCommand({
      config: values.config,
      name: values.name,
      quiet: true,
      merge: true,
      "allow-missing": values["allow-missing"],
    });
  }
  const c = config(values, MERGE_HELP);
  const out = await mergeResults(c);
  console.log([...out.summary, `outputs: ${c.outDir}/${c.name}/ (${out.files.length} files)`].join("\n"));
  const incomplete = (out.scans ?? []).filter((s) => s.status !== "combined");
  if (incomplete.length > 0 && !values["allow-missing"]) {
    throw new Error(
      `${incomplete.length} of ${out.scans!.length} expected scan(s) not combined: ${incomplete.map((s) => `${s.key} (${s.status})`).join(", ")}; the tables hold the others (exit code 1, or 0 with --allow-missing)`,
    );
  }
}

export async function simulateCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      config: { type: "string" },
      out: { type: "string" },
      "cache-dir": { type: "string" },
      quiet: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return void console.log(SIMULATE_HELP);
  if (!values.config || !values.out) throw new UsageError("simulate needs --config and --out", SIMULATE_HELP);
  let cfg;
  try {
    cfg = parseSimulationConfig(JSON.parse(readFileSync(values.config, "utf8")), values.config);
  } catch (e) {
    throw new Error(
      e instanceof SyntaxError ? `${values.config}: not valid JSON (${e.message})` : (e as Error).message,
    );
  }
  const bar = progressBar("simulate", process.stderr, values.quiet);
  const truth = await simulateDataset(cfg, values.out, {
    cacheDir: values["cache-dir"],
    onProgress: (d, t) => bar.update(d, t),
  });
  bar.finish();
  console.log(
    `wrote ${Object.values(truth.subjects).flat().length} scans (${cfg.stories.join(", ")}, ${truth.surface}) to ${values.out}; planted truth in ${values.out}/derivatives/simulation/truth.json`,
  );
}

function readJsonOrNull(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return null; // the Narratives parser names the problem
  }
}

interface LebelCommandValues {
  config?: string;
  subjects?: string;
  shard?: string;
  name?: string;
  quiet?: boolean;
  "allow-failures"?: boolean;
  /** `brainscore merge`: compute nothing, combine the shards' results. */
  merge?: boolean;
  "allow-missing"?: boolean;
}

/**
 * `brainscore run` (or `merge`) on a ds003020 (LeBel) configuration: subjects in turn, then the table and
 * figure; one shard's subjects with --shard; with merge, the tables from what the shards stored.
 */
async function runLebelCommand(values: LebelCommandValues): Promise<void> {
  let shard;
  try {
    shard = values.shard ? parseShard(values.shard) : undefined;
  } catch (e) {
    throw new UsageError((e as Error).message, RUN_HELP);
  }
  let c: LebelRunConfig;
  try {
    c = parseLebelRunConfig(JSON.parse(readFileSync(values.config!, "utf8")), values.config!);
  } catch (e) {
    throw e instanceof ConfigError ? new Error(e.message) : e;
  }
  if (values.name) c.name = values.name;
  if (values.subjects) c.subjects = values.subjects.split(",").map((s) => s.trim());
  const bar = progressBar(`run ${c.name}`, process.stderr, values.quiet);
  if (c.models && shard)
    throw new UsageError(
      'a LeBel scaling sweep ("models") cannot be sharded: run each model as its own sharded configuration',
      RUN_HELP,
    );
  const report = await runLebel(c, { shard, merge: values.merge, onProgress: (d, t, s) => bar.update(d, t, s) });
  bar.finish();
  // Forecast results are named "<subject> forecast": counted on a line of their own.
  const count = (keys: string[], forecast: boolean) => keys.filter((k) => k.endsWith(" forecast") === forecast).length;
  const tally = (forecast: boolean) =>
    values.merge
      ? `${count(report.skipped, forecast)} combined, ${count(report.missing, forecast)} missing`
      : `${count(report.computed, forecast)} computed, ${count(report.skipped, forecast)} already done, ${count(
          report.failed.map((f) => f.key),
          forecast,
        )} failed`;
  const lines = c.models
    ? []
    : [
        values.merge
          ? `merge: ${tally(false).replace(" combined", " subject(s) combined")}`
          : `${tally(false).replace(" computed", " subject(s) computed")}`,
      ];
  if (c.forecast) lines.push(`forecast: ${tally(true)}`);
  for (const f of report.failed) lines.push(`failed: ${f.key}: ${f.error}`);
  lines.push(...report.summary, `outputs: ${join(c.outDir, c.name)}/ (${report.files.length} files)`);
  if (shard)
    lines.push(`shard ${values.shard} done; run "brainscore merge --config ${values.config}" after every shard`);
  console.log(lines.join("\n"));
  if (values.merge && report.missing.length > 0 && !values["allow-missing"]) {
    throw new Error(
      `${report.missing.length} expected result(s) missing: ${report.missing.join(", ")}; the tables hold the others (exit code 1, or 0 with --allow-missing)`,
    );
  }
  const total = report.failed.length + report.computed.length + report.skipped.length;
  if (report.failed.length > 0 && (report.failed.length === total || !values["allow-failures"])) {
    throw new Error(
      `${report.failed.length} of ${total} result(s) failed (named above; exit code 1${report.failed.length === total ? "" : ", or 0 with --allow-failures"})`,
    );
  }
}
