import { afterAll, describe, expect, it } from "vitest";
import { createBackend } from "../src/backend/index.js";
import { storyWindowPcaScores } from "../src/forecast/storyWindowPca.js";
import { forecastOffsets, windowPcaScores, wordGram } from "../src/forecast/windowPca.js";
import type { Matrix } from "../src/linalg/dense.js";
import { eigh } from "../src/linalg/eigh.js";
import { gaussian, mulberry32 } from "../src/linalg/random.js";

const be = createBackend("onnxruntime", "float64");
afterAll(() => be.dispose());

/** Word states with a decaying spectrum (column j scaled by 0.75^j), so the top components are well separated. */
function story(words: number, d: number, seed: number): Matrix {
  const rand = gaussian(mulberry32(seed));
  return { rows: words, cols: d, data: Float64Array.from({ length: words * d }, (_, i) => rand() * 0.75 ** (i % d)) };
}

/** The windows written out (zeros past each story's ends), centred on the training windows, PCA by eigh. */
function explicitPca(stories: Matrix[], offsets: number[], train: number[], k: number): Matrix[] {
  const d = stories[0].cols;
  const D = offsets.length * d;
  const windows = stories.map(({ rows: W, data }) => {
    const out = new Float64Array(W * D);
    for (let t = 0; t < W; t++)
      offsets.forEach((o, oi) => {
        if (t + o >= 0 && t + o < W) for (let i = 0; i < d; i++) out[t * D + oi * d + i] = data[(t + o) * d + i];
      });
    return out;
  });
  const mean = new Float64Array(D);
  let T = 0;
  for (const s of train) {
    T += stories[s].rows;
    for (let t = 0; t < stories[s].rows; t++) for (let j = 0; j < D; j++) mean[j] += windows[s][t * D + j];
  }
  mean.forEach((v, j) => (mean[j] = v / T));
  const cov = new Float64Array(D * D);
  for (const s of train)
    for (let t = 0; t < stories[s].rows; t++) {
      for (let a = 0; a < D; a++)
        for (let b = 0; b < D; b++)
          cov[a * D + b] += (windows[s][t * D + a] - mean[a]) * (windows[s][t * D + b] - mean[b]);
    }
  const e = eigh(cov, D);
  return stories.map(({ rows: W }, s) => {
    const out = new Float64Array(W * k);
    for (let t = 0; t < W; t++)
      for (let c = 0; c < k; c++) {
        const axis = e.vectors.subarray((D - 1 - c) * D, (D - c) * D);
        let v = 0;
        for (let j = 0; j < D; j++) v += (windows[s][t * D + j] - mean[j]) * axis[j];
        out[t * k + c] = v;
      }
    return { rows: W, cols: k, data: out };
  });
}

/** Largest |a − ±b| per component over all stories, relative to the component's largest score. */
function worstUpToSign(a: Matrix[], b: Matrix[], k: number): number {
  let worst = 0;
  for (let c = 0; c < k; c++) {
    let dot = 0;
    let scale = 0;
    a.forEach((m, s) => {
      for (let t = 0; t < m.rows; t++) {
        dot += m.data[t * m.cols + c] * b[s].data[t * b[s].cols + c];
        scale = Math.max(scale, Math.abs(b[s].data[t * b[s].cols + c]));
      }
    });
    const sign = dot < 0 ? -1 : 1;
    a.forEach((m, s) => {
      for (let t = 0; t < m.rows; t++)
        worst = Math.max(worst, Math.abs(m.data[t * m.cols + c] - sign * b[s].data[t * b[s].cols + c]) / scale);
    });
  }
  return worst;
}

describe("window PCA over stories, in feature space", () => {
  const stories = [story(140, 6, 1), story(95, 6, 2), story(120, 6, 3), story(60, 6, 4)];

  it.each([-3, 0, 5])(
    "equals the PCA of the written-out windows (d = %i), fitted on three stories, applied to all four",
    async (d) => {
      const offsets = forecastOffsets(d, 7);
      const got = await storyWindowPcaScores(
        stories,
        { offsets, trainStories: [0, 1, 2], nComponents: 5, maxIterations: 100 },
        be,
      );
      const ref = explicitPca(stories, offsets, [0, 1, 2], 5);
      expect(got.scores.map((m) => m.rows)).toEqual([140, 95, 120, 60]);
      expect(worstUpToSign(got.scores, ref, 5)).toBeLessThan(1e-9);
      expect(got.iterations).toBeLessThan(100);
    },
  );

  it("windows stop at each story's ends: the held-out story's scores differ from those of the stories joined", async () => {
    const offsets = forecastOffsets(4, 7);
    const joined = { rows: 155, cols: 6, data: new Float64Array([...stories[1].data, ...stories[3].data]) };
    const apart = await storyWindowPcaScores(
      [stories[1], stories[3]],
      { offsets, trainStories: [0, 1], nComponents: 3 },
      be,
    );
    const together = await storyWindowPcaScores([joined], { offsets, trainStories: [0], nComponents: 3 }, be);
    const split = [
      { rows: 95, cols: 3, data: together.scores[0].data.slice(0, 95 * 3) },
      { rows: 60, cols: 3, data: together.scores[0].data.slice(95 * 3) },
    ];
    expect(worstUpToSign(apart.scores, split, 3)).toBeGreaterThan(1e-3);
  });

  it("on one story with every word in training, equals the word-Gram path (windowPca.ts)", async () => {
    const X = stories[0];
    const offsets = forecastOffsets(6, 7);
    const got = await storyWindowPcaScores([X], { offsets, trainStories: [0], nComponents: 4, maxIterations: 100 }, be);
    const viaGram = await windowPcaScores(
      await wordGram(X, be),
      { offsets, trainWords: Int32Array.from({ length: X.rows }, (_, i) => i), nComponents: 4 },
      be,
    );
    expect(worstUpToSign(got.scores, [viaGram], 4)).toBeLessThan(1e-9);
  });

  it("refuses stories of different widths, unknown training stories and too few training words", async () => {
    await expect(
      storyWindowPcaScores([story(10, 6, 1), story(10, 5, 2)], { offsets: [0], trainStories: [0], nComponents: 2 }, be),
    ).rejects.toThrow(/story 1 has 5 features, story 0 has 6/);
    await expect(
      storyWindowPcaScores([story(10, 6, 1)], { offsets: [0], trainStories: [3], nComponents: 2 }, be),
    ).rejects.toThrow(/no story 3/);
    await expect(
      storyWindowPcaScores([story(1, 6, 1)], { offsets: [0], trainStories: [0], nComponents: 2 }, be),
    ).rejects.toThrow(/at least 2 training words/);
  });
});
