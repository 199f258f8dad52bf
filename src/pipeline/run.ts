/**
 * `brainscore run`: every scan of the configured tasks through the subject stage (skipping finished ones),
 * then the group stage. `--shard i/N` runs every N-th scan only (a Slurm array task) and leaves the group
 * stage to `brainscore merge`. A failing scan is recorded and never costs the others their results.
 */
import { readdirSync, existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { removeStaleTemporaries, writeFileAtomic } from "../io/atomic.js";
import { ensureWritableDir } from "../io/files.js";
import { NarrativesDataset, type NarrativesScan } from "../fmri/datasets/narratives.js";
import type { RunConfig } from "./config.js";
import { groupStage, type GroupOutputs } from "./group/stage.js";
import { stageClock, type StageSeconds } from "./stageClock.js";
import { weightsSha256 } from "../lm/checkpoint.js";
import { defaultCacheDir } from "../lm/hub.js";
import { checkRegions, checkScansFound, resolveRun } from "./preflight.js";
import { describeScanStatuses, readFailures, scanStatuses } from "./scanStatus.js";
import { writeTable } from "../report/table.js";
import {
  inspectSubjectResult,
  loadSubjectResult,
  saveSubjectResult,
  subjectConfigHash,
  subjectResultPath,
  type SubjectResult,
} from "./scanStore.js";
import { runSubject } from "./subject.js";
import type { StoryFeatures } from "./storyFeatures.js";

export interface RunOptions {
  shard?: { index: number; count: number };
  subjects?: string[];
  onProgress?: (done: number, total: number, stage: string) => void;
}

export interface RunReport {
  computed: string[];
  skipped: string[];
  failed: { key: string; error: string }[];
  /** Word-clock warnings (stories whose clock was inferred), once each. */
  warnings: string[];
  /** Seconds per stage of each scan computed by this run (load, features, brain scores, sweeps, write). */
  stageSeconds: { key: string; stages: StageSeconds; cpu?: StageSeconds }[];
  group?: GroupOutputs;
  /** Seconds of the group stage (tables, maps, figures), when this run did it. */
  groupSeconds?: number;
}

export function parseShard(spec: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(spec.trim());
  if (!m || Number(m[1]) < 1 || Number(m[1]) > Number(m[2]))
    throw new Error(`--shard must look like i/N with 1 ≤ i ≤ N, got "${spec}"`);
  return { index: Number(m[1]), count: Number(m[2]) };
}

export function listRunScans(
  c: RunConfig,
  subjects?: string[],
): { ds: NarrativesDataset; scans: NarrativesScan[]; excluded: NarrativesScan[] } {
  const ds = new NarrativesDataset(c.dataset, { space: c.space, pipeline: c.pipeline, wordClock: c.wordClock });
  const tasks = c.tasks ?? Object.keys(ds.eventMeta);
  const scans: NarrativesScan[] = [];
  const excluded: NarrativesScan[] = [];
  for (const t of tasks) {
    const found = ds.scans(t, subjects ?? c.subjects);
    scans.push(...found.scans);
    excluded.push(...found.excluded);
  }
  scans.sort((a, b) => a.key.localeCompare(b.key));
  return { ds, scans, excluded };
}

/** Runs (or resumes) every scan of a configuration, then the group stage: tables, maps and figures. */
export async function runPipeline(config: RunConfig, options: RunOptions = {}): Promise<RunReport> {
  // Everything that can be checked before computing is checked first (preflight.ts).
  const root = join(config.outDir, config.name);
  ensureWritableDir(root, "output folder (outDir/name)");
  // Temporaries of a run killed mid-write (SIGKILL, a node failure): the writes they belonged to never landed.
  const stale = [...removeStaleTemporaries(root), ...removeStaleTemporaries(config.cacheDir ?? defaultCacheDir())];
  const { ds, scans, excluded } = listRunScans(config, options.subjects);
  checkScansFound(config, ds, scans, excluded, options.subjects ?? config.subjects);
  const { config: c, model, hash } = await runIdentity(config);
  checkRegions(c);
  const mine = options.shard ? scans.filter((_, i) => i % options.shard!.count === options.shard!.index - 1) : scans;
  writeFileAtomic(join(root, "run.json"), [
    new TextEncoder().encode(
      JSON.stringify({ config: c, configHash: hash, excludedScans: excluded.map((s) => s.key) }, null, 2),
    ),
  ]);
  const report: RunReport = { computed: [], skipped: [], failed: [], warnings: [], stageSeconds: [] };
  if (stale.length > 0)
    report.warnings.push(`removed ${stale.length} temporary file(s) left by an interrupted run (e.g. ${stale[0]})`);
  const featureCache = new Map<string, StoryFeatures>();
  for (const [i, scan] of mine.entries()) {
    const path = subjectResultPath(c, scan);
    if (loadSubjectResult(path, hash)) {
      report.skipped.push(scan.key);
    } else {
      try {
        const result = await runSubject(c, ds, scan, model, featureCache);
        for (const w of result.words.warnings) if (!report.warnings.includes(w)) report.warnings.push(w);
        const clock = stageClock();
        saveSubjectResult(path, result, hash);
        clock.lap("write");
        report.stageSeconds.push({
          key: scan.key,
          stages: { ...result.stageSeconds, ...clock.seconds },
          cpu: { ...result.stageCpuSeconds, ...clock.cpuSeconds },
        });
        report.computed.push(scan.key);
      } catch (e) {
        report.failed.push({ key: scan.key, error: (e as Error).message });
      }
    }
    options.onProgress?.(i + 1, mine.length, "subjects");
  }
  // This run's failures replace its earlier ones: a scan that now succeeded leaves no stale entry.
  const failuresFile = join(
    root,
    `failures${options.shard ? `-${options.shard.index}of${options.shard.count}` : ""}.json`,
  );
  if (report.failed.length > 0)
    writeFileAtomic(failuresFile, [new TextEncoder().encode(JSON.stringify(report.failed, null, 2))]);
  else rmSync(failuresFile, { force: true });
  if (!options.shard) {
    try {
      const merged = performance.now();
      report.group = await mergeResults(c, { subjects: options.subjects });
      report.groupSeconds = (performance.now() - merged) / 1000;
    } catch (e) {
      if (report.failed.length === 0) throw e;
      // Nothing to combine because scans failed: say why each failed, not "run brainscore run first".
      throw new Error(
        `${report.failed.length} scan(s) failed and no result remains to combine (reasons also in ${join(root, "failures.json")}):\n${report.failed.map((f) => `  ${f.key}: ${f.error}`).join("\n")}`,
      );
    }
  }
  return report;
}

/**
 * The configuration with its layers resolved against the model, the checkpoint folder, and the hash that
 * stored results must carry (configuration + weights' sha256).
 */
export async function runIdentity(c: RunConfig): Promise<{ config: RunConfig; model: string; hash: string }> {
  const { config, model } = await resolveRun(c);
  const weights = await weightsSha256(model, c.cacheDir);
  return { config, model, hash: subjectConfigHash(config, weights) };
}

/**
 * Combines every stored subject result of this configuration (all shards) into the group outputs. Results
 * it cannot use (another configuration or other weights, unreadable) are listed with the reason in the
 * summary and in left_out.json, never silently skipped.
 */
export async function mergeResults(config: RunConfig, options: { subjects?: string[] } = {}): Promise<GroupOutputs> {
  const { results, leftOut, dir, config: c } = await collectResults(config);
  // What the configuration expects (dataset, subjects, tasks, exclusions), against what is stored.
  const expected = listRunScans(config, options.subjects).scans.map((s) => s.key);
  const scans = scanStatuses(
    expected,
    results.map((r) => r.key),
    leftOut,
    readFailures(join(c.outDir, c.name)),
  );
  const leftOutPath = join(c.outDir, c.name, "left_out.json");
  if (leftOut.length > 0 || existsSync(leftOutPath))
    writeFileAtomic(leftOutPath, [new TextEncoder().encode(JSON.stringify(leftOut, null, 2))]);
  const notes = leftOut.map((l) => `left out: ${l.file}: ${l.reason}`);
  if (results.length === 0) {
    throw new Error(
      `${dir}: no subject results for this configuration${leftOut.length ? `; ${leftOut.length} left out:\n${notes.join("\n")}` : ' (run "brainscore run" first)'}`,
    );
  }
  const out = await groupStage(c, results);
  out.files.push(
    ...writeTable(
      join(c.outDir, c.name, "tables", "scans"),
      scans.map((s) => ({ ...s })),
      ["key", "status", "reason"],
    ),
  );
  return { ...out, summary: [...describeScanStatuses(scans), ...notes, ...out.summary], scans };
}

/** Every stored subject result of this configuration, and the stored files it cannot use with the reason. */
export async function collectResults(
  config: RunConfig,
): Promise<{ results: SubjectResult[]; leftOut: { file: string; reason: string }[]; dir: string; config: RunConfig }> {
  const { hash, config: c } = await runIdentity(config);
  const dir = join(c.outDir, c.name, "subjects");
  const results: SubjectResult[] = [];
  const leftOut: { file: string; reason: string }[] = [];
  if (existsSync(dir)) {
    for (const task of readdirSync(dir).sort()) {
      for (const f of readdirSync(join(dir, task)).sort()) {
        if (!f.endsWith(".safetensors")) continue;
        const r = inspectSubjectResult(join(dir, task, f), hash);
        if ("result" in r) results.push(r.result);
        else leftOut.push({ file: join(dir, task, f), reason: r.reason });
      }
    }
  }
  return { results, leftOut, dir, config: c };
}
