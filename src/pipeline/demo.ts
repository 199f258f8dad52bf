/**
 * The demo's second part: a small simulated Narratives subset (pieman's real timing, 14 subjects,
 * fsaverage5, the project's tiny GPT-2) with planted regions, run through the whole pipeline.
 */
import { join } from "node:path";
import { parseRunConfig, type RunConfig } from "./config.js";
import { parseSimulationConfig, simulateDataset, type SimulationTruth } from "../simulate/simulate.js";
import { runPipeline, type RunReport } from "./run.js";
import { plantRecovery, type RecoveryReport } from "./demoRecovery.js";

/**
 * What the demo plants: the paper's claims in miniature. A short-range temporal and a long-range frontal
 * forecast (the hierarchy: d* temporal < frontal), a syntactic (short) and a semantic (long) forecast in
 * parietal cortex, and a current-word region tied to an earlier layer; every other region is noise only.
 * 14 subjects put the one-sided Wilcoxon floor (2^−14) below α/78 for the paper's α = 0.01.
 */
export const DEMO_SIMULATION = {
  seed: 7,
  stories: ["pieman"],
  subjects: 14,
  context: 128,
  regions: [
    { name: "temporal, 4 words ahead", label: "superiortemporal", hemi: "both", layer: 4, snr: 0.5, d: 4 },
    { name: "frontal, 10 words ahead", label: "parsopercularis", hemi: "both", layer: 4, snr: 0.5, d: 10 },
    {
      name: "parietal, syntactic, 2 words ahead",
      label: "supramarginal",
      hemi: "L",
      layer: 4,
      snr: 0.5,
      d: 2,
      component: "syntax",
    },
    {
      name: "parietal, semantic, 10 words ahead",
      label: "inferiorparietal",
      hemi: "L",
      layer: 4,
      snr: 0.5,
      d: 10,
      component: "semantics",
    },
    { name: "occipital, current word, layer 2", label: "lateraloccipital", hemi: "both", layer: 2, snr: 0.3 },
  ],
};

/**
 * The run on the simulated subset: the paper's settings (FIR delays 0–5, test F(8) > 0 across subjects,
 * FDR α 0.01) on the tiny model's 5 layers, distances 0–12, with the decomposition (k = 3 futures).
 */
export const DEMO_RUN = {
  name: "simulated",
  space: "fsaverage5",
  model: "tiny",
  layers: [0, 1, 2, 3, 4],
  context: 128,
  contextMode: "strided",
  ridge: { alphaSelection: "gcv" },
  forecast: {
    layer: 4,
    distances: { from: 0, to: 12 } as { from: number; to: number } | number[],
    decompose: true,
    k: 3,
    controls: [],
    depthLayers: [2, 4],
    dRef: null,
    vertexLevel: true,
  },
  statistics: { alpha: 0.01, bootstrap: 1000 },
  noiseCeiling: true,
};

export function demoRunConfig(
  outDir: string,
  dataset: string,
  cacheDir?: string,
  run: typeof DEMO_RUN = DEMO_RUN,
): RunConfig {
  return parseRunConfig({ ...run, dataset, outDir, cacheDir }, join(outDir, "demo-run.json"));
}

export async function runSimulatedDemo(
  outDir: string,
  options: {
    cacheDir?: string;
    run?: typeof DEMO_RUN;
    onProgress?: (stage: string, done: number, total: number) => void;
  } = {},
): Promise<{ truth: SimulationTruth; report: RunReport; config: RunConfig; recovery: RecoveryReport }> {
  const dataset = join(outDir, "simulated-narratives");
  const sim = parseSimulationConfig(DEMO_SIMULATION, "demo simulation");
  const truth = await simulateDataset(sim, dataset, {
    cacheDir: options.cacheDir,
    onProgress: (d, t) => options.onProgress?.("simulate", d, t),
  });
  const config = demoRunConfig(outDir, dataset, options.cacheDir, options.run);
  const report = await runPipeline(config, { onProgress: (d, t) => options.onProgress?.("pipeline", d, t) });
  return { truth, report, config, recovery: await plantRecovery(truth, config) };
}
