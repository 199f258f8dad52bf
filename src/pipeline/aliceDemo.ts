/**
 * Demo analysis on the embedded real fMRI (Brennan et al. 2016, "Alice in Wonderland", 6 ROIs): how well do
 * the word-rate and sound-power regressors, with FIR delays, predict each ROI? Brain scores come from the
 * ridge engine (5 contiguous folds); significance from a circular-shift null that is scored in the same
 * ridge call as the data (shifted BOLD columns are extra targets).
 */
import { brainScore, type BrainScoreOptions } from "../ridge/crossValidate.js";
import { delaysForSeconds, firDelays } from "../fmri/design/fir.js";
import { ALICE_ROIS, ALICE_TR, listAliceSubjects, loadAliceSubject } from "../fmri/datasets/alice.js";
import { circularShiftOffsets, permutationPValue, stackCircularShifts } from "../stats/circularShift.js";
import type { Row } from "../report/csv.js";
import { embeddedData } from "../io/paths.js";

export const EMBEDDED_ALICE = embeddedData("alice");

export interface AliceDemoOptions {
  root?: string;
  /** Circular shifts in the null (default 200). */
  shifts?: number;
  seed?: number;
  /** FIR window in seconds (default 6 s = delays 0–3 TRs at TR 2 s). */
  firSeconds?: number;
  ridge?: Pick<BrainScoreOptions, "alphaSelection" | "dtype" | "backend" | "folds">;
  onSubject?: (done: number, total: number, id: string) => void;
}

export interface AliceDemoResult {
  subjects: Row[];
  group: Row[];
  /** Subjects whose files could not be scored at all. */
  failures: { subject: string; error: string }[];
  /** Subject–ROI pairs without a score (e.g. a constant, all-zero time course): left out of group means. */
  excluded: { subject: string; roi: string; reason: string }[];
}

/** The real-fMRI demo: word-rate and sound-power brain scores on the Alice ROI data, with a circular-shift null. */
export async function runAliceDemo(options: AliceDemoOptions = {}): Promise<AliceDemoResult> {
  const root = options.root ?? EMBEDDED_ALICE;
  const nShifts = options.shifts ?? 200;
  const delays = delaysForSeconds(options.firSeconds ?? 6, ALICE_TR);
  const ids = listAliceSubjects(root);
  const R = ALICE_ROIS.length;
  const subjects: Row[] = [];
  const failures: { subject: string; error: string }[] = [];
  const excluded: { subject: string; roi: string; reason: string }[] = [];
  // nullR[s][roi] summed over subjects, for the group-level null of the mean.
  const nullSum = new Float64Array(nShifts * R);
  const obsSum = new Float64Array(R);
  const nOk = new Int32Array(R);
  for (const [i, id] of ids.entries()) {
    try {
      const s = loadAliceSubject(root, id);
      const n = s.bold.rows;
      const regressors = { rows: n, cols: 2, data: new Float64Array(n * 2) };
      for (let t = 0; t < n; t++) {
        regressors.data[t * 2] = s.wordRate[t];
        regressors.data[t * 2 + 1] = s.soundPower[t];
      }
      const x = firDelays(regressors, delays);
      // Same offsets for every subject, so shift s is one draw of the group-level null.
      const offsets = circularShiftOffsets(n, nShifts, 30, options.seed ?? 0);
      const y = stackCircularShifts(s.bold, offsets);
      const res = await brainScore(x, y, {
        alphaSelection: "loo",
        ...options.ridge,
        invalidTargets: "mask",
        source: { x: `${id} regressors`, y: `${id} ROI time courses` },
      });
      ALICE_ROIS.forEach((roi, j) => {
        const nullR = Float64Array.from({ length: nShifts }, (_, k) => res.r[(k + 1) * R + j]);
        const mean = nullR.reduce((a, b) => a + b, 0) / nShifts;
        const sd = Math.sqrt(nullR.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, nShifts - 1));
        subjects.push({
          subject: id,
          roi,
          r: round(res.r[j]),
          null_mean: round(mean),
          null_sd: round(sd),
          p_shift: round(permutationPValue(res.r[j], nullR)),
        });
        if (!Number.isFinite(res.r[j])) {
          const constant = res.invalidTargets.constant.includes(j);
          excluded.push({ subject: id, roi, reason: constant ? "constant time course" : "no finite score" });
          return;
        }
        obsSum[j] += res.r[j];
        nOk[j]++;
        for (let k = 0; k < nShifts; k++) nullSum[k * R + j] += nullR[k];
      });
    } catch (e) {
      failures.push({ subject: id, error: (e as Error).message });
    }
    options.onSubject?.(i + 1, ids.length, id);
  }
  const group = ALICE_ROIS.map((roi, j) => {
    const nullMeans = Float64Array.from({ length: nShifts }, (_, k) => nullSum[k * R + j] / nOk[j]);
    const observed = obsSum[j] / nOk[j];
    const nullMean = nullMeans.reduce((a, b) => a + b, 0) / nShifts;
    return {
      roi,
      n_subjects: nOk[j],
      mean_r: round(observed),
      null_mean_r: round(nullMean),
      p_shift: round(permutationPValue(observed, nullMeans)),
      shifts: nShifts,
    };
  });
  return { subjects, group, failures, excluded };
}

function round(v: number): number {
  return Number.isFinite(v) ? Math.round(v * 1e6) / 1e6 : v;
}
