/**
 * Ridge (one fixed penalty): equal to the normal equations solved in the test (Gaussian elimination, float64)
 * on the centred data without scaling, and to scikit-learn's Ridge(alpha) where Debian's python3-sklearn is
 * installed (optional interop check); standardised by default like RidgeCV; bad alphas refused.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Ridge, RidgeCV } from "../src/ridge/estimator.js";
import { gaussian, mulberry32 } from "../src/linalg/random.js";

const n = 60;
const p = 8;
const V = 3;
const rand = gaussian(mulberry32(5));
const x = { rows: n, cols: p, data: Float64Array.from({ length: n * p }, () => rand() * 2 + 1) };
const y = { rows: n, cols: V, data: Float64Array.from({ length: n * V }, () => rand() + 3) };

/** (XcᵀXc + αI)⁻¹·Xcᵀ·yc and the intercept ȳ − x̄ᵀβ, by Gaussian elimination with partial pivoting. */
function normalEquations(alpha: number): { coef: Float64Array; intercept: Float64Array } {
  const xm = Array.from(
    { length: p },
    (_, j) => Array.from({ length: n }, (_, i) => x.data[i * p + j]).reduce((a, b) => a + b) / n,
  );
  const ym = Array.from(
    { length: V },
    (_, t) => Array.from({ length: n }, (_, i) => y.data[i * V + t]).reduce((a, b) => a + b) / n,
  );
  const coef = new Float64Array(p * V);
  const intercept = new Float64Array(V);
  for (let t = 0; t < V; t++) {
    const m = Array.from({ length: p }, (_, a) => [
      ...Array.from({ length: p }, (_, b) => {
        let s = a === b ? alpha : 0;
        for (let i = 0; i < n; i++) s += (x.data[i * p + a] - xm[a]) * (x.data[i * p + b] - xm[b]);
        return s;
      }),
      Array.from({ length: n }, (_, i) => (x.data[i * p + a] - xm[a]) * (y.data[i * V + t] - ym[t])).reduce(
        (u, v) => u + v,
      ),
    ]);
    for (let c = 0; c < p; c++) {
      const piv = m.slice(c).reduce((best, row, k) => (Math.abs(row[c]) > Math.abs(m[best][c]) ? c + k : best), c);
      [m[c], m[piv]] = [m[piv], m[c]];
      for (let r = 0; r < p; r++)
        if (r !== c) {
          const f = m[r][c] / m[c][c];
          for (let k = c; k <= p; k++) m[r][k] -= f * m[c][k];
        }
    }
    let off = ym[t];
    for (let j = 0; j < p; j++) {
      coef[j * V + t] = m[j][p] / m[j][j];
      off -= xm[j] * coef[j * V + t];
    }
    intercept[t] = off;
  }
  return { coef, intercept };
}

const maxRel = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / scale);
  return worst;
};

describe("Ridge with one fixed penalty", () => {
  it.each([0.5, 30])("without scaling, equals the normal equations (alpha %f)", async (alpha) => {
    const model = await new Ridge({ alpha, standardize: false, dtype: "float64" }).fit(x, y);
    const ref = normalEquations(alpha);
    expect(model.alpha).toBe(alpha);
    expect(maxRel(model.coef!.data, ref.coef)).toBeLessThan(1e-10);
    expect(maxRel(model.intercept!, ref.intercept)).toBeLessThan(1e-10);
    expect(Array.from(model.bestAlphas!)).toEqual([alpha, alpha, alpha]);
  });

  it("standardises X by default, as RidgeCV with a grid of that alpha does", async () => {
    const a = await new Ridge({ alpha: 4, dtype: "float64" }).fit(x, y);
    const b = await new RidgeCV({ alphas: [4], alphaSelection: "loo", dtype: "float64" }).fit(x, y);
    expect(maxRel(a.coef!.data, b.coef!.data)).toBeLessThan(1e-12);
    expect(maxRel((await a.predict(x)).data, (await b.predict(x)).data)).toBeLessThan(1e-12);
    expect(maxRel(a.coef!.data, normalEquations(4).coef)).toBeGreaterThan(1e-3);
  });

  it("refuses an alpha that is not a finite number > 0", () => {
    expect(() => new Ridge({ alpha: 0 })).toThrow(/Ridge: alpha must be a finite number > 0, got 0/);
    expect(() => new Ridge({ alpha: Number.NaN })).toThrow(/got NaN/);
  });

  const hasSklearn = spawnSync("/usr/bin/python3", ["-c", "import sklearn"], { encoding: "utf8" }).status === 0;
  it.skipIf(!hasSklearn)("equals scikit-learn's Ridge(alpha) coef_ and intercept_ (optional interop)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ridge-sklearn-"));
    try {
      writeFileSync(join(dir, "x.bin"), Buffer.from(x.data.buffer));
      writeFileSync(join(dir, "y.bin"), Buffer.from(y.data.buffer));
      const script = `import numpy as np, sys
from sklearn.linear_model import Ridge
d = sys.argv[1]
x = np.fromfile(d + "/x.bin").reshape(${n}, ${p}); y = np.fromfile(d + "/y.bin").reshape(${n}, ${V})
m = Ridge(alpha=2.5).fit(x, y)
np.ascontiguousarray(m.coef_.T).tofile(d + "/coef.bin"); m.intercept_.tofile(d + "/intercept.bin")`;
      const run = spawnSync("/usr/bin/python3", ["-c", script, dir], { encoding: "utf8" });
      expect(run.status, run.stderr).toBe(0);
      const read = (f: string) => new Float64Array(new Uint8Array(readFileSync(join(dir, f))).buffer);
      const model = await new Ridge({ alpha: 2.5, standardize: false, dtype: "float64" }).fit(x, y);
      expect(maxRel(model.coef!.data, read("coef.bin"))).toBeLessThan(1e-10);
      expect(maxRel(model.intercept!, read("intercept.bin"))).toBeLessThan(1e-10);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
