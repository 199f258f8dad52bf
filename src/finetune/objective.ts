/**
 * The fine-tuning objective's per-batch tensors: next-token labels with their averaging weights, and the
 * auxiliary targets — the frozen model's layer-k state at the position d tokens, or d words, ahead of
 * each position (Caucheteux, Gramfort & King 2023, Fig. 5) — with weights that make the loss a mean over
 * the positions that have a target inside the sequence.
 */
import type { AuxLoss } from "./gpt2TrainingGraph.js";

/** Rows of equally long token sequences with, for "words" distances, the word index of every token. */
export interface TokenBatch {
  ids: Int32Array[];
  /** wordOf[b][t]: index of the word token t belongs to (non-decreasing); needed for distances in words. */
  wordOf?: Int32Array[];
}

export interface AuxSpec {
  /** Distance ahead. */
  distance: number;
  unit: "tokens" | "words";
  loss: AuxLoss;
}

/** labels[b·T + t] = ids[b][t + 1]; weight 1/(B·(T − 1)) there, 0 on each row's last position. */
export function lmTargets(batch: TokenBatch): { labels: BigInt64Array; weights: Float32Array } {
  const B = batch.ids.length;
  const T = batch.ids[0].length;
  const labels = new BigInt64Array(B * T);
  const weights = new Float32Array(B * T);
  const w = 1 / (B * (T - 1));
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T - 1; t++) {
      labels[b * T + t] = BigInt(batch.ids[b][t + 1]);
      weights[b * T + t] = w;
    }
  }
  return { labels, weights };
}

/**
 * For each position, the position whose frozen state is its target (−1: none inside the row). Tokens:
 * t + d. Words: the last token of the word d words after the word of t (d ≤ 0 allowed for controls).
 */
export function targetPositions(batch: TokenBatch, spec: Pick<AuxSpec, "distance" | "unit">): Int32Array {
  const B = batch.ids.length;
  const T = batch.ids[0].length;
  const out = new Int32Array(B * T).fill(-1);
  const d = spec.distance;
  for (let b = 0; b < B; b++) {
    if (spec.unit === "tokens") {
      for (let t = 0; t < T; t++) if (t + d >= 0 && t + d < T) out[b * T + t] = t + d;
      continue;
    }
    const wordOf = batch.wordOf?.[b];
    if (!wordOf || wordOf.length !== T)
      throw new Error("auxiliary targets in words need the word index of every token");
    const lastOf = new Map<number, number>();
    for (let t = 0; t < T; t++) lastOf.set(wordOf[t], t);
    // A word cut by the row's end has no complete last token here: it is not a target.
    if (T > 0) lastOf.delete(wordOf[T - 1]);
    for (let t = 0; t < T; t++) out[b * T + t] = lastOf.get(wordOf[t] + d) ?? -1;
  }
  return out;
}

/**
 * aux_target [B·T, E] (the teacher's state at each target position) and aux_weights [B·T]: 1/(count·E)
 * for the mean squared error over elements, 1/count for the mean cosine distance over positions.
 */
export function auxTargets(
  teacher: Float32Array,
  positions: Int32Array,
  B: number,
  T: number,
  E: number,
  loss: AuxLoss,
): { target: Float32Array; weights: Float32Array; count: number } {
  const target = new Float32Array(B * T * E);
  const weights = new Float32Array(B * T);
  let count = 0;
  for (let i = 0; i < B * T; i++) if (positions[i] >= 0) count++;
  if (count === 0) return { target, weights, count };
  const w = loss === "mse" ? 1 / (count * E) : 1 / count;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const s = positions[b * T + t];
      if (s < 0) continue;
      target.set(teacher.subarray((b * T + s) * E, (b * T + s + 1) * E), (b * T + t) * E);
      weights[b * T + t] = w;
    }
  }
  return { target, weights, count };
}
