/**
 * The forecast stage of `brainscore run` on ds003020 (a LeBel run configuration with "forecast"): F(d) per
 * subject and voxel (`lebelForecast`), one safetensors per subject (reused on rerun when configuration and
 * weights match), a table of F(d) averaged over all voxels and over the tenth with the best baseline test r,
 * and a figure of the latter by distance with each subject's peak d* in the summary; where the subject's
 * cortical mask is found (lebelVolume.ts), F(dTest) and each voxel's peak distance d* as volumes.
 */
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { LebelDataset } from "../fmri/datasets/lebel.js";
import { findLebelVolume, writeVolumeMap } from "../fmri/datasets/lebelVolume.js";
import { readSafetensorsIfValid, writeSafetensors } from "../io/safetensors.js";
import { lineChartSvg } from "../report/figures/lineChart.js";
import { writeSvgAsPng } from "../report/figures/png.js";
import type { Row } from "../report/csv.js";
import { writeTable } from "../report/table.js";
import { atPaperDepth, PAPER } from "../config/paper.js";
import { argmaxFinite } from "../stats/acrossSubjects.js";
import { lebelForecast } from "./lebel.js";
import type { LebelRunConfig, LebelRunReport } from "./lebelRun.js";

/** The forecast layer: the configured one, or the paper's layer 8 of GPT-2 small's 12 at the same depth. */
export function lebelForecastLayer(c: LebelRunConfig, nLayer: number): number {
  const layer = c.forecast?.layer ?? atPaperDepth(PAPER.gpt2.forecastLayer, nLayer);
  if (layer > nLayer) throw new Error(`forecast.layer ${layer} does not exist in ${c.model} (0 … ${nLayer})`);
  return layer;
}

/** Runs (or reuses) every subject's forecast sweep, then its table and figure; adds to `report`. */
export async function runLebelForecast(
  ds: LebelDataset,
  c: LebelRunConfig,
  run: {
    root: string;
    subjects: string[];
    model: string;
    layer: number;
    featureLayers: number[];
    weights: string;
    shard?: boolean;
    merge?: boolean;
  },
  report: LebelRunReport,
): Promise<void> {
  const f = c.forecast!;
  const settings = {
    sessions: c.sessions,
    context: c.context,
    contextMode: c.contextMode,
    layer: run.layer,
    forecast: f,
    bootstrap: c.bootstrap,
    weights: run.weights,
    root: ds.derivative,
  };
  const hash = createHash("sha256").update(JSON.stringify(settings)).digest("hex").slice(0, 16);
  mkdirSync(join(run.root, "subjects"), { recursive: true });
  const rows: Row[] = [];
  const curves: { subject: string; distances: number[]; top: number[] }[] = [];
  for (const subject of run.subjects) {
    const path = join(run.root, "subjects", `${subject}.forecast.safetensors`);
    let stored = readSafetensorsIfValid(path);
    if (stored && stored.metadata.config !== hash) stored = undefined;
    if (stored) report.skipped.push(`${subject} forecast`);
    else if (run.merge) report.missing.push(`${subject} forecast`);
    else {
      try {
        const res = await lebelForecast(ds, {
          subject,
          sessions: c.sessions,
          model: run.model,
          layer: run.layer,
          featureLayers: run.featureLayers,
          context: c.context,
          contextMode: c.contextMode,
          cacheDir: c.cacheDir,
          distances: f.distances,
          windowLength: f.windowLength,
          nComponents: f.components,
          alphaSelection: f.alphaSelection,
          alphas: f.alphas,
          bootstrap: c.bootstrap,
        });
        const D = res.distances.length;
        const V = res.nTargets;
        const cost = `window PCA ${res.cost.pcaSeconds.toFixed(1)} s, ridge ${res.cost.ridgeSeconds.toFixed(1)} s, ${res.trainRows} training TRs`;
        writeSafetensors(
          path,
          {
            distances: { shape: [D], data: BigInt64Array.from(res.distances, BigInt) },
            baseline: { shape: [V], data: res.baseline },
            scores: { shape: [D, V], data: res.scores },
          },
          { config: hash, subject, layer: String(run.layer), cost, format: "brainscore.lebel-forecast/1" },
        );
        report.summary.push(`${subject} forecast: ${cost}`);
        stored = readSafetensorsIfValid(path);
        report.computed.push(`${subject} forecast`);
      } catch (e) {
        report.failed.push({ key: `${subject} forecast`, error: (e as Error).message });
      }
    }
    if (!stored) continue;
    const distances = Array.from(stored.tensors.get("distances")!.data as BigInt64Array, Number);
    const baseline = stored.tensors.get("baseline")!.data as Float64Array;
    const scores = stored.tensors.get("scores")!.data as Float64Array;
    const V = baseline.length;
    // The tenth of voxels the current words predict best: where a forecast gain can show (finite baselines only).
    const ranked = Array.from(baseline.keys())
      .filter((v) => Number.isFinite(baseline[v]))
      .sort((a, b) => baseline[b] - baseline[a]);
    const best = ranked.slice(0, Math.max(1, Math.round(ranked.length / 10)));
    const top: number[] = [];
    distances.forEach((d, i) => {
      const gain = (v: number) => scores[i * V + v] - baseline[v];
      const finite = ranked.map(gain).filter(Number.isFinite);
      const all = finite.reduce((a, b) => a + b, 0) / finite.length;
      const t = best.reduce((a, v) => a + gain(v), 0) / best.length;
      top.push(t);
      rows.push({
        subject,
        layer: run.layer,
        distance: d,
        voxels: V,
        mean_forecast: all,
        mean_forecast_top10: t,
        top10_voxels: best.length,
      });
    });
    curves.push({ subject, distances, top });
    const { volume } = findLebelVolume(ds.derivative, subject, V);
    if (volume) {
      const dir = join(run.root, "maps", subject);
      mkdirSync(dir, { recursive: true });
      const F = (i: number, v: number) => scores[i * V + v] - baseline[v];
      const iTest = distances.indexOf(PAPER.dTest);
      if (iTest >= 0) {
        report.files.push(join(dir, `forecast_d-${PAPER.dTest}.nii.gz`));
        writeVolumeMap(
          report.files.at(-1)!,
          volume,
          Float64Array.from({ length: V }, (_, v) => F(iTest, v)),
          `F(${PAPER.dTest}), layer ${run.layer}`,
        );
      }
      const dStar = Float64Array.from({ length: V }, (_, v) => {
        const b = argmaxFinite((i) => F(i, v), distances.length);
        return b < 0 ? NaN : distances[b];
      });
      report.files.push(join(dir, "forecast_dstar.nii.gz"));
      writeVolumeMap(report.files.at(-1)!, volume, dStar, `d* = argmax F(d), layer ${run.layer}`);
    }
    const peak = top.indexOf(Math.max(...top));
    report.summary.push(
      `${subject}: F(d) of the best-predicted tenth of voxels peaks at d* = ${distances[peak]} (${top[peak].toFixed(4)})`,
    );
  }
  if (rows.length === 0 || run.shard) return;
  mkdirSync(join(run.root, "tables"), { recursive: true });
  mkdirSync(join(run.root, "figures"), { recursive: true });
  report.files.push(...writeTable(join(run.root, "tables", "lebel_forecast"), rows));
  const figure = join(run.root, "figures", "lebel_forecast_by_distance.png");
  const title = `Forecast score F(d), layer ${run.layer} (${c.model.split("/").pop()}; best-predicted tenth of voxels)`;
  writeSvgAsPng(
    figure,
    lineChartSvg({
      title,
      xLabel: "distance d (words)",
      yLabel: "F(d) = Δ test r",
      series: curves.map((cv) => ({ name: cv.subject, x: cv.distances, y: cv.top })),
      markers: true,
    }),
  );
  report.files.push(figure);
}
