/** Penalty grids. The default is the paper's code: 10 values log-spaced from 1e-1 to 1e8. */

export function logspace(startExp: number, stopExp: number, count: number): Float64Array {
  if (count === 1) return Float64Array.of(10 ** startExp);
  const out = new Float64Array(count);
  // Same arithmetic as numpy.logspace (power of a linspace), so grids compare equal to numpy's.
  const step = (stopExp - startExp) / (count - 1);
  for (let i = 0; i < count; i++) out[i] = 10 ** (startExp + i * step);
  return out;
}

/** The default penalty grid: 10 values log-spaced from 1e-1 to 1e8. */
export const DEFAULT_ALPHAS: Readonly<Float64Array> = logspace(-1, 8, 10);

/**
 * Parses "0.1,1,10" or "logspace:-1:8:10" (numpy.logspace arguments). Every alpha must be finite and > 0.
 */
export function parseAlphas(spec: string): Float64Array {
  const s = spec.trim();
  if (s === "") throw new Error(`alphas: the alpha grid is empty (give "0.1,1,10" or "logspace:-1:8:10")`);
  let values: Float64Array;
  if (s.startsWith("logspace:")) {
    const parts = s.slice("logspace:".length).split(":").map(Number);
    if (parts.length !== 3 || parts.some((x) => !Number.isFinite(x)) || !Number.isInteger(parts[2]) || parts[2] < 1) {
      throw new Error(`alphas: expected logspace:START:STOP:COUNT (exponents of 10), got "${spec}"`);
    }
    values = logspace(parts[0], parts[1], parts[2]);
  } else {
    values = Float64Array.from(s.split(",").map((x) => Number(x.trim())));
  }
  validateAlphas(values, spec);
  return values;
}

export function validateAlphas(values: ArrayLike<number>, where = "alphas"): void {
  if (values.length === 0) throw new Error(`${where}: the alpha grid is empty`);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]) || values[i] <= 0) {
      throw new Error(`${where}: every alpha must be a finite number > 0 (got ${values[i]} at position ${i})`);
    }
  }
}
