/**
 * Per-target scores of predictions, as scikit-learn's and himalaya's scorers compute them: Pearson r (the
 * brain score), R² (coefficient of determination), and the split of R² between feature spaces of a banded
 * model. Sums run in float64 over columns of row-major n × V matrices.
 */
import type { Matrix } from "../linalg/dense.js";

export type ScoringName = "pearson" | "r2";
/** A scorer returns one value per target (column), higher is better. */
export type Scorer = (yTrue: Matrix, yPred: Matrix) => Float64Array;
export type Scoring = ScoringName | Scorer;
/** Names of the built-in scorers. */
export const SCORING_NAMES: readonly ScoringName[] = ["pearson", "r2"];

function checkShapes(yTrue: Matrix, yPred: Matrix, what: string): void {
  if (yTrue.rows !== yPred.rows || yTrue.cols !== yPred.cols) {
    throw new Error(
      `${what}: true values are ${yTrue.rows} × ${yTrue.cols} but predictions are ${yPred.rows} × ${yPred.cols}`,
    );
  }
}

/** Pearson r per column; NaN where either side is constant. */
export function pearsonScore(yTrue: Matrix, yPred: Matrix): Float64Array {
  checkShapes(yTrue, yPred, "pearson");
  const { rows: n, cols: c } = yTrue;
  const my = columnMeans(yTrue);
  const mp = columnMeans(yPred);
  const syy = new Float64Array(c);
  const spp = new Float64Array(c);
  const syp = new Float64Array(c);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < c; t++) {
      const y = yTrue.data[i * c + t] - my[t];
      const p = yPred.data[i * c + t] - mp[t];
      syy[t] += y * y;
      spp[t] += p * p;
      syp[t] += y * p;
    }
  }
  return Float64Array.from(syp, (v, t) => (syy[t] > 0 && spp[t] > 0 ? v / Math.sqrt(syy[t] * spp[t]) : NaN));
}

/**
 * R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)² per column (scikit-learn's r2_score, multioutput "raw_values"); NaN for a constant
 * column.
 */
export function r2Score(yTrue: Matrix, yPred: Matrix): Float64Array {
  checkShapes(yTrue, yPred, "r2");
  const { rows: n, cols: c } = yTrue;
  const my = columnMeans(yTrue);
  const sse = new Float64Array(c);
  const sst = new Float64Array(c);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < c; t++) {
      const y = yTrue.data[i * c + t];
      const e = y - yPred.data[i * c + t];
      sse[t] += e * e;
      sst[t] += (y - my[t]) ** 2;
    }
  }
  return Float64Array.from(sse, (v, t) => (sst[t] > 0 ? 1 - v / sst[t] : NaN));
}

/**
 * himalaya's r2_score_split (include_correlation=True): the R² of the joint prediction Σ_j ŷ_j shared
 * between feature spaces, r2_j = Σ_i (2 y ŷ_j − ŷ_j Σ_k ŷ_k) / Σ_i y², with y centred on its own mean (the
 * function assumes zero-mean targets). The parts sum to 1 − Σ(y − Σ_k ŷ_k)² / Σ y², the joint R².
 */
export function r2ScoreSplit(yTrue: Matrix, predSplit: Matrix[]): Float64Array[] {
  for (const p of predSplit) checkShapes(yTrue, p, "r2ScoreSplit");
  const { rows: n, cols: c } = yTrue;
  const my = columnMeans(yTrue);
  const syy = new Float64Array(c);
  const num = predSplit.map(() => new Float64Array(c));
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < c; t++) {
      const y = yTrue.data[i * c + t] - my[t];
      let total = 0;
      for (const p of predSplit) total += p.data[i * c + t];
      syy[t] += y * y;
      predSplit.forEach((p, j) => {
        const v = p.data[i * c + t];
        num[j][t] += 2 * y * v - v * total;
      });
    }
  }
  return num.map((a) => Float64Array.from(a, (v, t) => (syy[t] > 0 ? v / syy[t] : NaN)));
}

export function resolveScorer(scoring: Scoring | undefined): Scorer {
  if (scoring === undefined || scoring === "pearson") return pearsonScore;
  if (scoring === "r2") return r2Score;
  if (typeof scoring === "function") return scoring;
  throw new Error(`scoring must be one of ${SCORING_NAMES.join(", ")} or a function, got ${JSON.stringify(scoring)}`);
}

function columnMeans(m: Matrix): Float64Array {
  const { rows: n, cols: c } = m;
  const mean = new Float64Array(c);
  for (let i = 0; i < n; i++) for (let t = 0; t < c; t++) mean[t] += m.data[i * c + t];
  for (let t = 0; t < c; t++) mean[t] /= n;
  return mean;
}
