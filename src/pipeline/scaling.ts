/**
 * The scaling view (`"models": [...]` in a run configuration): the same scans scored with several
 * checkpoints — sizes and families — each as its own run under `<name>/<model>/`, then one table and two
 * figures: the best brain score per region against the parameter count (log axis), and the relative depth
 * of the best layer against size, per family (Antonello et al. 2023; Caucheteux & King's layer profiles).
 * Sub-runs score brain scores only (no forecast sweep), and resume like any run. With "compareTo", every
 * model's brain scores are also compared with that model's, scan by scan (src/pipeline/modelComparison.ts).
 */
import { existsSync, mkdirSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { readModelInfo } from "../lm/architectures.js";
import { countParameters } from "../lm/checkpoint.js";
import { resolveModel } from "../lm/hub.js";
import { lineChartSvg, type Series } from "../report/figures/lineChart.js";
import { writeSvgAsPng } from "../report/figures/png.js";
import type { Row } from "../report/csv.js";
import { writeTable } from "../report/table.js";
import { finiteMean } from "../stats/acrossSubjects.js";
import type { RunConfig } from "./config.js";
import { compareBrainScores, modelLabel, writeComparisonFigure, type ScoredModel } from "./modelComparison.js";
import { bestLayerPerRegion } from "./bestLayer.js";
import { collectResults, runPipeline, type RunOptions, type RunReport } from "./run.js";

export interface ScalingReport {
  runs: { model: string; name: string; report: RunReport }[];
  files: string[];
  summary: string[];
}

/** Layers of one sweep entry: explicit, or relative depths rounded to the model's layers (0 … L). */
export function sweepLayers(
  entry: { layers?: number[]; depths?: number[] },
  nLayer: number,
  fallback: number[],
): number[] {
  const layers =
    entry.layers ??
    (entry.depths ?? fallback.map((l) => l / Math.max(...fallback, 1))).map((d) => Math.round(d * nLayer));
  for (const l of layers) if (l > nLayer) throw new Error(`layer ${l} does not exist in a model with ${nLayer} layers`);
  return [...new Set(layers)].sort((a, b) => a - b);
}

/** A folder name for a model: the hub id with "/" → "--", or a local folder's own name. */
const slug = (model: string) =>
  (existsSync(model) ? basename(resolve(model)) : model.replace(/\//g, "--")).replace(/[^\w.-]+/g, "-");

export async function runScalingSweep(c: RunConfig, options: RunOptions = {}): Promise<ScalingReport> {
  if (!c.models) throw new Error('scaling sweep: the configuration has no "models" list');
  const root = join(c.outDir, c.name);
  const runs: ScalingReport["runs"] = [];
  const rows: Row[] = [];
  const scored: ScoredModel[] = [];
  const perModel: { model: string; family: string; parameters: number; meanBest: number; meanDepth: number }[] = [];
  for (const entry of c.models) {
    const dir = await resolveModel(entry.model, { cacheDir: c.cacheDir });
    const info = readModelInfo(dir);
    const layers = sweepLayers(entry, info.nLayer, c.layers);
    let name = join(c.name, slug(entry.model));
    while (runs.some((r) => r.name === name)) name += "_";
    const sub: RunConfig = {
      ...c,
      models: undefined,
      model: entry.model,
      layers,
      name,
      forecast: null,
      depthDefaults: [],
    };
    const report = await runPipeline(sub, options);
    runs.push({ model: entry.model, name, report });
    // Group mean per region and layer over the scans, then the best layer per region.
    const { results } = await collectResults(sub);
    scored.push({ model: entry.model, results });
    const regions = results[0]?.regions ?? [];
    const parameters = countParameters(dir);
    const bests: number[] = [];
    const depths: number[] = [];
    bestLayerPerRegion(results).forEach(({ layer: best, mean: bestScore }, q) => {
      if (best < 0) return;
      const region = regions[q];
      bests.push(bestScore);
      depths.push(layers[best] / info.nLayer);
      rows.push({
        model: entry.model,
        family: info.modelType,
        parameters,
        n_layer: info.nLayer,
        hemi: /^[LR]_/.test(region) ? region[0] : null,
        region,
        best_layer: layers[best],
        relative_depth: layers[best] / info.nLayer,
        best_score: bestScore,
        subjects: results.length,
      });
    });
    perModel.push({
      model: entry.model,
      family: info.modelType,
      parameters,
      meanBest: finiteMean(bests),
      meanDepth: finiteMean(depths),
    });
  }
  mkdirSync(join(root, "tables"), { recursive: true });
  mkdirSync(join(root, "figures"), { recursive: true });
  const files = writeTable(join(root, "tables", "scaling"), rows);
  // One line per family, models sorted by size; x = log10(parameters).
  const families = [...new Set(perModel.map((m) => m.family))];
  const series = (pick: (m: (typeof perModel)[number]) => number): Series[] =>
    families.map((family) => {
      const ms = perModel.filter((m) => m.family === family).sort((a, b) => a.parameters - b.parameters);
      return { name: family, x: ms.map((m) => Math.log10(m.parameters)), y: ms.map(pick) };
    });
  for (const [file, title, yLabel, pick] of [
    [
      "scaling_brain_score.png",
      "Best brain score vs model size (mean over regions)",
      "best brain score (Pearson r)",
      (m: (typeof perModel)[number]) => m.meanBest,
    ],
    [
      "scaling_depth.png",
      "Relative depth of the best layer vs model size",
      "best layer / n_layer",
      (m: (typeof perModel)[number]) => m.meanDepth,
    ],
  ] as const) {
    const path = join(root, "figures", file);
    writeSvgAsPng(
      path,
      lineChartSvg({ title, xLabel: "parameters (log10)", yLabel, series: series(pick), markers: true }),
    );
    files.push(path);
  }
  if (c.compareTo) {
    const comparison = compareBrainScores(scored, c.compareTo);
    files.push(...writeTable(join(root, "tables", "comparison"), comparison));
    const path = join(root, "figures", "comparison.png");
    writeComparisonFigure(path, comparison, `Brain-score gain over ${modelLabel(c.compareTo)} per region`);
    files.push(path);
  }
  const summary = perModel.map(
    (m) =>
      `${m.model} (${m.family}, ${(m.parameters / 1e6).toFixed(m.parameters < 1e7 ? 2 : 0)} M parameters): best brain score ${m.meanBest.toFixed(4)} (mean over regions), best layer at relative depth ${m.meanDepth.toFixed(2)}`,
  );
  return { runs, files, summary };
}
