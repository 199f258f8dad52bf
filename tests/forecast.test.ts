/** Forecast windows, training-only PCA, and sweeps that recover known answers. */
import { describe, expect, it } from "vitest";
import { OrtBackend } from "../src/backend/ort.js";
import { forecastSweep, peakDistances } from "../src/forecast/sweep.js";
import {
  forecastOffsets,
  orthonormalizedColumns,
  windowGram,
  shiftedWindowGram,
  windowPcaScoresAt,
  windowPcaScores,
  windowPcaScoresFromGram,
  wordGram,
} from "../src/forecast/windowPca.js";
import { gaussian, mulberry32 } from "../src/linalg/random.js";
import { plantedSignal, withNoise } from "../src/simulate/plantedSignal.js";
import { readWords } from "../src/stimuli/readers.js";
import { sharedPath } from "./helpers/shared.js";

function randomFeatures(W: number, E: number, seed: number) {
  const rand = gaussian(mulberry32(seed));
  return { rows: W, cols: E, data: Float64Array.from({ length: W * E }, rand) };
}

describe("forecast windows and PCA", () => {
  it("windows end d words ahead", () => {
    expect(forecastOffsets(8)).toEqual([2, 3, 4, 5, 6, 7, 8]);
    expect(forecastOffsets(-2, 3)).toEqual([-4, -3, -2]);
  });

  it("PCA scores equal an explicit centred projection fitted on the training words", async () => {
    const X = randomFeatures(120, 3, 1);
    const be = new OrtBackend({ dtype: "float64" });
    const train = Int32Array.from({ length: 80 }, (_, i) => i);
    const scores = await windowPcaScores(
      await wordGram(X, be),
      { offsets: [0, 1], trainWords: train, nComponents: 6 },
      be,
    );
    // With all 6 components kept, the scores are a rotation of the centred windows: inner products match.
    const win = (n: number) =>
      [0, 1].flatMap((o) => (n + o < 120 ? Array.from(X.data.subarray((n + o) * 3, (n + o) * 3 + 3)) : [0, 0, 0]));
    const mean = new Array(6).fill(0);
    for (const n of train) win(n).forEach((v, i) => (mean[i] += v / 80));
    for (const [a, b] of [
      [0, 5],
      [90, 100],
      [119, 3],
    ]) {
      const ca = win(a).map((v, i) => v - mean[i]);
      const cb = win(b).map((v, i) => v - mean[i]);
      const dot = ca.reduce((s, v, i) => s + v * cb[i], 0);
      let sdot = 0;
      for (let j = 0; j < 6; j++) sdot += scores.data[a * 6 + j] * scores.data[b * 6 + j];
      expect(sdot).toBeCloseTo(dot, 9);
    }
    await be.dispose();
  });

  it("never lets test words reach the PCA: training words' scores ignore the test words' features", async () => {
    const X = randomFeatures(200, 4, 2);
    const be = new OrtBackend({ dtype: "float64" });
    const train = Int32Array.from({ length: 150 }, (_, i) => i);
    const opts = { offsets: forecastOffsets(3, 4), trainWords: train, nComponents: 5 };
    const a = await windowPcaScores(await wordGram(X, be), opts, be);
    const Y = { ...X, data: X.data.slice() };
    for (let i = 160 * 4; i < Y.data.length; i++) Y.data[i] *= 10; // perturb words 160+ (test region)
    const b = await windowPcaScores(await wordGram(Y, be), opts, be);
    // Training words whose windows stay inside words < 160 keep identical scores (up to sign).
    for (let n = 0; n < 150; n++)
      for (let j = 0; j < 5; j++) expect(Math.abs(b.data[n * 5 + j])).toBeCloseTo(Math.abs(a.data[n * 5 + j]), 8);
    await be.dispose();
  });

  it("past 600 training words the subspace iteration gives the exact PCA's scores, also for fewer window dimensions than components", async () => {
    const be = new OrtBackend({ dtype: "float64" });
    // Features with a decaying spectrum (gaps between components), and features of 3 dimensions whose
    // 2-word windows span 6: fewer than the iteration's 32 vectors, so its CholeskyQR falls back.
    const rand = gaussian(mulberry32(7));
    const decaying = {
      rows: 900,
      cols: 40,
      data: Float64Array.from({ length: 900 * 40 }, (_, i) => rand() * 0.85 ** (i % 40)),
    };
    const train = Int32Array.from({ length: 700 }, (_, i) => (i < 300 ? i : i + 150)); // two runs, as a fold's
    for (const [X, k] of [
      [decaying, 20],
      [randomFeatures(900, 3, 8), 6],
    ] as const) {
      const gram = await wordGram(X, be);
      const opts = { offsets: [0, 1], trainWords: train, nComponents: 20 };
      const exact = await windowPcaScores(gram, { ...opts, solver: "exact" }, be);
      const subspace = await windowPcaScores(gram, opts, be); // "auto": 700 > 600
      const again = await windowPcaScores(gram, { ...opts, solver: "subspace" }, be);
      await expect(windowPcaScores(gram, { ...opts, solver: "lanczos" as "exact" }, be)).rejects.toThrow(
        /solver must be "auto", "exact" or "subspace", got "lanczos"/,
      );
      expect(Array.from(again.data)).toEqual(Array.from(subspace.data));
      let top = 0;
      for (const v of exact.data) top = Math.max(top, Math.abs(v));
      for (let j = 0; j < 20; j++) {
        let dot = 0;
        for (let n = 0; n < 900; n++) dot += exact.data[n * 20 + j] * subspace.data[n * 20 + j];
        const sign = dot < 0 ? -1 : 1;
        let err = 0;
        for (let n = 0; n < 900; n++)
          err = Math.max(err, Math.abs(exact.data[n * 20 + j] - sign * subspace.data[n * 20 + j]));
        expect(err).toBeLessThan(1e-8 * top);
        // Past the windows' rank both paths leave the component at zero.
        if (j >= k) for (let n = 0; n < 900; n++) expect(subspace.data[n * 20 + j]).toBe(0);
      }
    }
    await be.dispose();
  });

  it("one shifted window Gram serves every distance: windowGram's sums bit for bit, the per-fold PCA to rounding", async () => {
    const be = new OrtBackend({ dtype: "float64" });
    const W = 300;
    const X = randomFeatures(W, 5, 9);
    const gram = await wordGram(X, be);
    const permutation = Int32Array.from({ length: W }, (_, i) => (i * 7) % W);
    // Runs of training words with gaps of 60 words and of 1 word.
    const train = Int32Array.from({ length: 200 }, (_, i) => (i < 60 ? i : i < 120 ? i + 60 : i + 61));
    for (const perm of [undefined, permutation]) {
      const shifted = shiftedWindowGram(gram, 3, -4, 6, perm);
      expect(shifted.size).toBe(W + 10);
      for (const d of [-4, 0, 4, 6]) {
        const offsets = forecastOffsets(d, 3);
        const full = windowGram(gram, offsets, perm);
        const s = d - shifted.firstEnd;
        let differing = 0;
        for (let a = 0; a < W; a++)
          for (let b = 0; b < W; b++)
            if (!Object.is(shifted.G[(a + s) * shifted.size + b + s], full[a * W + b])) differing++;
        expect(differing).toBe(0);
        const perFold = await windowPcaScores(
          gram,
          { offsets, trainWords: train, nComponents: 8, permutation: perm },
          be,
        );
        const fromShifted = await windowPcaScoresAt(shifted, d, { trainWords: train, nComponents: 8 }, be);
        const fromFull = await windowPcaScoresFromGram(full, W, { trainWords: train, nComponents: 8 }, be);
        let top = 0;
        for (const v of perFold.data) top = Math.max(top, Math.abs(v));
        expect(top).toBeGreaterThan(0.1);
        for (let i = 0; i < perFold.data.length; i++) {
          expect(Math.abs(fromShifted.data[i] - perFold.data[i])).toBeLessThan(1e-12 * top);
          expect(Math.abs(fromFull.data[i] - perFold.data[i])).toBeLessThan(1e-12 * top);
        }
      }
      await expect(windowPcaScoresAt(shifted, 7, { trainWords: train, nComponents: 8 }, be)).rejects.toThrow(
        /distance 7 is outside the shifted Gram's -4 … 6/,
      );
    }
    await be.dispose();
  });

  it("orthonormalizes columns on the backend (CholeskyQR2): QᵀQ = I and the same span, dependent columns included", async () => {
    const be = new OrtBackend({ dtype: "float64" });
    const n = 400;
    const m = 12;
    const rand = gaussian(mulberry32(11));
    // Columns close to one another (z_j = g_0 + 10⁻⁴·g_j): condition ~10⁴, where one Cholesky pass leaves
    // ~10⁻⁸ of non-orthogonality.
    const g = Float64Array.from({ length: n * m }, rand);
    const z = Float64Array.from({ length: n * m }, (_, i) => (i % m === 0 ? g[i] : g[i - (i % m)] + 1e-4 * g[i]));
    const dependent = z.slice();
    for (let i = 0; i < n; i++) dependent[i * m + 5] = dependent[i * m + 2]; // column 5 = column 2
    // Condition ~10⁹: past CholeskyQR2's reach (its Gram matrix loses the small directions), so Gram–Schmidt.
    const nearlyDependent = Float64Array.from({ length: n * m }, (_, i) =>
      i % m === 0 ? g[i] : g[i - (i % m)] + 1e-9 * g[i],
    );
    for (const [input, independent] of [
      [z, true],
      [dependent, false],
      [nearlyDependent, true],
    ] as const) {
      const q = await orthonormalizedColumns(input.slice(), n, m, be);
      for (let a = 0; a < m; a++) {
        if (!independent && a === 5) continue; // Gram–Schmidt leaves a dependent column's remainder
        for (let b = 0; b < m; b++) {
          if (!independent && b === 5) continue;
          let dot = 0;
          for (let i = 0; i < n; i++) dot += q[i * m + a] * q[i * m + b];
          expect(Math.abs(dot - (a === b ? 1 : 0))).toBeLessThan(1e-13);
        }
      }
      // Same span, same orientation: column a of z has a positive component along q_a and none past it.
      for (let a = 0; a < m; a++) {
        for (let b = a; b < m; b++) {
          let dot = 0;
          for (let i = 0; i < n; i++) dot += q[i * m + b] * input[i * m + a];
          if (b === a) expect(dot).toBeGreaterThan(0);
          else if (independent || (a !== 5 && b !== 5)) expect(Math.abs(dot)).toBeLessThan(1e-12);
        }
      }
    }
    await be.dispose();
  });
});

describe("forecast sweeps", () => {
  it("a target driven by the word k ahead peaks at d = k (window of 1 word)", async () => {
    const W = 900;
    const X = randomFeatures(W, 3, 3);
    const onsets = Float64Array.from({ length: W }, (_, n) => 0.4 * n);
    const nTRs = Math.ceil((0.4 * W) / 1.5) + 3;
    const bold = { rows: nTRs, cols: 2, data: new Float64Array(nTRs * 2) };
    const planted = [4, 9];
    planted.forEach((k, v) => {
      const s = withNoise(plantedSignal(X, onsets, { tr: 1.5, nTRs, d: k, windowLength: 1, seed: v }), 4, 10 + v);
      s.forEach((x, t) => (bold.data[t * 2 + v] = x));
    });
    const res = await forecastSweep(X, onsets, bold, {
      tr: 1.5,
      distances: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
      windowLength: 1,
      nComponents: 3,
    });
    expect(Array.from(peakDistances(res))).toEqual(planted);
    // Each distance's windows are prepared while the previous distance's ridge runs: the same scores one
    // distance at a time, and no distance at all is an empty sweep (the baseline alone).
    for (const d of [4, 11]) {
      const alone = await forecastSweep(X, onsets, bold, { tr: 1.5, distances: [d], windowLength: 1, nComponents: 3 });
      expect(Array.from(alone.scores)).toEqual(Array.from(res.scores.subarray(d * 2, d * 2 + 2)));
    }
    const none = await forecastSweep(X, onsets, bold, { tr: 1.5, distances: [], windowLength: 1, nComponents: 3 });
    expect(none.scores.length).toBe(0);
    expect(Array.from(none.baseline)).toEqual(Array.from(res.baseline));
  });

  it("recovers regions planted at d = 3 and d = 8 on pieman's real word timing (±1 word), not in the controls", async () => {
    const words = readWords(sharedPath("data/narratives/align/pieman/align.csv"));
    const W = words.words.length;
    const X = randomFeatures(W, 4, 5);
    const onsets = words.onsets.map((t) => t - 15); // story starts 10 TRs into the scan
    const nTRs = 281;
    const bold = { rows: nTRs, cols: 2, data: new Float64Array(nTRs * 2) };
    [3, 8].forEach((d, v) => {
      const s = withNoise(plantedSignal(X, onsets, { tr: 1.5, nTRs, d, seed: 20 + v }), 3, 30 + v);
      s.forEach((x, t) => (bold.data[t * 2 + v] = x));
    });
    const distances = Array.from({ length: 15 }, (_, i) => i - 2);
    const res = await forecastSweep(X, onsets, bold, { tr: 1.5, distances, nComponents: 28 });
    const peaks = peakDistances(res);
    expect(Math.abs(peaks[0] - 3)).toBeLessThanOrEqual(1);
    expect(Math.abs(peaks[1] - 8)).toBeLessThanOrEqual(1);
    const best = Math.max(...Array.from(res.forecast));
    expect(best).toBeGreaterThan(0.1);
    for (const control of ["random", "shuffled"] as const) {
      const c = await forecastSweep(X, onsets, bold, { tr: 1.5, distances: [3, 8], nComponents: 28, control });
      for (const f of c.forecast) expect(f).toBeLessThan(best / 3);
    }
  });

  it("generated futures equal to the true next words give the true forecast scores; other futures do not", async () => {
    const W = 320;
    const E = 3;
    const G = 6;
    const X = randomFeatures(W, E, 21);
    const onsets = Float64Array.from({ length: W }, (_, n) => 0.5 * n);
    const nTRs = Math.ceil((0.5 * W) / 1.5) + 3;
    const bold = { rows: nTRs, cols: 2, data: new Float64Array(nTRs * 2) };
    [2, 5].forEach((k, v) =>
      withNoise(plantedSignal(X, onsets, { tr: 1.5, nTRs, d: k, windowLength: 3, seed: v }), 2, 40 + v).forEach(
        (x, t) => (bold.data[t * 2 + v] = x),
      ),
    );
    // "Generated" word o after word n = the true word n + o (zero past the story's end).
    const truth = new Float32Array(W * G * E);
    for (let n = 0; n < W; n++)
      for (let o = 1; o <= G; o++)
        if (n + o < W) for (let e = 0; e < E; e++) truth[(n * G + o - 1) * E + e] = X.data[(n + o) * E + e];
    const opts = { tr: 1.5, distances: [-2, 0, 2, 3, 5, 6], windowLength: 3, nComponents: 6 };
    const real = await forecastSweep(X, onsets, bold, opts);
    const same = await forecastSweep(X, onsets, bold, {
      ...opts,
      control: "generated",
      generated: { states: truth, words: G, nEmbd: E },
    });
    for (let i = 0; i < real.forecast.length; i++) expect(same.forecast[i]).toBeCloseTo(real.forecast[i], 6);
    // Futures the model "got wrong" (other words): no gain at the planted distances, identical for d ≤ 0.
    const wrong = Float32Array.from(randomFeatures(W * G, E, 99).data);
    const gen = await forecastSweep(X, onsets, bold, {
      ...opts,
      control: "generated",
      generated: { states: wrong, words: G, nEmbd: E },
    });
    expect(gen.forecast[0]).toBeCloseTo(real.forecast[0], 6); // d = −2: only heard words in the window
    expect(gen.forecast[3 * 2 + 0]).toBeLessThan(real.forecast[3 * 2 + 0] / 3); // region planted at d = 2, at d = 3
    expect(gen.forecast[4 * 2 + 1]).toBeLessThan(real.forecast[4 * 2 + 1] / 3); // region planted at d = 5
    await expect(forecastSweep(X, onsets, bold, { ...opts, control: "generated" })).rejects.toThrow(
      /needs the generated futures/,
    );
    await expect(
      forecastSweep(X, onsets, bold, {
        ...opts,
        distances: [8],
        control: "generated",
        generated: { states: truth, words: G, nEmbd: E },
      }),
    ).rejects.toThrow(/distance 8 needs 8 generated words per context, 6 were generated/);
  });

  it("banded ridge removes the negative F(d) of an uninformative window; a planted future still shows", async () => {
    const W = 1000;
    const X = randomFeatures(W, 6, 3);
    const onsets = Float64Array.from({ length: W }, (_, n) => 0.4 * n);
    const nTRs = Math.ceil((0.4 * W) / 1.5) + 3;
    // Targets 0, 1: current word only (any window is uninformative); target 2: the word 6 ahead.
    const plants = [
      { d: 0, seed: 0 },
      { d: 0, seed: 1 },
      { d: 6, seed: 2 },
    ];
    const bold = { rows: nTRs, cols: 3, data: new Float64Array(nTRs * 3) };
    plants.forEach((p, v) =>
      withNoise(plantedSignal(X, onsets, { tr: 1.5, nTRs, d: p.d, windowLength: 1, seed: p.seed }), 2, 10 + v).forEach(
        (x, t) => (bold.data[t * 3 + v] = x),
      ),
    );
    const opts = { tr: 1.5, distances: [6, 25], nComponents: 12, windowLength: 3 };
    const single = await forecastSweep(X, onsets, bold, opts);
    const banded = await forecastSweep(X, onsets, bold, { ...opts, ridgeKind: "banded" });
    const at = (res: typeof single, d: number, v: number) => res.forecast[opts.distances.indexOf(d) * 3 + v];
    for (const v of [0, 1]) {
      expect(at(single, 25, v)).toBeLessThan(-0.02);
      expect(Math.abs(at(banded, 25, v))).toBeLessThan(0.01);
      expect(Math.abs(at(banded, 6, v))).toBeLessThan(0.01);
    }
    expect(at(banded, 6, 2)).toBeGreaterThan(0.1);
    expect(Math.abs(at(banded, 6, 2) - at(single, 6, 2))).toBeLessThan(0.05);
    // The baseline is the banded solver on the current words alone: close to the single-penalty one.
    for (let v = 0; v < 3; v++) expect(Math.abs(banded.baseline[v] - single.baseline[v])).toBeLessThan(0.02);
  });

  it("refuses distances wider than the story and windows longer than it", async () => {
    const X = randomFeatures(20, 2, 1);
    const onsets = Float64Array.from({ length: 20 }, (_, n) => n);
    const bold = { rows: 20, cols: 1, data: Float64Array.from({ length: 20 }, Math.sin) };
    await expect(forecastSweep(X, onsets, bold, { tr: 1.5, distances: [25] })).rejects.toThrow(
      /distance 25 is wider than the story \(20 words\)/,
    );
    await expect(forecastSweep(X, onsets, bold, { tr: 1.5, windowLength: 30, distances: [1] })).rejects.toThrow(
      /window \(30 words\) is longer than the story/,
    );
  });
});

describe("group-level forecast maps", () => {
  const fake = (forecast: number[][], distances: number[]) => ({
    distances,
    nTargets: forecast[0].length,
    baseline: new Float64Array(forecast[0].length),
    scores: Float64Array.from(forecast.flat()),
    forecast: Float64Array.from(forecast.flat()),
    control: "none" as const,
    droppedWords: 0,
  });
  it("keeps d* only where F(8) − F(0) is FDR-significant across subjects", async () => {
    const { groupForecastPeaks } = await import("../src/stats/forecastPeaks.js");
    const rand = gaussian(mulberry32(9));
    const subjects = Array.from({ length: 20 }, () =>
      fake(
        [0, 4, 8].map((d) => [
          d === 4 ? 0.05 + 0.01 * rand() : d === 8 ? 0.03 + 0.01 * rand() : 0.01 * rand(),
          0.01 * rand(),
        ]),
        [0, 4, 8],
      ),
    );
    const g = groupForecastPeaks(subjects, { alpha: 0.01 });
    expect(g.significant[0]).toBe(1);
    expect(g.dStar[0]).toBe(4);
    expect(g.significant[1]).toBe(0);
    expect(Number.isNaN(g.dStar[1])).toBe(true);
    expect(() => groupForecastPeaks(subjects, { dTest: 9 })).toThrow(/must include d = 9/);
  });
  it("with dRef null tests F(dTest) > 0: a forecast as strong at d = 0 as at d = 8 passes it, and fails F(8) > F(0)", async () => {
    const { groupForecastPeaks, forecastTestLabel } = await import("../src/stats/forecastPeaks.js");
    const rand = gaussian(mulberry32(4));
    // Target 0: F ≈ 0.04 at every distance (a short-range forecast the FIR delays partly hold); target 1: noise.
    const subjects = Array.from({ length: 16 }, () =>
      fake(
        [0, 4, 8].map(() => [0.04 + 0.01 * rand(), 0.01 * rand()]),
        [0, 4, 8],
      ),
    );
    const vsZero = groupForecastPeaks(subjects, { alpha: 0.01, dRef: null });
    expect(Array.from(vsZero.significant)).toEqual([1, 0]);
    expect(groupForecastPeaks(subjects, { alpha: 0.01 }).significant[0]).toBe(0);
    expect(() => groupForecastPeaks(subjects, { dTest: 9, dRef: null })).toThrow(/must include d = 9$/);
    expect(forecastTestLabel(8, null)).toBe("F(8) > 0");
    expect(forecastTestLabel(8, 0)).toBe("F(8) > F(0)");
  });
  it("finds the forecast depth k* per target", async () => {
    const { forecastDepth } = await import("../src/stats/forecastPeaks.js");
    const byLayer = new Map([
      [4, [fake([[0.1, 0.0]], [8])]],
      [8, [fake([[0.05, 0.2]], [8])]],
    ]);
    expect(Array.from(forecastDepth(byLayer).kStar)).toEqual([4, 8]);
  });
});
