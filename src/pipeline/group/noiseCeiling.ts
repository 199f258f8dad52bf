/** The noise ceiling: how well the other subjects' responses to the same story predict each subject's. */
import { brainScore } from "../../ridge/crossValidate.js";
import type { Matrix } from "../../linalg/dense.js";
import type { Row } from "../../report/csv.js";
import type { RunConfig } from "../config.js";
import type { SubjectResult } from "../scanStore.js";
import { hemiOf } from "./context.js";

/** Each subject predicted from the mean region BOLD of the other subjects who heard the same story. */
export async function noiseCeiling(c: RunConfig, results: SubjectResult[]): Promise<Row[]> {
  const rows: Row[] = [];
  const byTask = new Map<string, SubjectResult[]>();
  for (const r of results) byTask.set(r.task, [...(byTask.get(r.task) ?? []), r]);
  for (const [task, group] of byTask) {
    if (group.length < 2) continue;
    for (const r of group) {
      const others = group.filter((o) => o !== r && o.regionBold.rows === r.regionBold.rows);
      if (others.length === 0) continue;
      const { rows: T, cols: R } = r.regionBold;
      const x: Matrix = { rows: T, cols: R, data: new Float64Array(T * R) };
      for (const o of others) for (let i = 0; i < T * R; i++) x.data[i] += o.regionBold.data[i] / others.length;
      for (let i = 0; i < T * R; i++) if (!Number.isFinite(x.data[i])) x.data[i] = 0;
      const y = { ...r.regionBold, data: Float64Array.from(r.regionBold.data, (v) => (Number.isFinite(v) ? v : 0)) };
      const res = await brainScore(x, y, {
        alphaSelection: c.ridge.alphaSelection,
        alphas: c.ridge.alphas,
        folds: c.ridge.folds,
        invalidTargets: "mask",
      });
      r.regions.forEach((region, q) =>
        rows.push({
          subject: r.subject,
          task,
          hemi: hemiOf(region),
          region,
          analysis: "noise_ceiling",
          score: res.r[q],
        }),
      );
    }
  }
  return rows;
}
