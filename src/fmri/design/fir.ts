/**
 * Finite-impulse-response delays: the design at TR t also holds the features of TRs t−d for each delay d,
 * so the ridge learns a free-form response shape. Rows before a delay's start are zero (never wrapped
 * around from the end of the run).
 */
import type { Matrix } from "../../linalg/dense.js";

/** Returns [n × (p·delays.length)]: column block k holds the features delayed by delays[k] TRs. */
export function firDelays(x: Matrix, delays: readonly number[]): Matrix {
  if (delays.length === 0) throw new Error("firDelays: at least one delay is needed");
  for (const d of delays)
    if (!Number.isInteger(d) || d < 0) throw new Error(`firDelays: delays are whole TRs ≥ 0, got ${d}`);
  const { rows: n, cols: p } = x;
  const width = p * delays.length;
  const data = new Float64Array(n * width);
  delays.forEach((d, k) => {
    for (let t = d; t < n; t++) {
      for (let j = 0; j < p; j++) data[t * width + k * p + j] = x.data[(t - d) * p + j];
    }
  });
  return { rows: n, cols: width, data };
}

/** Delays in TRs covering [0, maxSeconds] (the paper: 6 delays, 0–7.5 s at TR 1.5 s). */
export function delaysForSeconds(maxSeconds: number, tr: number): number[] {
  const count = Math.floor(maxSeconds / tr + 1e-9) + 1;
  return Array.from({ length: count }, (_, i) => i);
}
