/**
 * The published set-up of Caucheteux, Gramfort & King 2023 (Nature Human Behaviour 7:430–441): every default
 * that reproduces the paper, in one place. The run configuration, the forecast sweeps (per scan and per
 * story), the CLI and the simulators read them here, so a default changes in one line.
 */
export const PAPER = {
  /** Words in a forecast window X̃(d): the 7 words ending d words ahead. */
  windowLength: 7,
  /** PCA components of the current words X and of each window X̃(d). */
  components: 20,
  /** The distances d swept, in words: −10 … 30. */
  distanceRange: [-10, 30] as const,
  /** The distance at which forecast effects are compared (d = 8). */
  dTest: 8,
  /** Contiguous outer folds of the ridge cross-validation. */
  folds: 5,
  /** FIR delays in TRs (0–7.5 s at TR 1.5 s). */
  firDelays: [0, 1, 2, 3, 4, 5] as readonly number[],
  /** Syntax-matched alternative futures per word for the syntax/semantics decomposition. */
  alternatives: 10,
  /** GPT-2 small: its 12 layers, the layers scored (0, 4, 8, 12) and the forecast layer (8). */
  gpt2: { nLayer: 12, layers: [0, 4, 8, 12] as readonly number[], forecastLayer: 8 },
} as const;

/** The paper's distances, −10 … 30 words. */
export function paperDistances(): number[] {
  const [from, to] = PAPER.distanceRange;
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** A GPT-2-small layer of the paper at the same relative depth of a model with `nLayer` layers. */
export function atPaperDepth(gpt2Layer: number, nLayer: number): number {
  return Math.round((gpt2Layer / PAPER.gpt2.nLayer) * nLayer);
}
