/** Seeded test matrices shared by the linear-algebra suites. */
import { gaussian, mulberry32 } from "../../src/linalg/random.js";

/** A + Aᵀ for a seeded Gaussian n × n A (row-major). */
export function randomSymmetric(n: number, seed: number): Float64Array {
  const rand = gaussian(mulberry32(seed));
  const a = Float64Array.from({ length: n * n }, rand);
  const s = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) s[i * n + j] = a[i * n + j] + a[j * n + i];
  return s;
}
