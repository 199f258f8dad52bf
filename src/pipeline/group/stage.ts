/**
 * The group stage of `brainscore run` (also `brainscore merge` after sharded runs): statistics across
 * subjects, the noise ceiling, tidy tables (Parquet + CSV), GIfTI maps per hemisphere and PNG figures.
 * Each job has its own module under group/; this one orders them.
 */
import { join } from "node:path";
import { writeMapViewer } from "../../report/viewer.js";
import type { RunConfig } from "../config.js";
import { brainScoreOutputs } from "./brainScores.js";
import { finiteMean as mean } from "../../stats/acrossSubjects.js";
import { groupContext } from "./context.js";
import { forecastOutputs } from "./forecastMaps.js";
import { noiseCeiling } from "./noiseCeiling.js";
import { powerSummary, type TestFamily } from "./power.js";
import { forecastTestLabel } from "../../stats/forecastPeaks.js";
import type { ScanStatus } from "../scanStatus.js";
import type { SubjectResult } from "../scanStore.js";

export interface GroupOutputs {
  files: string[];
  summary: string[];
  /** After a merge: every expected scan and what became of it (scanStatus.ts). */
  scans?: ScanStatus[];
}

/** Combines the scans' results: brain scores, noise ceiling, forecasts, and the interactive viewer. */
export async function groupStage(c: RunConfig, stored: SubjectResult[]): Promise<GroupOutputs> {
  if (stored.length === 0) throw new Error("group stage: no subject results to combine");
  // A scan with no valid target (every vertex NaN or constant) is reported and kept out of the statistics.
  const results = stored.filter((r) => r.vertexScores.some(Number.isFinite));
  if (results.length === 0)
    throw new Error(
      `group stage: no scan has a valid target (${stored.map((r) => r.key).join(", ")}: every vertex NaN or constant)`,
    );
  for (const r of results)
    if (r.regions.join() !== results[0].regions.join())
      throw new Error(`${r.key}: regions differ from ${results[0].key}`);
  const ctx = groupContext(c, results);
  for (const r of stored)
    if (!results.includes(r))
      ctx.summary.push(`excluded from group statistics: ${r.key} (no valid target: every vertex NaN or constant)`);
  const families: TestFamily[] = [
    { name: `region brain scores (${ctx.R} regions × ${c.layers.length} layers)`, tests: ctx.R * c.layers.length },
    { name: "vertex brain scores (per layer)", tests: ctx.V },
  ];
  if (c.forecast)
    families.push({ name: `forecast ${forecastTestLabel(c.forecast.dTest, c.forecast.dRef)} (regions)`, tests: ctx.R });
  if (c.forecast?.vertexLevel)
    families.push({
      name: `forecast ${forecastTestLabel(c.forecast.dTest, c.forecast.dRef)} (vertices, per analysis)`,
      tests: ctx.V,
    });
  ctx.summary.push(...powerSummary(results.length, families, c.statistics.alpha));
  const { layerMaps, fdrMaps, best } = brainScoreOutputs(ctx);
  if (c.noiseCeiling) {
    const rows = await noiseCeiling(c, results);
    if (rows.length > 0) {
      ctx.table("noise_ceiling", rows);
      ctx.summary.push(
        `noise ceiling: mean r ${mean(rows.map((r) => Number(r.score))).toFixed(4)} over ${rows.length} subject-region pairs`,
      );
    }
  }
  const forecastMaps = forecastOutputs(ctx);
  // Interactive viewer of every map (NiiVue, offline).
  // It opens on the best layer's FDR-thresholded map (the unthresholded one, r > 0, when none survives).
  const { nL } = ctx;
  const half = (m: Float32Array) => ({ L: m.subarray(0, nL), R: m.subarray(nL) });
  const alpha = c.statistics.alpha;
  const sig = fdrMaps[best];
  const bestLayer = c.layers[best];
  const opening =
    sig.significant > 0
      ? {
          name: `brain score, best layer ${bestLayer}, FDR < ${alpha}`,
          ...half(sig.map),
          threshold: 0,
          label: "Pearson r",
          note: `${sig.significant} of ${sig.map.length} vertices FDR-significant (one-sided Wilcoxon across ${results.length} scans)`,
        }
      : {
          name: `brain score, best layer ${bestLayer}`,
          ...half(layerMaps[best]),
          threshold: 0,
          label: "Pearson r",
          note: `no vertex FDR-significant at α ${alpha}: r > 0 shown, unthresholded`,
        };
  const viewerMaps = c.layers.map((layer, li) => ({
    name: `brain score, layer ${layer} (unthresholded)`,
    ...half(layerMaps[li]),
    threshold: 0,
    label: "Pearson r",
  }));
  if (ctx.surface)
    ctx.files.push(
      writeMapViewer(join(ctx.root, "viewer"), `brainscore: ${c.name}`, [opening, ...viewerMaps, ...forecastMaps], {
        initial: 0,
      }),
    );
  return { files: ctx.files, summary: ctx.summary };
}
