/**
 * The Huth lab's natural-language fMRI dataset (LeBel et al. 2023, Sci Data 10:555; OpenNeuro ds003020),
 * its derivative folder as released:
 *   derivative/respdict.json                         story → TR count of its recording
 *   derivative/TextGrids/<story>.TextGrid            Praat alignments (a "phone" and a "word" tier)
 *   derivative/preprocessed_data/<subject>/<story>.hf5   HDF5, dataset "data": TRs × cortical voxels (float32)
 * plus the session → stories split the accompanying code uses (`sess_to_story.json`: the dataset's own copy
 * when present, else the one embedded under data/lebel, MIT, from HuthLab/deep-fMRI-dataset).
 *
 * Timing follows that code (`load_simulated_trfiles`, `DataSequence.from_grid`, `apply_zscore_and_hrf`):
 * a story of N = respdict TRs has N − 5 TR times, (i + 0.5) · 2 s − 10 s from the sound's start; words sit
 * at the midpoints of their intervals; a story's design keeps rows [10, N − 5 − 5), so its responses hold
 * N − 20 rows. Words are the word tier's labels without the code's non-words (sentence_start/_end, br, lg,
 * ls, ns, sp, with or without braces) and without empty labels (nothing to embed; the original keeps them).
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { readJsonFile, readText } from "../../io/files.js";
import { embeddedData } from "../../io/paths.js";
import type { Matrix } from "../../linalg/dense.js";
import { readHdf5Matrix } from "../formats/hdf5.js";
import { parseTextGridTiers } from "../../stimuli/textGrid.js";
import type { WordEvents } from "../../stimuli/words.js";

/** The TR the original code assumes for its simulated TR times (the scanner's is 2.0045 s). */
export const LEBEL_CODE_TR = 2.0;
/** TR times the original code drops from each recording (its `pad`), and design rows kept: [10, T − 5). */
export const LEBEL_PAD = 5;
export const LEBEL_ROWS_DROPPED = { start: 10, end: 5 };
const NON_WORDS = new Set(["sentence_start", "sentence_end", "br", "lg", "ls", "ns", "sp"]);

/** A story's words (onsets/offsets: their intervals), usable wherever word events are, e.g. extractWordFeatures. */
export interface LebelStoryWords extends WordEvents {
  /** Seconds from the sound's start: interval midpoints (the original's data_times, what Lanczos reads). */
  times: Float64Array;
}

/** A ds003020 derivative folder: subjects, stories, the session split, words, TR times and responses. */
export class LebelDataset {
  private constructor(
    /** The derivative folder. */
    readonly derivative: string,
    readonly respdict: Record<string, number>,
    readonly sessions: Record<string, [string[], string]>,
    readonly sessionsSource: string,
  ) {}

  /** `root`: the ds003020 folder or its derivative folder. Errors name the missing file. */
  static open(root: string): LebelDataset {
    const derivative = existsSync(join(root, "derivative", "respdict.json")) ? join(root, "derivative") : root;
    const respPath = join(derivative, "respdict.json");
    if (!existsSync(respPath))
      throw new Error(`${root}: not a ds003020 layout: no derivative/respdict.json (nor respdict.json)`);
    const respdict = readJsonFile<Record<string, unknown>>(respPath);
    if (respdict === null || typeof respdict !== "object" || Array.isArray(respdict))
      throw new Error(`${respPath}: expected an object of story → TR count`);
    for (const [story, n] of Object.entries(respdict)) {
      if (!(Number.isInteger(n) && (n as number) > LEBEL_PAD + LEBEL_ROWS_DROPPED.start + LEBEL_ROWS_DROPPED.end)) {
        throw new Error(
          `${respPath}: story "${story}" has TR count ${JSON.stringify(n)}; expected a whole number above ${LEBEL_PAD + LEBEL_ROWS_DROPPED.start + LEBEL_ROWS_DROPPED.end}`,
        );
      }
    }
    const own = [join(derivative, "sess_to_story.json"), join(derivative, "..", "sess_to_story.json")].find(existsSync);
    const sessionsSource = own ?? embeddedData("lebel", "sess_to_story.json");
    const sessions = readJsonFile<Record<string, [string[], string]>>(sessionsSource);
    for (const [s, v] of Object.entries(sessions)) {
      if (!Array.isArray(v) || v.length !== 2 || !Array.isArray(v[0]) || typeof v[1] !== "string") {
        throw new Error(`${sessionsSource}: session "${s}" must be [[training stories…], "test story"]`);
      }
    }
    return new LebelDataset(derivative, respdict as Record<string, number>, sessions, sessionsSource);
  }

  /** Subjects with a preprocessed_data folder (UTS01 …). */
  subjects(): string[] {
    const dir = join(this.derivative, "preprocessed_data");
    if (!existsSync(dir)) throw new Error(`${this.derivative}: no preprocessed_data folder`);
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  }

  /** Stories with a response file for `subject`. */
  stories(subject: string): string[] {
    const dir = this.subjectDir(subject);
    return readdirSync(dir)
      .filter((f) => f.endsWith(".hf5"))
      .map((f) => f.slice(0, -4))
      .sort();
  }

  /** Training and test stories of the given sessions (the original's encoding.py), checked to be disjoint. */
  split(sessions: (string | number)[]): { train: string[]; test: string[] } {
    const train: string[] = [];
    const test: string[] = [];
    for (const s of sessions.map(String)) {
      const entry = this.sessions[s];
      if (!entry)
        throw new Error(
          `${this.sessionsSource}: no session "${s}" (sessions: ${Object.keys(this.sessions).join(", ")})`,
        );
      for (const story of entry[0]) if (!train.includes(story)) train.push(story);
      if (!test.includes(entry[1])) test.push(entry[1]);
    }
    const both = train.filter((s) => test.includes(s));
    if (both.length > 0) throw new Error(`${this.sessionsSource}: ${both.join(", ")} both a training and a test story`);
    return { train, test };
  }

  /** TR count of a story's recording (respdict.json). */
  trCount(story: string): number {
    const n = this.respdict[story];
    if (n === undefined) throw new Error(`${join(this.derivative, "respdict.json")}: no story "${story}"`);
    return n;
  }

  /** The TR times the story's words are interpolated to (seconds from the sound's start), N − 5 of them. */
  trTimes(story: string): Float64Array {
    const n = this.trCount(story) - LEBEL_PAD;
    return Float64Array.from({ length: n }, (_, i) => i * LEBEL_CODE_TR - 10 + LEBEL_CODE_TR / 2);
  }

  /** Rows a story's responses hold: its design's rows after the trim. */
  responseRows(story: string): number {
    return this.trCount(story) - LEBEL_PAD - LEBEL_ROWS_DROPPED.start - LEBEL_ROWS_DROPPED.end;
  }

  /** The word tier of the story's TextGrid. */
  words(story: string): LebelStoryWords {
    const path = join(this.derivative, "TextGrids", `${story}.TextGrid`);
    if (!existsSync(path)) throw new Error(`${path}: missing (story "${story}")`);
    const tiers = parseTextGridTiers(readText(path), path);
    const tier = tiers.find((t) => /^words?$/i.test(t.name) && t.kind === "interval");
    if (!tier)
      throw new Error(
        `${path}: no interval tier named "word" (tiers: ${tiers.map((t) => `"${t.name}"`).join(", ") || "none"})`,
      );
    const kept = tier.intervals.filter((iv) => {
      const label = iv.text.trim();
      return (
        label !== "" &&
        !NON_WORDS.has(
          label
            .toLowerCase()
            .replace(/^\{+|\}+$/g, "")
            .trim(),
        )
      );
    });
    if (kept.length === 0) throw new Error(`${path}: the word tier holds no words`);
    return {
      words: kept.map((iv) => iv.text.trim()),
      onsets: Float64Array.from(kept, (iv) => iv.start),
      offsets: Float64Array.from(kept, (iv) => iv.end),
      interpolated: new Uint8Array(kept.length),
      timed: true,
      source: path,
      times: Float64Array.from(kept, (iv) => (iv.start + iv.end) / 2),
    };
  }

  /** One subject's responses to one story (TRs × voxels), checked against respdict.json. */
  async responses(subject: string, story: string): Promise<Matrix> {
    const path = join(this.subjectDir(subject), `${story}.hf5`);
    if (!existsSync(path)) throw new Error(`${path}: missing (subject ${subject}, story "${story}")`);
    const m = await readHdf5Matrix(path, "data");
    const want = this.responseRows(story);
    if (m.rows !== want) {
      throw new Error(
        `${path}: ${m.rows} TRs, but respdict.json gives "${story}" ${this.trCount(story)} TRs, so its responses should hold ${want} (${this.trCount(story)} − ${LEBEL_PAD} − ${LEBEL_ROWS_DROPPED.start} − ${LEBEL_ROWS_DROPPED.end})`,
      );
    }
    return m;
  }

  private subjectDir(subject: string): string {
    const dir = join(this.derivative, "preprocessed_data", subject);
    if (!existsSync(dir)) {
      const have = existsSync(join(this.derivative, "preprocessed_data")) ? this.subjects().join(", ") : "none";
      throw new Error(`${dir}: no such subject (subjects: ${have})`);
    }
    return dir;
  }
}
