/**
 * The Fig. 5 experiment on the simulator: a dataset whose planted region responds to the tiny model's
 * layer-3 states in the 7-word window ending 8 words ahead (and a control region to the current word),
 * the tiny model fine-tuned on the other Narratives transcripts with LM only and with the matching
 * high-level long-range objective, then every checkpoint scored on the same scans and compared with the
 * LM-only one (per region gain, Wilcoxon across subjects, FDR).
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseFinetuneConfig } from "../src/finetune/config.js";
import { finetune } from "../src/finetune/trainer.js";
import { parseRunConfig } from "../src/pipeline/config.js";
import { runScalingSweep } from "../src/pipeline/scaling.js";
import { parseSimulationConfig, simulateDataset } from "../src/simulate/simulate.js";

export async function benchFinetuneBrain(
  options: { subjects?: number; steps?: number; out?: string } = {},
): Promise<object[]> {
  const work = options.out ?? mkdtempSync(join(tmpdir(), "finetune-brain-"));
  const cacheDir = join(work, "cache");
  const sim = parseSimulationConfig(
    {
      seed: 11,
      stories: ["pieman"],
      subjects: options.subjects ?? 8,
      context: 64,
      regions: [
        { name: "ahead", label: "parsopercularis", hemi: "both", layer: 3, d: 8, snr: 0.6 },
        { name: "now", label: "superiortemporal", hemi: "both", layer: 3, snr: 0.6 },
      ],
    },
    "sim.json",
  );
  await simulateDataset(sim, join(work, "ds"), { cacheDir });
  const out: object[] = [];
  const models: Record<string, string> = {};
  for (const condition of ["lm", "high-level-long-range"] as const) {
    const t0 = performance.now();
    const c = parseFinetuneConfig(
      {
        model: "tiny",
        out: join(work, `ft-${condition}`),
        condition,
        objective: condition === "lm" ? {} : { layer: 3, distance: 8 },
        training: {
          steps: options.steps ?? 300,
          batchSize: 8,
          blockSize: 64,
          lr: 2e-3,
          warmupSteps: 20,
          evalEvery: 100,
          checkpointEvery: 100,
        },
      },
      join(work, "ft.json"),
    );
    const r = await finetune(c, { cacheDir });
    models[condition] = r.modelDir;
    out.push({
      bench: "finetune-brain",
      stage: "finetune",
      condition,
      seconds: (performance.now() - t0) / 1000,
      heldOutPerplexity: r.evals.map((e) => Number(e.perplexity)),
    });
  }
  const run = parseRunConfig(
    {
      name: "fig5",
      dataset: join(work, "ds"),
      space: "fsaverage5",
      models: [
        { model: "tiny", layers: [0, 2, 3, 4] },
        { model: models.lm, layers: [0, 2, 3, 4] },
        { model: models["high-level-long-range"], layers: [0, 2, 3, 4] },
      ],
      compareTo: models.lm,
      context: 64,
      contextMode: "strided",
      ridge: { alphaSelection: "gcv" },
      forecast: false,
      noiseCeiling: false,
      statistics: { bootstrap: 100 },
      outDir: join(work, "out"),
      cacheDir,
    },
    join(work, "run.json"),
  );
  await runScalingSweep(run);
  const table = readFileSync(join(work, "out", "fig5", "tables", "comparison.csv"), "utf8")
    .trim()
    .split("\n");
  const cols = table[0].split(",");
  for (const line of table.slice(1)) {
    const row = Object.fromEntries(line.split(",").map((v, i) => [cols[i], v]));
    if (/parsopercularis|superiortemporal/.test(row.region))
      out.push({ bench: "finetune-brain", stage: "compare", ...row });
  }
  out.push({ bench: "finetune-brain", folder: work });
  return out;
}
