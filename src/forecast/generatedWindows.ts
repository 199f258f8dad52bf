/**
 * Window Gram matrices for the generated-futures control. The window of word n ending d words ahead holds,
 * at relative position o (d − L + 1 ≤ o ≤ d), the true word n + o when o ≤ 0 (already heard) and the o-th
 * word the model generated after word n when o ≥ 1. The Gram of two windows is then a sum over o of
 * M_o(a, b) = ⟨Y_a[o], Y_b[o]⟩: for o ≤ 0 a shifted copy of the word Gram K (zero past the story's ends, as
 * for true windows), for o ≥ 1 the Gram of the generated words at that position, computed on the backend.
 * Distances are swept with a running sum — adding the positions that enter the window, subtracting those
 * that leave — so each generated position costs about two W × W × E products in a contiguous sweep.
 */
import type { ComputeBackend } from "../backend/types.js";
import type { WordGram } from "./windowPca.js";
import { forecastOffsets } from "./windowPca.js";

/** Activations of the words generated after each word: [W × words × E], as generateFutures returns them. */
export interface GeneratedStates {
  states: Float32Array;
  words: number;
  nEmbd: number;
}

/** Window Gram matrices built from generated futures, per distance (the paper's generated control). */
export class GeneratedWindowGram {
  private readonly W: number;
  private readonly sum: Float64Array;
  private readonly inSum = new Set<number>();

  constructor(
    private readonly gram: WordGram,
    private readonly generated: GeneratedStates,
    private readonly windowLength: number,
    private readonly backend: ComputeBackend,
  ) {
    this.W = gram.W;
    const { states, words, nEmbd } = generated;
    if (states.length !== this.W * words * nEmbd)
      throw new Error(`generated futures: ${states.length} values for ${this.W} words × ${words} generated × ${nEmbd}`);
    this.sum = new Float64Array(this.W * this.W);
  }

  /** The W × W Gram of the windows ending d words ahead (a view, valid until the next call). */
  async at(d: number): Promise<Float64Array> {
    const wanted = new Set(forecastOffsets(d, this.windowLength));
    const maxO = Math.max(...wanted);
    if (maxO > this.generated.words)
      throw new Error(
        `generated futures: distance ${d} needs ${maxO} generated words per context, ${this.generated.words} were generated`,
      );
    for (const o of [...this.inSum]) if (!wanted.has(o)) await this.accumulate(o, -1);
    for (const o of wanted) if (!this.inSum.has(o)) await this.accumulate(o, +1);
    return this.sum;
  }

  private async accumulate(o: number, sign: 1 | -1): Promise<void> {
    const { W, sum } = this;
    if (o <= 0) {
      const K = this.gram.K;
      for (let a = Math.max(0, -o); a < W; a++) {
        const rowK = (a + o) * W + o;
        const rowS = a * W;
        for (let b = Math.max(0, -o); b < W; b++) sum[rowS + b] += sign * K[rowK + b];
      }
    } else {
      const { states, words, nEmbd: E } = this.generated;
      // Yᵀ (E × W) of the generated words at position o, then YᵀᵀYᵀ = Y·Yᵀ on the backend.
      const yt = { rows: E, cols: W, data: new Float64Array(E * W) };
      for (let n = 0; n < W; n++) {
        const src = (n * words + o - 1) * E;
        for (let e = 0; e < E; e++) yt.data[e * W + n] = states[src + e];
      }
      const M = await this.backend.matmul(yt, yt, true);
      for (let i = 0; i < W * W; i++) sum[i] += sign * M.data[i];
    }
    if (sign > 0) this.inSum.add(o);
    else this.inSum.delete(o);
  }
}
