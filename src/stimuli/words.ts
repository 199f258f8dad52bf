/**
 * A story's words with their timings, whatever file they came from. Missing onsets (Gentle marks words it
 * could not find in the audio) are interpolated between the nearest timed words and flagged.
 */

export interface WordEvents {
  words: string[];
  /** Seconds from the start of the audio; interpolated where the source had none. */
  onsets: Float64Array;
  offsets: Float64Array;
  /** 1 where the onset was interpolated (or extrapolated at the edges). */
  interpolated: Uint8Array;
  /** False for plain text: no timing at all (onsets are NaN). */
  timed: boolean;
  source: string;
}

/** Builds WordEvents from raw (possibly missing = NaN) timings. */
export function withInterpolatedTimings(
  words: string[],
  rawOnsets: number[],
  rawOffsets: number[],
  source: string,
): WordEvents {
  const n = words.length;
  if (n === 0) throw new Error(`${source}: no words`);
  const timedIdx: number[] = [];
  for (let i = 0; i < n; i++) if (Number.isFinite(rawOnsets[i])) timedIdx.push(i);
  if (timedIdx.length === 0) {
    throw new Error(`${source}: no word has a timing; cannot place words in time`);
  }
  // Timings that go backwards or end before they start are an alignment error, not something to guess around.
  for (let k = 1; k < timedIdx.length; k++) {
    const [a, b] = [timedIdx[k - 1], timedIdx[k]];
    if (rawOnsets[b] < rawOnsets[a])
      throw new Error(
        `${source}: word ${b} ("${words[b]}") starts at ${rawOnsets[b]} s, before word ${a} ("${words[a]}") at ${rawOnsets[a]} s; onsets must not decrease`,
      );
  }
  for (const i of timedIdx) {
    if (Number.isFinite(rawOffsets[i]) && rawOffsets[i] < rawOnsets[i])
      throw new Error(
        `${source}: word ${i} ("${words[i]}") ends at ${rawOffsets[i]} s, before its onset ${rawOnsets[i]} s`,
      );
  }
  const onsets = Float64Array.from(rawOnsets);
  const offsets = Float64Array.from(rawOffsets);
  const interpolated = new Uint8Array(n);
  // Typical spacing between timed words, used to extrapolate before the first and after the last one.
  const gaps: number[] = [];
  for (let k = 1; k < timedIdx.length; k++) {
    gaps.push((onsets[timedIdx[k]] - onsets[timedIdx[k - 1]]) / (timedIdx[k] - timedIdx[k - 1]));
  }
  gaps.sort((a, b) => a - b);
  const step = gaps.length > 0 ? gaps[Math.floor(gaps.length / 2)] : 0.4;
  let prev = -1;
  for (let i = 0; i < n; i++) {
    if (Number.isFinite(onsets[i])) {
      prev = i;
      continue;
    }
    interpolated[i] = 1;
    const next = timedIdx.find((j) => j > i);
    if (prev >= 0 && next !== undefined)
      onsets[i] = onsets[prev] + ((onsets[next] - onsets[prev]) * (i - prev)) / (next - prev);
    else if (prev >= 0) onsets[i] = onsets[prev] + step * (i - prev);
    else onsets[i] = onsets[next!] - step * (next! - i);
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(offsets[i]) || interpolated[i])
      offsets[i] = i + 1 < n ? Math.max(onsets[i], onsets[i + 1]) : onsets[i] + step;
  }
  return { words, onsets, offsets, interpolated, timed: true, source };
}

export function untimedWords(words: string[], source: string): WordEvents {
  if (words.length === 0) throw new Error(`${source}: no words`);
  const nan = new Float64Array(words.length).fill(NaN);
  return { words, onsets: nan, offsets: nan.slice(), interpolated: new Uint8Array(words.length), timed: false, source };
}
