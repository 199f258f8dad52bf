/**
 * Which clock each Narratives alignment counts on. Gentle times count from the start of the audio file
 * it aligned, and the dataset's audio files do not all start at the same moment of the scan: some begin
 * with the scan (music, then the story), some 4.5 s in, some only when the story starts. `audioOnset` is
 * the scan time (seconds) at which alignment time 0 falls: scan time = alignment time + audioOnset.
 *
 * Evidence: the dataset's own events files (snastase/narratives, staging/compile_events.py, which writes
 * every scan's events.tsv: music and story events with the audio file they come from) and the data
 * (first and last word against event_meta.json's story window). Two stories (piemanpni, bronx) disagree
 * with their events file; for them the offset is fitted so the speech fills the story window, which it
 * then does to within a second at both ends. A story missing from this table gets a clock inferred from
 * its words, with a warning that names the check; a user can override any story.
 */

export interface AlignmentClock {
  /** Scan time (s) of alignment time 0. */
  audioOnset: number;
  /** "scan": the audio starts with the scan; "story": it starts with the story; "fitted": from the data. */
  convention: "scan" | "offset" | "story" | "fitted" | "audio";
  evidence: string;
}

const music = (onset: number, story: number, first: number) =>
  `events.tsv: music at ${onset} s and the story at ${story} s come from the same audio file; first word at ${first} s of the audio`;
const storyAudio = (story: number, first: number, last: number) =>
  `events.tsv: the story's audio file starts at ${story} s; first word ${first} s, last word ${last} s into it`;

/** The 26 stories with Gentle alignments in the Narratives release. */
export const NARRATIVES_CLOCKS: Readonly<Record<string, AlignmentClock>> = {
  pieman: { audioOnset: 0, convention: "scan", evidence: music(0, 15, 15.09) },
  prettymouth: { audioOnset: 0, convention: "scan", evidence: music(0, 21, 21.0) },
  milkywayoriginal: { audioOnset: 0, convention: "scan", evidence: music(0, 21, 21.14) },
  milkywayvodka: { audioOnset: 0, convention: "scan", evidence: music(0, 21, 21.13) },
  milkywaysynonyms: {
    audioOnset: 0,
    convention: "scan",
    evidence: `${music(0, 21, 21.7)} (Gentle placed the first word, "Martin", at 5.56 s, inside the music: dropped)`,
  },
  "21styear": {
    audioOnset: 0,
    convention: "scan",
    evidence: `${music(0, 21, 21.22)}; the last word starts 0.04 s after the trimmed window (dropped)`,
  },
  slumlordreach: {
    audioOnset: 4.5,
    convention: "offset",
    evidence: `${music(4.5, 29.5, 24.55)}; reach's first word at 965.78 s + 4.5 s = 970.3 s (story at 969.5 s)`,
  },
  notthefallintact: { audioOnset: 4.5, convention: "offset", evidence: music(4.5, 29.5, 25.8) },
  merlin: { audioOnset: 4.5, convention: "offset", evidence: `${music(4.5, 33.5, 29.0)}: 29.0 + 4.5 = 33.5 s` },
  sherlock: { audioOnset: 4.5, convention: "offset", evidence: music(4.5, 33.5, 29.72) },
  shapesphysical: { audioOnset: 4.5, convention: "offset", evidence: music(4.5, 49.5, 44.67) },
  shapessocial: { audioOnset: 4.5, convention: "offset", evidence: music(4.5, 49.5, 44.64) },
  tunnel: { audioOnset: 3, convention: "story", evidence: storyAudio(3, 0.12, 1517.38) },
  lucy: { audioOnset: 2, convention: "story", evidence: storyAudio(2, 0.06, 524.95) },
  black: { audioOnset: 12, convention: "story", evidence: storyAudio(12, 0.24, 799.81) },
  forgot: { audioOnset: 12, convention: "story", evidence: storyAudio(12, 0.85, 824.45) },
  piemanpni: {
    audioOnset: 3.29,
    convention: "fitted",
    evidence:
      "events.tsv puts the story at 12 s, but with the audio starting there the last word (408.39 s) would land 8 s after the story ends (412 s); the speech spans 399.7 s of a 400 s story, so the audio starts 12 − 8.71 = 3.29 s into the scan",
  },
  bronx: {
    audioOnset: -3.19,
    convention: "fitted",
    evidence:
      "events.tsv puts the story at 12 s; audio from the story onset would end 14 s after the story, audio from the scan start 2.8 s after it (last word 550.34 s vs window end 547.5 s); the speech spans 535.3 s of a 536 s story, so the first word (15.19 s) is placed at the story onset: 12 − 15.19 = −3.19 s",
  },
  // The schema task's eight short stories: each alignment counts from its own audio file, whose onset in a
  // run comes from that run's events.tsv (event_meta.json has no schema entry).
  ...Object.fromEntries(
    ["bigbang", "friends", "himym", "santa", "seinfeld", "shame", "upintheair", "vinny"].map((s) => [
      s,
      {
        audioOnset: NaN,
        convention: "audio",
        evidence:
          "schema task: the alignment counts from the story's own audio file; its onset in a run is in the run's events.tsv",
      } as AlignmentClock,
    ]),
  ),
};

import type { WordEvents } from "../../stimuli/words.js";

/** A user's override: a named convention or an explicit audio onset in seconds. */
export type ClockOverride = "scan" | "story" | number;

export interface ResolvedClock extends AlignmentClock {
  source: "table" | "override" | "inferred";
  /** Set when the clock was inferred: which check decided it. */
  warning?: string;
}

/**
 * The clock of a story's alignment. `storyOnset`/`storyEnd` are the story window on the scan clock (s);
 * `first`/`last` the alignment's first and last word onsets.
 */
export function resolveAlignmentClock(
  story: string,
  window: { storyOnset: number; storyEnd: number },
  words: { first: number; last: number },
  override?: ClockOverride,
): ResolvedClock {
  if (override !== undefined) {
    const audioOnset = override === "scan" ? 0 : override === "story" ? window.storyOnset : override;
    if (!Number.isFinite(audioOnset))
      throw new Error(
        `word clock override for "${story}": expected "scan", "story" or a number of seconds, got ${JSON.stringify(override)}`,
      );
    return {
      audioOnset,
      convention: typeof override === "number" ? "offset" : override,
      evidence: `set by the user (${JSON.stringify(override)})`,
      source: "override",
    };
  }
  const known = NARRATIVES_CLOCKS[story];
  if (known && known.convention !== "audio") return { ...known, source: "table" };
  if (known?.convention === "audio") return { ...known, audioOnset: window.storyOnset, source: "table" };
  // Unknown story: the convention under which more of the words fall inside the window, ties going to
  // the one whose first word is closer to the story onset.
  const { storyOnset, storyEnd } = window;
  const inside = (shift: number) =>
    Number(words.first + shift >= storyOnset - 1.5) + Number(words.last + shift < storyEnd);
  const gap = (shift: number) => Math.abs(words.first + shift - storyOnset);
  const scanScore = inside(0);
  const storyScore = inside(storyOnset);
  const useStory = storyScore > scanScore || (storyScore === scanScore && gap(storyOnset) < gap(0));
  const audioOnset = useStory ? storyOnset : 0;
  const check = `first word ${words.first.toFixed(2)} s and last word ${words.last.toFixed(2)} s of the alignment against the story window ${storyOnset.toFixed(1)}–${storyEnd.toFixed(1)} s of the scan`;
  return {
    audioOnset,
    convention: useStory ? "story" : "scan",
    evidence: check,
    source: "inferred",
    warning: `story "${story}" has no known word clock: taken as ${useStory ? "story-relative (the audio starts with the story)" : "scan-relative (the audio starts with the scan)"} from the ${check}; set "wordClock" to override`,
  };
}

/** A story's words moved from the alignment's clock onto the scan's (seconds from the scan's first volume). */
export function wordsOnScanClock(
  story: string,
  events: WordEvents,
  window: { storyOnset: number; storyEnd: number },
  override?: ClockOverride,
): { words: WordEvents; clock: ResolvedClock } {
  const timed = Array.from(events.onsets).filter((t, i) => Number.isFinite(t) && !events.interpolated[i]);
  if (timed.length === 0) throw new Error(`${events.source}: no timed word to place on the scan clock`);
  const clock = resolveAlignmentClock(story, window, { first: Math.min(...timed), last: Math.max(...timed) }, override);
  const s = clock.audioOnset;
  return {
    words: { ...events, onsets: events.onsets.map((t) => t + s), offsets: events.offsets.map((t) => t + s) },
    clock,
  };
}
