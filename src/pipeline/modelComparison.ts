/**
 * Brain scores of several checkpoints on the same scans, against a reference one (the paper's Fig. 5:
 * fine-tuned GPT-2 conditions against the base model or LM-only fine-tuning). Per model and region, each
 * model is read at its own best layer (group mean over scans); the gain is taken scan by scan (scans
 * matched by subject and task), tested one-sided (gain > 0) with the Wilcoxon signed-rank test across
 * scans, and corrected for the number of regions (Benjamini–Hochberg), per model.
 */
import { isAbsolute } from "node:path";
import type { Row } from "../report/csv.js";
import { hex, viridis } from "../report/figures/colormaps.js";
import { writeSvgAsPng } from "../report/figures/png.js";
import { fdrAcrossTargets, finiteMean as mean, wilcoxonGreater } from "../stats/acrossSubjects.js";
import { bestLayerPerRegion } from "./bestLayer.js";
import type { SubjectResult } from "./scanStore.js";

export interface ScoredModel {
  model: string;
  results: SubjectResult[];
}

/** One row per (model ≠ reference, region): mean scores, mean gain, Wilcoxon p and its FDR q. */
export function compareBrainScores(models: ScoredModel[], reference: string, alpha = 0.05): Row[] {
  const ref = models.find((m) => m.model === reference);
  if (!ref)
    throw new Error(
      `model comparison: reference "${reference}" is not among the scored models (${models.map((m) => m.model).join(", ")})`,
    );
  const scanKey = (r: SubjectResult) => `${r.subject}|${r.task}`;
  const regions = ref.results[0]?.regions ?? [];
  const refBest = bestLayerPerRegion(ref.results).map((b) => b.layer);
  const R = regions.length;
  const refByScan = new Map(ref.results.map((r) => [scanKey(r), r]));
  const rows: Row[] = [];
  for (const m of models) {
    if (m === ref) continue;
    if (m.results[0]?.regions.join() !== regions.join())
      throw new Error(`model comparison: ${m.model} was scored on other regions than ${reference}`);
    const best = bestLayerPerRegion(m.results).map((b) => b.layer);
    const block: Row[] = [];
    const pvals: number[] = [];
    regions.forEach((region, q) => {
      const gains: number[] = [];
      const a: number[] = [];
      const b: number[] = [];
      // A region without any finite score in either model (best layer −1) gets an empty row.
      for (const r of best[q] < 0 || refBest[q] < 0 ? [] : m.results) {
        const base = refByScan.get(scanKey(r));
        if (!base) continue;
        const x = r.regionScores[best[q] * R + q];
        const y = base.regionScores[refBest[q] * R + q];
        if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
        a.push(x);
        b.push(y);
        gains.push(x - y);
      }
      // Identical scores on every scan (e.g. a model compared with a copy of itself) or a single scan: not
      // testable, p NaN (stats/acrossSubjects.ts).
      const p = wilcoxonGreater(gains);
      pvals.push(p);
      block.push({
        model: m.model,
        reference,
        hemi: /^[LR]_/.test(region) ? region[0] : null,
        region,
        layer: m.results[0].layers[best[q]] ?? null,
        reference_layer: ref.results[0].layers[refBest[q]] ?? null,
        score: mean(a),
        reference_score: mean(b),
        gain: mean(gains),
        relative_gain: mean(gains) / Math.abs(mean(b)),
        scans: gains.length,
        p_wilcoxon: p,
      });
    });
    const qvals = fdrAcrossTargets(pvals);
    block.forEach((row, i) => {
      row.q_fdr = qvals[i];
      row.significant = (row.q_fdr as number) < alpha;
    });
    rows.push(...block);
  }
  return rows;
}

/** A short name for a model: a hub id as is, a local folder by its name (its parent's for fine-tuning's "model/"). */
export function modelLabel(model: string): string {
  const parts = model.split(/[\\/]+/).filter((p) => p.length > 0);
  if (!isAbsolute(model) && !model.startsWith(".")) return model;
  const last = parts.at(-1) ?? model;
  return last === "model" && parts.length > 1 ? parts.at(-2)! : last;
}

/** Horizontal bars: the gain of each model per region (FDR-significant bars marked with *). */
export function writeComparisonFigure(path: string, rows: Row[], title: string): void {
  const models = [...new Set(rows.map((r) => String(r.model)))];
  const regions = [...new Set(rows.map((r) => String(r.region)))];
  const gains = rows.map((r) => Number(r.gain)).filter(Number.isFinite);
  const lim = Math.max(1e-6, ...gains.map(Math.abs));
  const barH = 12;
  const rowH = barH * models.length + 8;
  const left = 170;
  const plotW = 420;
  const top = 50;
  const height = top + rowH * regions.length + 40 + 18 * models.length;
  const x = (v: number) => left + plotW / 2 + (v / lim) * (plotW / 2);
  const color = (i: number) => hex(viridis(models.length === 1 ? 0.35 : (0.85 * i) / (models.length - 1)));
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const parts: string[] = [
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="24" font-size="15" font-weight="bold">${esc(title)}</text>`,
  ];
  regions.forEach((region, ri) => {
    const y0 = top + ri * rowH;
    parts.push(`<text x="${left - 6}" y="${y0 + rowH / 2 + 4}" font-size="11" text-anchor="end">${esc(region)}</text>`);
    models.forEach((model, mi) => {
      const row = rows.find((r) => r.model === model && r.region === region);
      const g = Number(row?.gain);
      if (!Number.isFinite(g)) return;
      const y = y0 + mi * barH + 4;
      parts.push(
        `<rect x="${Math.min(x(0), x(g))}" y="${y}" width="${Math.abs(x(g) - x(0))}" height="${barH - 2}" fill="${color(mi)}"/>`,
      );
      if (row?.significant)
        parts.push(`<text x="${x(g) + (g >= 0 ? 3 : -9)}" y="${y + barH - 3}" font-size="11">*</text>`);
    });
  });
  const bottom = top + rowH * regions.length;
  parts.push(`<line x1="${x(0)}" y1="${top}" x2="${x(0)}" y2="${bottom}" stroke="#444"/>`);
  for (const v of [-lim, 0, lim])
    parts.push(`<text x="${x(v)}" y="${bottom + 16}" font-size="11" text-anchor="middle">${v.toPrecision(2)}</text>`);
  parts.push(
    `<text x="${x(0)}" y="${bottom + 32}" font-size="12" text-anchor="middle">gain in brain score (Pearson r; * FDR q &lt; 0.05)</text>`,
  );
  models.forEach((m, i) => {
    const y = bottom + 44 + 18 * i;
    parts.push(
      `<rect x="${left}" y="${y}" width="14" height="10" fill="${color(i)}"/><text x="${left + 20}" y="${y + 9}" font-size="11">${esc(modelLabel(m))}</text>`,
    );
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${left + plotW + 30}" height="${height}" font-family="DejaVu Sans">${parts.join("")}</svg>`;
  writeSvgAsPng(path, svg, 2);
}
