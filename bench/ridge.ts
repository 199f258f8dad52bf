/**
 * Ridge benchmark on the canonical problem: n = 1,040 samples, p = 240 features, V = 81,924 targets
 * (fsaverage6, both hemispheres), 10 alphas, 5 outer folds. Prints JSON per alpha-selection mode:
 * seconds, achieved GFLOP/s (from the dominant products' operation count) and peak RSS.
 */
import { brainScore } from "../src/ridge/crossValidate.js";
import type { AlphaSelection } from "../src/ridge/alphaSelection.js";
import type { DType, Matrix } from "../src/linalg/dense.js";
import { mulberry32, gaussian } from "../src/linalg/random.js";

export interface RidgeBenchOptions {
  n?: number;
  p?: number;
  V?: number;
  modes?: AlphaSelection[];
  dtype?: DType;
}

/** Planted linear encoding problem with SNR spread over targets, seeded. */
export function syntheticEncodingProblem(n: number, p: number, V: number, seed = 0): { x: Matrix; y: Matrix } {
  const rand = gaussian(mulberry32(seed));
  const x = new Float32Array(n * p);
  for (let i = 0; i < n * p; i++) x[i] = rand();
  const k = 8; // low-rank signal keeps generation cheap: Y = X·A·B + noise
  const a = Float32Array.from({ length: p * k }, () => rand() / Math.sqrt(p));
  const xa = new Float32Array(n * k);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < p; j++) for (let l = 0; l < k; l++) xa[i * k + l] += x[i * p + j] * a[j * k + l];
  const y = new Float32Array(n * V);
  const b = new Float32Array(k);
  for (let t = 0; t < V; t++) {
    const gain = (t % 100) / 100;
    for (let l = 0; l < k; l++) b[l] = rand() * gain;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let l = 0; l < k; l++) s += xa[i * k + l] * b[l];
      y[i * V + t] = s + rand();
    }
  }
  return { x: { rows: n, cols: p, data: x }, y: { rows: n, cols: V, data: y } };
}

/** Multiply-adds ×2 of the products that dominate each mode (per outer fold, summed). */
function flopCount(mode: AlphaSelection, n: number, p: number, V: number, A: number, K: number): number {
  const nTe = n / K;
  const nTr = n - nTe;
  const r = Math.min(p, nTr);
  const projections = 2 * r * nTr * V;
  const predict = 2 * nTe * r * V;
  let select = 2 * A * r * V; // gcv
  if (mode === "loo") select = 2 * A * nTr * r * V;
  if (mode === "kfold") {
    const nVal = nTr / 5;
    select = 5 * (2 * r * (nTr - nVal) * V + 2 * A * nVal * r * V);
  }
  return K * (projections + predict + select);
}

export async function benchRidge(opts: RidgeBenchOptions = {}): Promise<object[]> {
  const n = opts.n ?? 1040;
  const p = opts.p ?? 240;
  const V = opts.V ?? 81924;
  const dtype = opts.dtype ?? "float32";
  const t0 = performance.now();
  const { x, y } = syntheticEncodingProblem(n, p, V, 1);
  const genSeconds = (performance.now() - t0) / 1000;
  const rows: object[] = [];
  for (const mode of opts.modes ?? (["gcv", "loo", "kfold"] as AlphaSelection[])) {
    const t = performance.now();
    const res = await brainScore(x, y, { alphaSelection: mode, dtype });
    const seconds = (performance.now() - t) / 1000;
    let mean = 0;
    for (const v of res.r) mean += v / V;
    rows.push({
      benchmark: "ridge",
      mode,
      n,
      p,
      V,
      alphas: res.alphaGrid.length,
      folds: res.nFolds,
      dtype,
      seconds: +seconds.toFixed(3),
      gflopPerSecond: +(flopCount(mode, n, p, V, res.alphaGrid.length, res.nFolds) / seconds / 1e9).toFixed(1),
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      meanBrainScore: +mean.toFixed(4),
      dataGenerationSeconds: +genSeconds.toFixed(2),
    });
  }
  return rows;
}
