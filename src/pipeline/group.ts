/**
 * The group stage of `brainscore run` (also `brainscore merge` after sharded runs): statistics across
 * subjects, the noise ceiling, tidy tables (Parquet + CSV), GIfTI maps per hemisphere and PNG figures.
 * Each job has its own module under group/; this one orders them.
 */
import { join } from "node:path";
import { writeMapViewer } from "../report/viewer.js";
import type { RunConfig } from "./config.js";
import { brainScoreOutputs } from "./group/brainScores.js";
import { groupContext, mean } from "./group/context.js";
import { forecastOutputs } from "./group/forecastMaps.js";
import { noiseCeiling } from "./group/noiseCeiling.js";
import type { SubjectResult } from "./subject.js";

export interface GroupOutputs {
  files: string[];
  summary: string[];
}

/** Combines the scans' results: brain scores, noise ceiling, forecasts, and the interactive viewer. */
export async function groupStage(c: RunConfig, stored: SubjectResult[]): Promise<GroupOutputs> {
  if (stored.length === 0) throw new Error("group stage: no subject results to combine");
  // A scan with no valid target (every vertex NaN or constant) is reported and kept out of the statistics.
  const results = stored.filter((r) => r.vertexScores.some(Number.isFinite));
  if (results.length === 0) throw new Error(`group stage: no scan has a valid target (${stored.map((r) => r.key).join(", ")}: every vertex NaN or constant)`);
  for (const r of results) if (r.regions.join() !== results[0].regions.join()) throw new Error(`${r.key}: regions differ from ${results[0].key}`);
  const ctx = groupContext(c, results);
  for (const r of stored) if (!results.includes(r)) ctx.summary.push(`excluded from group statistics: ${r.key} (no valid target: every vertex NaN or constant)`);
  const { layerMaps } = brainScoreOutputs(ctx);
  if (c.noiseCeiling) {
    const rows = await noiseCeiling(c, results);
    if (rows.length > 0) {
      ctx.table("noise_ceiling", rows);
      ctx.summary.push(`noise ceiling: mean r ${mean(rows.map((r) => Number(r.score))).toFixed(4)} over ${rows.length} subject-region pairs`);
    }
  }
  const forecastMaps = forecastOutputs(ctx);
  // Interactive viewer of every map (NiiVue, offline).
  const { nL } = ctx;
  const viewerMaps = c.layers.map((layer, li) => ({ name: `brain score, layer ${layer}`, L: layerMaps[li].subarray(0, nL), R: layerMaps[li].subarray(nL), threshold: 0 }));
  if (ctx.surface) ctx.files.push(writeMapViewer(join(ctx.root, "viewer"), `brainscore: ${c.name}`, [...viewerMaps, ...forecastMaps]));
  return { files: ctx.files, summary: ctx.summary };
}
