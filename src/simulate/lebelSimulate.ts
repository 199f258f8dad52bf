/**
 * A simulated dataset in the ds003020 layout (LeBel et al. 2023) with planted voxels: the stories are real
 * word timings (the Narratives Gentle alignments in ../shared or any align.csv), written as TextGrids; each
 * planted voxel's response is a fixed random combination of the story design `lebelStoryDesign` builds from
 * one layer of a model (so the planted truth depends on the model and the layer), plus noise at the given
 * SNR; the other voxels are noise. The last story is the test story of one session. Seeded, deterministic.
 */
import { mulberry32, gaussian } from "../linalg/random.js";
import { readWords } from "../stimuli/readers.js";
import { LebelDataset, LEBEL_CODE_TR, LEBEL_PAD, LEBEL_ROWS_DROPPED } from "../fmri/datasets/lebel.js";
import { writeLebelDataset, writeLebelResponses } from "../fmri/datasets/lebelWriter.js";
import { lanczosStoryDesign } from "../fmri/design/storyDesign.js";
import { lebelStoryStates, openLebelExtractor } from "../pipeline/lebel.js";
import type { Matrix } from "../linalg/dense.js";

export interface LebelSimulation {
  seed: number;
  subjects: number;
  /** Stories: name → align.csv (Gentle); the last one is the test story. */
  stories: Record<string, string>;
  voxels: number;
  /**
   * Planted voxels: the first `count` of every subject, driven by the layer's states of each word — or, with
   * `distance` d, of the word d words ahead (zero past the story's end): a planted forecast for F(d).
   */
  planted: { count: number; layer: number; snr: number; distance?: number };
  model: string;
  context?: number;
  contextMode?: "exact" | "strided";
  /**
   * A functional grid [x, y, z] for the subjects' cortical masks (pycortex-db): the `voxels` voxels nearest the
   * grid's centre, in file order, so the planted voxels (the first columns) are the ball's lowest slices.
   */
  grid?: [number, number, number];
}

export interface LebelTruth {
  subjects: string[];
  train: string[];
  test: string;
  planted: number[];
}

/** Writes the layout under `root` and returns what was planted. */
export async function simulateLebelDataset(
  sim: LebelSimulation,
  root: string,
  options: { cacheDir?: string } = {},
): Promise<LebelTruth> {
  const names = Object.keys(sim.stories);
  if (names.length < 2) throw new Error("simulateLebelDataset: at least 2 stories (training and test) are needed");
  if (!(sim.planted.count >= 0 && sim.planted.count <= sim.voxels))
    throw new Error(`simulateLebelDataset: ${sim.planted.count} planted voxels of ${sim.voxels}`);
  const words: Record<string, { start: number; end: number; text: string }[]> = {};
  const respdict: Record<string, number> = {};
  for (const story of names) {
    const w = readWords(sim.stories[story]);
    words[story] = w.words.map((text, i) => ({ start: w.onsets[i], end: Math.max(w.offsets[i], w.onsets[i]), text }));
    const last = Math.max(...words[story].map((iv) => iv.end));
    // Enough TRs that the kept rows cover the story's end plus the delays: TR i sits at (i + 0.5)·2 − 10 s.
    respdict[story] = Math.ceil((last + 10) / LEBEL_CODE_TR) + LEBEL_PAD + LEBEL_ROWS_DROPPED.end + 4;
  }
  const subjects = Array.from({ length: sim.subjects }, (_, i) => `UTS${String(i + 1).padStart(2, "0")}`);
  const train = names.slice(0, -1);
  const test = names[names.length - 1];
  // The layout without responses first, so the designs are built by the reader the analysis uses.
  const empty = Object.fromEntries(subjects.map((s) => [s, {}]));
  const masks = sim.grid
    ? Object.fromEntries(
        subjects.map((s) => [s, { shape: sim.grid!, affine: GRID_AFFINE, indices: ballMask(sim.grid!, sim.voxels) }]),
      )
    : undefined;
  await writeLebelDataset(root, { respdict, words, responses: empty, sessions: { "1": [train, test] }, masks });
  const ds = LebelDataset.open(root);
  const responses: Record<string, Record<string, Matrix>> = Object.fromEntries(subjects.map((s) => [s, {}]));
  const rand = gaussian(mulberry32(sim.seed));
  let weights: Float64Array[] | undefined;
  const featureOptions = {
    model: sim.model,
    layer: sim.planted.layer,
    context: sim.context,
    contextMode: sim.contextMode,
    cacheDir: options.cacheDir,
  };
  // The model opened once for every story (a small simulated dataset: all stories' states fit in memory).
  const storyStates: Matrix[] = [];
  const extractor = await openLebelExtractor(featureOptions);
  try {
    for (const story of names) storyStates.push(await lebelStoryStates(ds, story, featureOptions, extractor));
  } finally {
    await extractor.release();
  }
  for (const [i, story] of names.entries()) {
    const states = storyStates[i];
    const design = lanczosStoryDesign(
      shiftWords(states, sim.planted.distance ?? 0),
      ds.words(story).times,
      ds.trTimes(story),
    );
    const p = design.cols;
    weights ??= Array.from({ length: sim.subjects * sim.planted.count }, () => Float64Array.from({ length: p }, rand));
    const T = design.rows;
    for (const [si, subject] of subjects.entries()) {
      const y = new Float32Array(T * sim.voxels);
      for (let v = 0; v < sim.voxels; v++) {
        const signal = new Float64Array(T);
        if (v < sim.planted.count) {
          const w = weights[si * sim.planted.count + v];
          for (let t = 0; t < T; t++) {
            let s = 0;
            for (let j = 0; j < p; j++) s += design.data[t * p + j] * w[j];
            signal[t] = s;
          }
          standardizeInPlace(signal);
        }
        const snr = v < sim.planted.count ? sim.planted.snr : 0;
        for (let t = 0; t < T; t++)
          y[t * sim.voxels + v] = signal[t] * Math.sqrt(snr / (1 + snr)) + rand() * Math.sqrt(1 / (1 + snr));
      }
      responses[subject][story] = { rows: T, cols: sim.voxels, data: y };
    }
  }
  await writeLebelResponses(root, responses);
  return { subjects, train, test, planted: Array.from({ length: sim.planted.count }, (_, i) => i) };
}

/** 2.5 mm voxels, like the released functional grids' order of magnitude. */
const GRID_AFFINE = [
  [2.5, 0, 0, -40],
  [0, 2.5, 0, -60],
  [0, 0, 2.5, -20],
  [0, 0, 0, 1],
];

/** The n voxels nearest the grid's centre (ties by file order), in file order (x fastest). */
function ballMask([x, y, z]: [number, number, number], n: number): Int32Array {
  if (n > x * y * z) throw new Error(`simulateLebelDataset: ${n} voxels do not fit a ${x} × ${y} × ${z} grid`);
  const d2 = (i: number) =>
    ((i % x) - (x - 1) / 2) ** 2 +
    ((Math.floor(i / x) % y) - (y - 1) / 2) ** 2 +
    (Math.floor(i / (x * y)) - (z - 1) / 2) ** 2;
  const order = Array.from({ length: x * y * z }, (_, i) => i).sort((a, b) => d2(a) - d2(b) || a - b);
  return Int32Array.from(order.slice(0, n)).sort();
}

/** Row t of the result is row t + d of `states` (zero past either end). */
function shiftWords(states: Matrix, d: number): Matrix {
  if (d === 0) return states;
  const { rows, cols } = states;
  const out = new Float64Array(rows * cols);
  for (let t = 0; t < rows; t++)
    if (t + d >= 0 && t + d < rows) for (let j = 0; j < cols; j++) out[t * cols + j] = states.data[(t + d) * cols + j];
  return { rows, cols, data: out };
}

function standardizeInPlace(x: Float64Array): void {
  let m = 0;
  for (const v of x) m += v;
  m /= x.length;
  let ss = 0;
  for (const v of x) ss += (v - m) ** 2;
  const sd = Math.sqrt(ss / x.length) || 1;
  for (let i = 0; i < x.length; i++) x[i] = (x[i] - m) / sd;
}
