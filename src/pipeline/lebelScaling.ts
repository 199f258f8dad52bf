/**
 * The scaling-law analysis on the Huth lab's dataset (Antonello et al. 2023, on LeBel et al. 2023): every
 * model is scored at several relative depths with `lebelBrainScores` for every subject; a model's score at a
 * layer is the mean test r over voxels and subjects, its best layer the one scoring highest. Per family,
 * the best score is fitted against log10(parameters) (slope and its 95% interval). Writes one table (a row
 * per model, layer and subject) and two figures (best score vs size with the fitted line; relative depth
 * of the best layer vs size) under `outDir`.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { readModelInfo } from "../encoding/lm/architectures.js";
import { countParameters } from "../encoding/lm/checkpoint.js";
import { resolveModel } from "../encoding/lm/hub.js";
import type { LebelDataset } from "../fmri/datasets/lebel.js";
import { lineChartSvg, type Series } from "../report/figures/lineChart.js";
import { writeSvgAsPng } from "../report/figures/png.js";
import type { Row } from "../report/csv.js";
import { writeTable } from "../report/table.js";
import { linearFit, type LinearFit } from "../stats/regression.js";
import { lebelBrainScores, type LebelEncodingOptions } from "./lebel.js";
import { sweepLayers } from "./scaling.js";

export interface LebelScalingOptions extends Omit<LebelEncodingOptions, "subject" | "model" | "layer" | "permutation"> {
  subjects: string[];
  /** Models to compare; `family` defaults to the checkpoint's model_type. */
  models: { model: string; family?: string }[];
  /** Relative depths scored per model (default 0, 0.25, 0.5, 0.75, 1). */
  depths?: number[];
  outDir: string;
}

export interface LebelScalingModel {
  model: string;
  family: string;
  parameters: number;
  nLayer: number;
  bestLayer: number;
  relativeDepth: number;
  /** Mean test r over voxels and subjects at the best layer. */
  bestScore: number;
}

export interface LebelScalingResult {
  models: LebelScalingModel[];
  /** Per family with at least 2 sizes: best score vs log10(parameters). */
  fits: Record<string, LinearFit>;
  files: string[];
}

/** Scores every model at every depth for every subject, fits each family's scaling line, writes table and figures. */
export async function lebelScaling(ds: LebelDataset, o: LebelScalingOptions): Promise<LebelScalingResult> {
  if (o.models.length === 0) throw new Error("lebelScaling: no models");
  if (o.subjects.length === 0) throw new Error("lebelScaling: no subjects");
  const rows: Row[] = [];
  const models: LebelScalingModel[] = [];
  for (const entry of o.models) {
    const dir = await resolveModel(entry.model, { cacheDir: o.cacheDir });
    const info = readModelInfo(dir);
    const parameters = countParameters(dir);
    const family = entry.family ?? info.modelType;
    const layers = sweepLayers({ depths: o.depths ?? [0, 0.25, 0.5, 0.75, 1] }, info.nLayer, []);
    let best = { layer: -1, score: -Infinity };
    for (const layer of layers) {
      let sum = 0;
      for (const subject of o.subjects) {
        const res = await lebelBrainScores(ds, { ...o, subject, model: dir, layer, featureLayers: layers });
        const mean = res.corrs.reduce((a, b) => a + b, 0) / res.corrs.length;
        sum += mean;
        rows.push({ model: entry.model, family, parameters, n_layer: info.nLayer, layer, relative_depth: layer / info.nLayer, subject, mean_test_r: mean, voxels: res.corrs.length });
      }
      const score = sum / o.subjects.length;
      if (score > best.score) best = { layer, score };
    }
    models.push({ model: entry.model, family, parameters, nLayer: info.nLayer, bestLayer: best.layer, relativeDepth: best.layer / info.nLayer, bestScore: best.score });
  }
  const fits: Record<string, LinearFit> = {};
  const families = [...new Set(models.map((m) => m.family))];
  for (const family of families) {
    const ms = models.filter((m) => m.family === family);
    if (new Set(ms.map((m) => m.parameters)).size >= 2) fits[family] = linearFit(ms.map((m) => Math.log10(m.parameters)), ms.map((m) => m.bestScore));
  }
  mkdirSync(join(o.outDir, "tables"), { recursive: true });
  mkdirSync(join(o.outDir, "figures"), { recursive: true });
  const files = writeTable(join(o.outDir, "tables", "lebel_scaling"), rows);
  const bySize = (family: string) => models.filter((m) => m.family === family).sort((a, b) => a.parameters - b.parameters);
  const scoreSeries: Series[] = families.flatMap((family) => {
    const ms = bySize(family);
    const x = ms.map((m) => Math.log10(m.parameters));
    const out: Series[] = [{ name: family, x, y: ms.map((m) => m.bestScore) }];
    const fit = fits[family];
    if (fit) {
      const label = `fit: slope ${fit.slope.toFixed(2)}` + (Number.isFinite(fit.slopeLow) ? ` [${fit.slopeLow.toFixed(2)}, ${fit.slopeHigh.toFixed(2)}]` : "");
      out.push({ name: label, x: [x[0], x[x.length - 1]], y: [x[0], x[x.length - 1]].map((v) => fit.intercept + fit.slope * v) });
    }
    return out;
  });
  const charts: [string, string, string, Series[]][] = [
    ["lebel_scaling_score.png", "Best test r vs model size (mean over voxels and subjects)", "best test r", scoreSeries],
    ["lebel_scaling_depth.png", "Relative depth of the best layer vs model size", "best layer / n_layer", families.map((f) => ({ name: f, x: bySize(f).map((m) => Math.log10(m.parameters)), y: bySize(f).map((m) => m.relativeDepth) }))],
  ];
  for (const [file, title, yLabel, series] of charts) {
    const path = join(o.outDir, "figures", file);
    writeSvgAsPng(path, lineChartSvg({ title, xLabel: "parameters (log10)", yLabel, series, markers: true }));
    files.push(path);
  }
  return { models, fits, files };
}
