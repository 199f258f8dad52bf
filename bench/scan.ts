/**
 * Real-scale scans through `brainscore run` with the defaults a user gets: `npm run bench -- scan`.
 * Two scans of pieman (957 words, 281 TRs) simulated on fsaverage6 (81,924 vertices): the first computes
 * the story's features, the second reads them from the run's cache, as every further scan of a story does.
 * A GPT-2-small-shaped checkpoint (12 × 768, random weights), all 13 layers, the forecast sweep
 * d = −10 … 30 with the syntax/semantics decomposition, its controls and vertex-level maps. The checkpoint
 * and dataset are written once to the temporary folder; a child process then runs the scans and reports its
 * wall time, CPU use (both cores = 200%), peak RSS, each scan's seconds and stages, and the ridge fits' flop
 * bound of one scan:
 * exact LOO costs (alphas + 2)·2·n²·C per fold in the kernel form (n training TRs, C targets), timed at
 * the machine's float32 GEMM rate measured in the same child (2-thread onnxruntime MatMul).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gpt2Shape, writeCheckpoint } from "./checkpoints.js";

const WORK = join(tmpdir(), "brainscore-bench-scan");
const MODEL = join(WORK, "gpt2-small-shape");
const DATASET = join(WORK, "dataset");

export async function benchScan(): Promise<object[]> {
  const self = fileURLToPath(import.meta.url);
  for (const step of ["--checkpoint", "--simulate"]) {
    const c = spawnSync(process.execPath, [...process.execArgv, self, step], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    if (c.status !== 0) throw new Error(`scan: ${step} failed`);
  }
  const child = spawnSync(process.execPath, [...process.execArgv, self, "--scan"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 1 << 24,
  });
  if (child.status !== 0) throw new Error(`scan: the run failed (exit ${child.status})`);
  return [JSON.parse(child.stdout.trim().split("\n").pop()!)];
}

function ensureCheckpoint(): void {
  if (existsSync(join(MODEL, "model.safetensors"))) return;
  writeCheckpoint(MODEL, gpt2Shape(12, 768, 12));
}

async function ensureDataset(): Promise<void> {
  const done = join(DATASET, "derivatives", "simulation", "truth.json");
  if (existsSync(done)) return;
  const { parseSimulationConfig, simulateDataset } = await import("../src/simulate/simulate.js");
  rmSync(DATASET, { recursive: true, force: true });
  const regions = [
    { label: "superiortemporal", hemi: "both", layer: 8, snr: 1 },
    { label: "parsopercularis", hemi: "both", layer: 8, snr: 1, d: 8 },
    { label: "supramarginal", hemi: "L", layer: 6, snr: 1, d: 3, component: "syntax" },
  ];
  const sim = parseSimulationConfig(
    { seed: 3, stories: ["pieman"], subjects: 2, surface: "fsaverage6", model: MODEL, regions },
    "bench-scan-simulation",
  );
  await simulateDataset(sim, DATASET, { cacheDir: join(WORK, "cache") });
}

/** The scan, timed in this process (its RSS and CPU are the run's own). */
async function scanChild(): Promise<void> {
  const { parseRunConfig } = await import("../src/pipeline/config.js");
  const { runPipeline } = await import("../src/pipeline/run.js");
  const { loadSubjectResult } = await import("../src/pipeline/scanStore.js");
  const { contiguousFolds } = await import("../src/ridge/folds.js");
  const { DEFAULT_ALPHAS } = await import("../src/ridge/alphas.js");
  const outDir = join(WORK, "out");
  const cacheDir = join(WORK, "cache-run");
  // A first scan: its story's features are computed, not read from an earlier run's cache.
  for (const dir of [outDir, cacheDir]) rmSync(dir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const gemm = await gemmRate();
  // Two scans of one story: the first computes the story's features, the second reuses them (as every
  // further scan of a story does), so the output shows a first scan and a typical one.
  const c = parseRunConfig(
    {
      name: "scan",
      dataset: DATASET,
      space: "fsaverage6",
      tasks: ["pieman"],
      subjects: ["sub-001", "sub-002"],
      model: MODEL,
      layers: { from: 0, to: 12 },
      outDir,
      cacheDir,
    },
    "bench-scan",
  );
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const report = await runPipeline(c);
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  if (report.failed.length > 0) throw new Error(report.failed.map((f) => `${f.key}: ${f.error}`).join("\n"));
  const [first, second] = report.stageSeconds.map((s) => s.stages);
  const stages = first;
  const r = loadSubjectResult(join(outDir, "scan", "subjects", "pieman", `${report.computed[0]}.safetensors`))!;
  // The ridge fits of the scan and their targets: vertices + regions, or regions only.
  const T = r.regionBold.rows;
  const V = r.vertexScores.length / r.layers.length;
  const R = r.regions.length;
  const f = c.forecast!;
  const analyses = 1 + (f.decompose ? 2 : 0);
  const fits = [
    { what: "layers", count: c.layers.length, targets: V + R },
    { what: "forecast (vertices)", count: 1 + analyses * f.distances.length, targets: f.vertexLevel ? V + R : R },
    // Each depth layer's sweep fits its own baseline beside F(dTest).
    {
      what: "controls and depth (regions)",
      count: f.controls.length * f.distances.length + 2 * f.depthLayers.length,
      targets: R,
    },
  ];
  const A = DEFAULT_ALPHAS.length;
  const perFit = (C: number) =>
    contiguousFolds(T, c.ridge.folds).reduce((s, fold) => s + (A + 2) * 2 * fold.train.length ** 2 * C, 0);
  const gflop = fits.reduce((s, x) => s + x.count * perFit(x.targets), 0) / 1e9;
  const boundSeconds = gflop / gemm;
  const round = (x: number) => +x.toFixed(1);
  console.log(
    JSON.stringify({
      benchmark: "scan",
      scan: report.computed[0],
      vertices: V,
      regions: R,
      trs: T,
      words: r.words.total,
      layers: c.layers.length,
      alphaSelection: c.ridge.alphaSelection,
      seconds: round(wall),
      // Each scan's own time (the sum of its stages) and the second scan's stages (features from the cache).
      scanSeconds: report.stageSeconds.map((x) =>
        round(Object.values(x.stages).reduce((a, b) => a + (b as number), 0)),
      ),
      secondScanStages: second
        ? Object.fromEntries(Object.entries(second).map(([k, v]) => [k, round(v as number)]))
        : undefined,
      cpuPercent: Math.round(((cpu.user + cpu.system) / 1e6 / wall) * 100),
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      stages: Object.fromEntries(
        [...Object.entries(stages), ["group", report.groupSeconds ?? 0]].map(([k, v]) => [k, round(v as number)]),
      ),
      // CPU per stage of each scan (all threads; 200% = both cores busy): which stage leaves a core idle.
      stageCpuPercent: report.stageSeconds.map((x) =>
        Object.fromEntries(
          Object.entries(x.stages).map(([k, v]) => [k, Math.round((100 * (x.cpu?.[k] ?? NaN)) / (v as number))]),
        ),
      ),
      ridgeFits: fits.map((x) => `${x.count} × ${x.what} (${x.targets} targets)`),
      ridgeGflop: Math.round(gflop),
      gemmGflops: Math.round(gemm),
      ridgeBoundSeconds: round(boundSeconds),
      // Per scan: the bound is one scan's ridge fits.
      secondsOverRidgeBound: report.stageSeconds.map(
        (x) => +(Object.values(x.stages).reduce((a, b) => a + (b as number), 0) / boundSeconds).toFixed(2),
      ),
    }),
  );
}

/** Best of three 2,048³ float32 MatMuls on a 2-thread onnxruntime session: the rate the bound uses. */
async function gemmRate(): Promise<number> {
  const { OrtBackend } = await import("../src/backend/ort.js");
  const be = new OrtBackend({ dtype: "float32" });
  const n = 2048;
  const a = {
    rows: n,
    cols: n,
    data: Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5),
  };
  let best = Infinity;
  for (let i = 0; i < 4; i++) {
    const t = performance.now();
    await be.matmul(a, a);
    if (i > 0) best = Math.min(best, (performance.now() - t) / 1000);
  }
  await be.dispose();
  return (2 * n ** 3) / best / 1e9;
}

if (process.argv[2] === "--checkpoint") ensureCheckpoint();
if (process.argv[2] === "--simulate") await ensureDataset();
if (process.argv[2] === "--scan") await scanChild();
