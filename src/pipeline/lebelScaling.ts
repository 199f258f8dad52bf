/**
 * The scaling-law analysis on the Huth lab's dataset (Antonello et al. 2023, on LeBel et al. 2023): every
 * model is scored at several relative depths with `lebelBrainScores` for every subject; a model's score at a
 * layer is the mean test r over voxels and subjects, its best layer the one scoring highest. Per family,
 * the best score is fitted against log10(parameters) (slope and its 95% interval). Writes one table (a row
 * per model, layer and subject) and two figures (best score vs size with the fitted line; relative depth
 * of the best layer vs size) under `outDir`. Resumable: each (model, subject)'s mean test r per layer is stored
 * under `outDir/scaling/` and reused on rerun when the settings and the checkpoint's weights match, so a
 * sweep over many sizes killed midway loses at most one model-subject.
 */
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { readModelInfo } from "../lm/architectures.js";
import { countParameters, weightsSha256 } from "../lm/checkpoint.js";
import { resolveModel } from "../lm/hub.js";
import type { LebelDataset } from "../fmri/datasets/lebel.js";
import { readSafetensorsIfValid, writeSafetensors } from "../io/safetensors.js";
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
  /** "model subject" pairs computed by this call and reused from an earlier one. */
  computed: string[];
  reused: string[];
}

/** Scores every model at every depth for every subject, fits each family's scaling line, writes table and figures. */
export async function lebelScaling(ds: LebelDataset, o: LebelScalingOptions): Promise<LebelScalingResult> {
  if (o.models.length === 0) throw new Error("lebelScaling: no models");
  if (o.subjects.length === 0) throw new Error("lebelScaling: no subjects");
  const rows: Row[] = [];
  const models: LebelScalingModel[] = [];
  const computed: string[] = [];
  const reused: string[] = [];
  mkdirSync(join(o.outDir, "scaling"), { recursive: true });
  for (const entry of o.models) {
    const dir = await resolveModel(entry.model, { cacheDir: o.cacheDir });
    const info = readModelInfo(dir);
    const parameters = countParameters(dir);
    const family = entry.family ?? info.modelType;
    const layers = sweepLayers({ depths: o.depths ?? [0, 0.25, 0.5, 0.75, 1] }, info.nLayer, []);
    const settings = {
      sessions: o.sessions,
      train: o.train,
      test: o.test,
      context: o.context,
      contextMode: o.contextMode,
      bootstrap: o.bootstrap,
      layers,
      root: ds.derivative,
      weights: await weightsSha256(dir, o.cacheDir),
    };
    const hash = createHash("sha256").update(JSON.stringify(settings)).digest("hex").slice(0, 16);
    // Per subject: mean test r over voxels at every layer, from an earlier run or computed now.
    const perSubject: { means: Float64Array; voxels: number }[] = [];
    for (const subject of o.subjects) {
      const path = join(o.outDir, "scaling", `${safeName(entry.model)}__${subject}.safetensors`);
      const key = `${entry.model} ${subject}`;
      const stored = readSafetensorsIfValid(path);
      if (stored && stored.metadata.config === hash) {
        perSubject.push({
          means: stored.tensors.get("mean_test_r")!.data as Float64Array,
          voxels: Number(stored.metadata.voxels),
        });
        reused.push(key);
        continue;
      }
      const means = new Float64Array(layers.length);
      let voxels = 0;
      for (const [li, layer] of layers.entries()) {
        const res = await lebelBrainScores(ds, { ...o, subject, model: dir, layer, featureLayers: layers });
        means[li] = res.corrs.reduce((a, b) => a + b, 0) / res.corrs.length;
        voxels = res.corrs.length;
      }
      writeSafetensors(
        path,
        {
          layers: { shape: [layers.length], data: BigInt64Array.from(layers, BigInt) },
          mean_test_r: { shape: [layers.length], data: means },
        },
        { config: hash, model: entry.model, subject, voxels: String(voxels), format: "brainscore.lebel-scaling/1" },
      );
      perSubject.push({ means, voxels });
      computed.push(key);
    }
    let best = { layer: -1, score: -Infinity };
    for (const [li, layer] of layers.entries()) {
      let sum = 0;
      o.subjects.forEach((subject, si) => {
        const { means, voxels } = perSubject[si];
        sum += means[li];
        rows.push({
          model: entry.model,
          family,
          parameters,
          n_layer: info.nLayer,
          layer,
          relative_depth: layer / info.nLayer,
          subject,
          mean_test_r: means[li],
          voxels,
        });
      });
      const score = sum / o.subjects.length;
      if (score > best.score) best = { layer, score };
    }
    models.push({
      model: entry.model,
      family,
      parameters,
      nLayer: info.nLayer,
      bestLayer: best.layer,
      relativeDepth: best.layer / info.nLayer,
      bestScore: best.score,
    });
  }
  const fits: Record<string, LinearFit> = {};
  const families = [...new Set(models.map((m) => m.family))];
  for (const family of families) {
    const ms = models.filter((m) => m.family === family);
    if (new Set(ms.map((m) => m.parameters)).size >= 2)
      fits[family] = linearFit(
        ms.map((m) => Math.log10(m.parameters)),
        ms.map((m) => m.bestScore),
      );
  }
  mkdirSync(join(o.outDir, "tables"), { recursive: true });
  mkdirSync(join(o.outDir, "figures"), { recursive: true });
  const files = writeTable(join(o.outDir, "tables", "lebel_scaling"), rows);
  const bySize = (family: string) =>
    models.filter((m) => m.family === family).sort((a, b) => a.parameters - b.parameters);
  const scoreSeries: Series[] = families.flatMap((family) => {
    const ms = bySize(family);
    const x = ms.map((m) => Math.log10(m.parameters));
    const out: Series[] = [{ name: family, x, y: ms.map((m) => m.bestScore) }];
    const fit = fits[family];
    if (fit) {
      const label =
        `fit: slope ${fit.slope.toFixed(2)}` +
        (Number.isFinite(fit.slopeLow) ? ` [${fit.slopeLow.toFixed(2)}, ${fit.slopeHigh.toFixed(2)}]` : "");
      out.push({
        name: label,
        x: [x[0], x[x.length - 1]],
        y: [x[0], x[x.length - 1]].map((v) => fit.intercept + fit.slope * v),
      });
    }
    return out;
  });
  const charts: [string, string, string, Series[]][] = [
    [
      "lebel_scaling_score.png",
      "Best test r vs model size (mean over voxels and subjects)",
      "best test r",
      scoreSeries,
    ],
    [
      "lebel_scaling_depth.png",
      "Relative depth of the best layer vs model size",
      "best layer / n_layer",
      families.map((f) => ({
        name: f,
        x: bySize(f).map((m) => Math.log10(m.parameters)),
        y: bySize(f).map((m) => m.relativeDepth),
      })),
    ],
  ];
  for (const [file, title, yLabel, series] of charts) {
    const path = join(o.outDir, "figures", file);
    writeSvgAsPng(path, lineChartSvg({ title, xLabel: "parameters (log10)", yLabel, series, markers: true }));
    files.push(path);
  }
  return { models, fits, files, computed, reused };
}

/** A model id or path as a file name: odd characters become "_", and a short hash keeps distinct ids apart. */
function safeName(model: string): string {
  const readable =
    model
      .replace(/[^A-Za-z0-9._-]+/g, "_")
      .replace(/^[._]+/, "")
      .slice(-100) || "model";
  return `${readable}-${createHash("sha256").update(model).digest("hex").slice(0, 8)}`;
}
