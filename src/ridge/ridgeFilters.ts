/**
 * The ridge formulas every solver path shares — the step-by-step criteria (alphaSelection.ts), the fused ONNX
 * fold (fusedFold.ts), the refits (targets.ts) and banded ridge — so each is written once. All are
 * diagonal filters of one thin SVD X = U·diag(s)·Vᵀ; arrays are laid out [alpha × component].
 */
import { choleskyBlocked } from "../linalg/cholesky.js";
import type { Gemm } from "../linalg/tridiagonalEigen.js";

/** h[a*r + i] = s_i² / (s_i² + α_a): the ridge shrinkage of each singular direction. */
export function shrinkage(s: Float64Array, alphas: ArrayLike<number>): Float64Array {
  const r = s.length;
  const h = new Float64Array(alphas.length * r);
  for (let a = 0; a < alphas.length; a++)
    for (let i = 0; i < r; i++) h[a * r + i] = (s[i] * s[i]) / (s[i] * s[i] + alphas[a]);
  return h;
}

/** f[a*r + i] = s_i / (s_i² + α_a): coefficients in the singular basis are f ⊙ (Uᵀy). */
export function ridgeFilter(s: Float64Array, alphas: ArrayLike<number>): Float64Array {
  const r = s.length;
  const f = new Float64Array(alphas.length * r);
  for (let a = 0; a < alphas.length; a++) for (let i = 0; i < r; i++) f[a * r + i] = s[i] / (s[i] * s[i] + alphas[a]);
  return f;
}

/**
 * Generalized cross-validation, RSS/n / (1 − df/n)² with df = 1 (intercept) + Σ h: `gain` = 2h − h² is the
 * share of ||Uᵀy||² the fit removes from the RSS, `denom` = (1 − df/n)² per alpha.
 */
export function gcvTerms(
  s: Float64Array,
  alphas: ArrayLike<number>,
  nTrain: number,
): { gain: Float64Array; denom: Float64Array } {
  const A = alphas.length;
  const r = s.length;
  const h = shrinkage(s, alphas);
  const gain = new Float64Array(A * r);
  const denom = new Float64Array(A);
  for (let a = 0; a < A; a++) {
    let df = 1;
    for (let i = 0; i < r; i++) {
      const v = h[a * r + i];
      gain[a * r + i] = 2 * v - v * v;
      df += v;
    }
    denom[a] = (1 - df / nTrain) ** 2;
  }
  return { gain, denom };
}

/**
 * Exact leave-one-out (scikit-learn's efficient LOO with an intercept): the fitted values are
 * (U·diag(h_a))·Uᵀy, and sample j's LOO residual is its residual times 1/(1 − H_jj) with leverage
 * H_jj = 1/n + Σ_i h_ai U_ji². Returns the stack U·diag(h_a) [A × n × r] and the weights [A × n].
 */
export function looTerms(
  U: { rows: number; cols: number; data: ArrayLike<number> },
  s: Float64Array,
  alphas: ArrayLike<number>,
): { stack: Float64Array; weights: Float64Array } {
  const A = alphas.length;
  const { rows: n, cols: r, data } = U;
  const h = shrinkage(s, alphas);
  const stack = new Float64Array(A * n * r);
  for (let a = 0; a < A; a++) {
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < r; i++) stack[(a * n + j) * r + i] = data[j * r + i] * h[a * r + i];
    }
  }
  return { stack, weights: looWeights(U, s, alphas) };
}

/** The LOO weights 1/(1 − H_jj) of `looTerms` alone, [A × n]. */
export function looWeights(
  U: { rows: number; cols: number; data: ArrayLike<number> },
  s: Float64Array,
  alphas: ArrayLike<number>,
): Float64Array {
  const A = alphas.length;
  const { rows: n, cols: r, data } = U;
  const h = shrinkage(s, alphas);
  const weights = new Float64Array(A * n);
  for (let a = 0; a < A; a++) {
    for (let j = 0; j < n; j++) {
      let lev = 1 / n;
      for (let i = 0; i < r; i++) {
        const u = data[j * r + i];
        lev += h[a * r + i] * u * u;
      }
      weights[a * n + j] = 1 / (1 - lev);
    }
  }
  return weights;
}

/**
 * The same LOO error as a quadratic form, for decompositions whose U spans every centred direction of the
 * training rows (r = n − 1: kernel form, or a full-rank design as wide as the data). Then the training
 * residual is U·diag(g_a)·z with g = 1 − h = α/(s² + α) and z = Uᵀy, so the weighted LOO error is
 * ‖w_a ⊙ U g_a z‖² = ‖R_a·z‖² with R_a = L_aᵀ·diag(g_a), L_a the Cholesky factor of Uᵀ·diag(w_a²)·U.
 * R_a is upper triangular, so scoring an alpha costs half the products of forming its residual.
 * `grams` returns UᵀW_a²U for the weights of every alpha (A × n); `gemm` runs the blocked factorisation's
 * products. `visit(a, lower, g)` receives L_a (row-major, r × r) and g_a, so R_a[j][k] = lower[k·r + j]·g[k]
 * for k ≥ j; `lower` is one buffer reused for every alpha (10 fresh r × r arrays a fold were mostly page
 * faults), so the visitor copies what it keeps.
 * Returns false when a factorisation fails (then the residual form is used).
 */
export async function looTriangularFactors(
  U: { rows: number; cols: number; data: ArrayLike<number> },
  s: Float64Array,
  alphas: ArrayLike<number>,
  grams: (weights: Float64Array) => Promise<ArrayLike<number>[]>,
  visit: (a: number, lower: Float64Array, g: Float64Array) => void,
  gemm?: Gemm,
): Promise<boolean> {
  const { cols: r } = U;
  const weights = looWeights(U, s, alphas);
  const gramOf = await grams(weights);
  const lower = new Float64Array(r * r);
  const g = new Float64Array(r);
  for (let a = 0; a < alphas.length; a++) {
    if (!(await choleskyBlocked(gramOf[a], r, gemm, lower))) return false;
    // g = α/(s² + α) directly: 1 − h loses its digits where h is near 1.
    for (let k = 0; k < r; k++) g[k] = alphas[a] / (s[k] * s[k] + alphas[a]);
    visit(a, lower, g);
  }
  return true;
}

/**
 * A target's training variance, or exactly 0 when it is constant up to rounding of its baseline (the
 * whole-series mean the block was centred on): such a target has nothing to predict.
 */
export function flooredVariance(variance: number, baseline: number): number {
  return variance > (1e-6 * Math.abs(baseline)) ** 2 && variance > 1e-30 ? variance : 0;
}
