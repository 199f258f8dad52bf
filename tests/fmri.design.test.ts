/** HRFs and event regressors against nilearn 0.9.2 (../shared/reference/hrf); the paper's word design. */
import { describe, expect, it } from "vitest";
import { gammaDifferenceHrf, GLOVER, gloverHrf, spmHrf } from "../src/fmri/design/hrf.js";
import { lgamma } from "../src/stats/distributions.js";
import { computeRegressor, eventResponses, highResolutionGrid } from "../src/fmri/design/regressors.js";
import { namedTrDesign, wordDesign } from "../src/fmri/design/wordDesign.js";
import { sumWordsIntoTRs, trIndexOfOnset } from "../src/fmri/design/wordsPerTR.js";
import { referenceTensors } from "./helpers/shared.js";

const ref = referenceTensors("reference/hrf/reference.safetensors");
const f64 = (n: string) => ref(n).data as Float64Array;
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe("HRFs (nilearn 0.9.2)", () => {
  it("glover and spm kernels match to 1e-15", () => {
    expect(maxDiff(gloverHrf(1.5), f64("glover_hrf"))).toBeLessThan(1e-15);
    expect(maxDiff(spmHrf(1.5), f64("spm_hrf"))).toBeLessThan(1e-15);
  });
  it("log-gamma is accurate", () => {
    expect(lgamma(1)).toBeCloseTo(0, 14);
    expect(lgamma(5)).toBeCloseTo(Math.log(24), 13);
    expect(lgamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 13);
  });
});

describe("event regressors (compute_regressor)", () => {
  const onsets = f64("onsets");
  const frameTimes = f64("frame_times");
  const zeros = new Float64Array(onsets.length);
  const ones = new Float64Array(onsets.length).fill(1);
  it("reproduces nilearn's high-resolution grid exactly", () => {
    expect(maxDiff(highResolutionGrid(frameTimes), f64("hr_frame_times"))).toBe(0);
  });
  it.each(["glover", "spm"] as const)("%s regressor for the 954 pieman words matches to 1e-12", (model) => {
    expect(
      maxDiff(computeRegressor(onsets, zeros, ones, frameTimes, { model }).data, f64(`regressor_${model}`)),
    ).toBeLessThan(1e-12);
  });
  it("FIR regressors (delays 0–5 scans) match to 1e-12", () => {
    const fir = computeRegressor(onsets, zeros, ones, frameTimes, { model: "fir", firDelays: [0, 1, 2, 3, 4, 5] });
    expect(fir.cols).toBe(6);
    expect(maxDiff(fir.data, f64("regressor_fir"))).toBeLessThan(1e-12);
  });
  it("per-event responses are linear: features · responses = one regressor per feature", () => {
    const [R] = eventResponses(onsets.subarray(0, 50), zeros.subarray(0, 50), frameTimes, { model: "glover" });
    const amps = Float64Array.from({ length: 50 }, (_, i) => Math.sin(i));
    const direct = computeRegressor(onsets.subarray(0, 50), zeros.subarray(0, 50), amps, frameTimes, {
      model: "glover",
    });
    const features = { rows: 50, cols: 1, data: amps };
    const viaDesign = wordDesign(features, onsets.subarray(0, 50), { kind: "hrf", tr: 1.5, nTRs: 300 });
    expect(maxDiff(viaDesign.design.data, direct.data)).toBeLessThan(1e-12);
    expect(R.rows).toBe(300);
  });
});

describe("the paper's word design", () => {
  it("puts a word with onset t in TR floor(t / TR) + 1 and sums words sharing a TR", () => {
    expect(trIndexOfOnset(0, 1.5)).toBe(1);
    expect(trIndexOfOnset(1.49, 1.5)).toBe(1);
    expect(trIndexOfOnset(1.5, 1.5)).toBe(2);
    const x = { rows: 4, cols: 2, data: Float64Array.from([1, 10, 2, 20, 3, 30, 4, 40]) };
    const { design, dropped, counts } = sumWordsIntoTRs(x, [0.1, 0.2, 2.0, 9.9], 4, 1.5);
    expect(Array.from(design.data)).toEqual([0, 0, 3, 30, 3, 30, 0, 0]);
    expect(dropped).toBe(1);
    expect(Array.from(counts)).toEqual([0, 2, 1, 0]);
    expect(() => sumWordsIntoTRs(x, [0, NaN, 1, 2], 4, 1.5)).toThrow(/word 1 has no onset/);
  });
  it("adds 6 FIR delays by default without wrap-around", () => {
    const x = { rows: 1, cols: 1, data: Float64Array.of(5) };
    const { design } = wordDesign(x, [0], { kind: "fir", tr: 1.5, nTRs: 10 });
    expect(design.cols).toBe(6);
    for (let d = 0; d < 6; d++) expect(design.data[(1 + d) * 6 + d]).toBe(5);
    expect(Array.from(design.data).reduce((a, b) => a + b, 0)).toBe(30);
  });
  it("summedHrf: the same TR sums convolved with the HRF sampled at the TR (the simulator's planting rule)", () => {
    // Two words in TR 1 and one in TR 3, two features: each column is the TR sums convolved with glover_hrf(tr, 1).
    const x = { rows: 3, cols: 2, data: Float64Array.from([1, -2, 0.5, 4, 3, 1]) };
    const T = 30;
    const { design } = wordDesign(x, [0.2, 1.0, 3.4], { kind: "summedHrf", tr: 1.5, nTRs: T });
    const h = gloverHrf(1.5, 1, 32); // the kernel itself is held to nilearn above
    expect(h.length).toBeGreaterThan(15);
    const sums = [
      [0, 1.5, 0, 3],
      [0, 2, 0, 1],
    ]; // per feature, TRs 0..3
    for (let j = 0; j < 2; j++) {
      for (let t = 0; t < T; t++) {
        let expected = 0;
        for (let k = 0; k < sums[j].length; k++) if (t - k >= 0 && t - k < h.length) expected += sums[j][k] * h[t - k];
        expect(design.data[t * 2 + j]).toBeCloseTo(expected, 14);
      }
    }
  });
  it("glover+derivative: the summed-TR HRF block, then the block of its time derivative (nilearn's δ = 0.1 s)", () => {
    const x = { rows: 3, cols: 2, data: Float64Array.from([1, -2, 0.5, 4, 3, 1]) };
    const onsets = [0.2, 1.0, 3.4];
    const plain = wordDesign(x, onsets, { kind: "summedHrf", tr: 1.5, nTRs: 30 }).design;
    const both = wordDesign(x, onsets, { ...namedTrDesign("glover+derivative"), tr: 1.5, nTRs: 30 }).design;
    expect(both.cols).toBe(4);
    const h = gloverHrf(1.5, 1, 32);
    const later = gammaDifferenceHrf(1.5, GLOVER, 1, 32, 0.1);
    const dh = h.map((v, k) => (v - later[k]) / 0.1);
    // The derivative kernel is positive before the peak and negative after it: a response shifted earlier.
    expect(dh[2]).toBeGreaterThan(0);
    expect(dh[6]).toBeLessThan(0);
    const sums = [
      [0, 1.5, 0, 3],
      [0, 2, 0, 1],
    ];
    for (let t = 0; t < 30; t++) {
      for (let j = 0; j < 2; j++) {
        expect(both.data[t * 4 + j]).toBe(plain.data[t * 2 + j]);
        let expected = 0;
        for (let k = 0; k < 4; k++) if (t - k >= 0 && t - k < dh.length) expected += sums[j][k] * dh[t - k];
        expect(both.data[t * 4 + 2 + j]).toBeCloseTo(expected, 12);
      }
    }
    expect(namedTrDesign("fir", [0, 2])).toEqual({ kind: "fir", delays: [0, 2] });
    expect(namedTrDesign("spm")).toEqual({ kind: "summedHrf", model: "spm", derivative: false });
  });
});

describe('the Huth lab\'s word design as a run option ("lanczos")', () => {
  it("is the words Lanczos-interpolated to mid-TR times, then the FIR delays; words far outside are counted", async () => {
    const { lanczosDownsample } = await import("../src/fmri/design/lanczos.js");
    const { firDelays } = await import("../src/fmri/design/fir.js");
    const features = { rows: 5, cols: 2, data: Float64Array.from([1, 0, 0, 1, 2, 2, -1, 3, 0.5, 0.5]) };
    const onsets = [0.2, 1.1, 2.9, 4.4, 40];
    const got = wordDesign(features, onsets, { ...namedTrDesign("lanczos", [0, 1, 2]), tr: 1.5, nTRs: 8 });
    const mid = Float64Array.from({ length: 8 }, (_, i) => (i + 0.5) * 1.5);
    const want = firDelays(lanczosDownsample(features, onsets, mid, { window: 3 }), [0, 1, 2]);
    expect(Array.from(got.design.data)).toEqual(Array.from(want.data));
    expect([got.design.rows, got.design.cols]).toEqual([8, 6]);
    expect(got.droppedWords).toBe(1); // the word at 40 s is beyond 3 TRs of the last TR time (11.25 s)
    expect(got.description).toMatch(
      /Lanczos-interpolated to mid-TR times \(window 3, cutoff 1\/TR\), FIR delays 0,1,2 TRs/,
    );
  });
});
