/**
 * The Narratives dataset (Nastase et al. 2021; OpenNeuro ds002345) as distributed:
 * derivatives/afni-nosmooth/sub-<id>/func/sub-<id>_task-<task>[_run-<n>]_space-fsaverage6_hemi-{L,R}_desc-clean.func.gii
 * derivatives/afni-nosmooth/sub-<id>/func/sub-<id>_task-<task>[_run-<n>]_space-MNI152NLin2009cAsym_res-native_desc-clean_bold.nii.gz
 *   (+ ..._desc-brain_mask.nii.gz from fMRIPrep for the volume)
 *   stimuli/gentle/<story>/align.json | align.csv
 *   code/event_meta.json (story onset and duration in TRs within each scan), code/scan_exclude.json
 * Scans are trimmed to the story and the dataset's recommended exclusions are applied; one scan is loaded
 * at a time (one float32 block), so many subjects stream.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { readJsonFile, readText } from "../../io/files.js";
import type { Matrix } from "../../linalg/dense.js";
import { readWords } from "../../stimuli/readers.js";
import type { WordEvents } from "../../stimuli/words.js";
import { checkDeclaredHemisphere, readGiftiTimeSeries } from "../formats/gifti.js";
import { readNifti } from "../formats/nifti.js";
import { wordsOutsideTRs } from "../design/wordsPerTR.js";
import { wordsOnScanClock, type ClockOverride, type ResolvedClock } from "./narrativesClock.js";
import { validateEventMeta, validateScanExclude } from "./narrativesMeta.js";

/** Narratives' repetition time, in seconds. */
export const NARRATIVES_TR = 1.5;

export type EventMeta = Record<string, Record<string, { onset: number; duration: number }>>;
export type ScanExclude = Record<string, Record<string, string[]>>;

export interface NarrativesOptions {
  /** Derivatives pipeline folder (default "afni-nosmooth", the paper's input). */
  pipeline?: string;
  /** fsaverage6 (the dataset's surfaces, default), fsaverage5 (e.g. simulations), or the MNI volume. */
  space?: "fsaverage6" | "fsaverage5" | "MNI152NLin2009cAsym";
  /** Override the dataset's code/event_meta.json and code/scan_exclude.json. */
  eventMeta?: EventMeta;
  scanExclude?: ScanExclude;
  /** Per-story word clock overrides (story or alignment folder → "scan", "story" or the audio onset in s). */
  wordClock?: Record<string, ClockOverride>;
}

export interface NarrativesScan {
  subject: string;
  task: string;
  run?: string;
  /** BIDS prefix, e.g. "sub-001_task-pieman_run-1" (the key scan_exclude.json uses). */
  key: string;
  files: string[];
}

export interface LoadedScan {
  scan: NarrativesScan;
  story: string;
  /** Trimmed BOLD: story TRs × vertices (left hemisphere then right) or voxels inside the mask. */
  bold: Matrix;
  tr: number;
  /** Story window within the scan, in TRs: [onset, onset + duration). */
  trim: { onset: number; duration: number; scanTRs: number };
  /** Vertices per hemisphere (surface) or the mask's voxel indices (volume). */
  hemiVertices?: { L: number; R: number };
  maskIndices?: Int32Array;
  /** Volume runs: the grid's shape [x, y, z] and affine, to write maps back as NIfTI. */
  volume?: { shape: number[]; affine: number[][] };
}

/** The Narratives dataset (OpenNeuro ds002345) on disk: scans, stories, word alignments and exclusions. */
export class NarrativesDataset {
  readonly eventMeta: EventMeta;
  readonly scanExclude: ScanExclude;
  readonly pipeline: string;
  readonly space: "fsaverage6" | "fsaverage5" | "MNI152NLin2009cAsym";
  readonly wordClock: Record<string, ClockOverride>;
  /** Where the story windows came from (code/event_meta.json or the option), named in errors. */
  readonly eventMetaSource: string;

  constructor(
    readonly root: string,
    options: NarrativesOptions = {},
  ) {
    if (!existsSync(root)) throw new Error(`${root}: no such dataset folder`);
    this.pipeline = options.pipeline ?? "afni-nosmooth";
    this.space = options.space ?? "fsaverage6";
    this.wordClock = options.wordClock ?? {};
    const metaFile = join(root, "code", "event_meta.json");
    const excludeFile = join(root, "code", "scan_exclude.json");
    this.eventMetaSource = options.eventMeta ? "eventMeta option" : metaFile;
    this.eventMeta = options.eventMeta
      ? validateEventMeta(options.eventMeta, "eventMeta option")
      : validateEventMeta(readJsonFile(metaFile), metaFile);
    this.scanExclude = options.scanExclude
      ? validateScanExclude(options.scanExclude, "scanExclude option")
      : existsSync(excludeFile)
        ? validateScanExclude(readJsonFile(excludeFile), excludeFile)
        : {};
  }

  /** Stories of a task with their windows (most tasks hold one story named like the task). */
  stories(task: string): string[] {
    const meta = this.eventMeta[task];
    if (!meta)
      throw new Error(
        `${this.eventMetaSource}: task "${task}" is not in event_meta.json (tasks: ${Object.keys(this.eventMeta).join(", ")})`,
      );
    return Object.keys(meta);
  }

  /** Scans of a task found on disk, with the recommended exclusions removed (and listed). */
  scans(task: string, subjects?: string[]): { scans: NarrativesScan[]; excluded: NarrativesScan[] } {
    this.stories(task);
    const deriv = join(this.root, "derivatives", this.pipeline);
    if (!existsSync(deriv)) throw new Error(`${deriv}: no such derivatives folder`);
    const found: NarrativesScan[] = [];
    const subs = readdirSync(deriv)
      .filter((s) => /^sub-[A-Za-z0-9]+$/.test(s) && (!subjects || subjects.includes(s)))
      .sort();
    for (const sub of subs) {
      const func = join(deriv, sub, "func");
      if (!existsSync(func)) continue;
      const byKey = new Map<string, string[]>();
      for (const f of readdirSync(func).sort()) {
        const m = new RegExp(`^(${sub}_task-${task}(?:_run-(\\d+))?)_space-${this.space}_(.*)$`).exec(f);
        if (!m) continue;
        const rest = m[3];
        const isData =
          this.space !== "MNI152NLin2009cAsym"
            ? /^hemi-[LR]_desc-clean\.func\.gii$/.test(rest)
            : /^res-native_desc-clean_bold\.nii(\.gz)?$/.test(rest);
        if (!isData) continue;
        byKey.set(m[1], [...(byKey.get(m[1]) ?? []), join(func, f)]);
      }
      for (const [key, files] of byKey) {
        const run = /_run-(\d+)$/.exec(key)?.[1];
        found.push({ subject: sub, task, run, key, files: files.sort() });
      }
    }
    const excludedKeys = new Set(Object.values(this.scanExclude[task] ?? {}).flat());
    return {
      scans: found.filter((s) => !excludedKeys.has(s.key)),
      excluded: found.filter((s) => excludedKeys.has(s.key)),
    };
  }

  /** Loads one scan trimmed to one of its task's stories (default: the first). */
  load(scan: NarrativesScan, story = this.stories(scan.task)[0]): LoadedScan {
    const window = this.eventMeta[scan.task]?.[story];
    if (!window) throw new Error(`${scan.key}: story "${story}" is not part of task "${scan.task}" in event_meta.json`);
    const {
      bold: full,
      hemiVertices,
      maskIndices,
      source,
      volume,
    } = this.space !== "MNI152NLin2009cAsym" ? loadSurface(scan) : loadVolume(scan);
    const end = window.onset + window.duration;
    if (full.rows < end) {
      throw new Error(
        `${source}: ${full.rows} TRs, but event_meta.json places story "${story}" at TRs ${window.onset}–${end - 1}: the scan is shorter than the story`,
      );
    }
    const cols = full.cols;
    const bold = { rows: window.duration, cols, data: full.data.slice(window.onset * cols, end * cols) };
    return {
      scan,
      story,
      bold,
      tr: NARRATIVES_TR,
      trim: { ...window, scanTRs: full.rows },
      hemiVertices,
      maskIndices,
      volume,
    };
  }

  /** The story's words and timings (seconds from the start of its audio) from stimuli/gentle/<story>/. */
  words(story: string): WordEvents {
    const dir = join(this.root, "stimuli", "gentle", story);
    for (const f of ["align.json", "align.csv"]) if (existsSync(join(dir, f))) return readWords(join(dir, f));
    throw new Error(`${dir}: no align.json or align.csv for story "${story}"`);
  }

  /**
   * The words of a loaded scan's story on the trimmed BOLD's clock: alignment time + the story's audio
   * onset in the scan (narrativesClock.ts) − the trim. Every word of the recording is kept (earlier words
   * are context for the language model, later ones future words for forecasts); words whose TR falls
   * outside the trimmed scan are counted here and dropped by the design. A recording holding several
   * stories (slumlordreach) keeps this story's words only. Refuses when more than `maxOutsideFraction`
   * of the words fall outside: the clock or the window is then wrong.
   */
  storyWords(loaded: LoadedScan, options: { maxOutsideFraction?: number } = {}): StoryWords {
    const folder = this.alignmentFolder(loaded);
    const events = this.words(folder);
    const tr = loaded.tr;
    const window = { storyOnset: loaded.trim.onset * tr, storyEnd: (loaded.trim.onset + loaded.trim.duration) * tr };
    const { words: onScan, clock } = wordsOnScanClock(
      folder,
      events,
      window,
      this.wordClock[folder] ?? this.wordClock[loaded.story],
    );
    const trim = window.storyOnset;
    let shifted: WordEvents = {
      ...onScan,
      onsets: onScan.onsets.map((t) => t - trim),
      offsets: onScan.offsets.map((t) => t - trim),
    };
    const nTRs = loaded.bold.rows;
    if (folder !== loaded.story && this.stories(loaded.scan.task).length > 1) {
      // One recording, several stories: keep the words inside this story's window.
      const keep = Array.from(shifted.onsets, (t, i) => (t >= 0 && t < nTRs * tr ? i : -1)).filter((i) => i >= 0);
      if (keep.length === 0)
        throw new Error(
          `${events.source}: no word falls inside story "${loaded.story}" (TRs ${loaded.trim.onset}–${loaded.trim.onset + nTRs - 1}, word clock: audio at ${clock.audioOnset} s)`,
        );
      const pick = <T extends Float64Array | Uint8Array>(a: T) =>
        a.constructor === Uint8Array
          ? (Uint8Array.from(keep, (i) => a[i]) as T)
          : (Float64Array.from(keep, (i) => a[i]) as T);
      shifted = {
        ...shifted,
        words: keep.map((i) => shifted.words[i]),
        onsets: pick(shifted.onsets),
        offsets: pick(shifted.offsets),
        interpolated: pick(shifted.interpolated),
      };
    }
    const outside = { before: 0, after: 0 };
    for (const t of shifted.onsets)
      if (t < 0) outside.before++;
      else if (t >= nTRs * tr) outside.after++;
    const dropped = wordsOutsideTRs(shifted.onsets, nTRs, tr);
    const W = shifted.words.length;
    const maxOutside = options.maxOutsideFraction ?? 0.1;
    if (dropped.before + dropped.after > maxOutside * W) {
      throw new Error(
        `${events.source}: ${dropped.before} of ${W} words fall before and ${dropped.after} after story "${loaded.story}" (TRs ${loaded.trim.onset}–${loaded.trim.onset + nTRs - 1} of ${loaded.scan.files[0]}) with the word clock "${clock.convention}" (audio at ${clock.audioOnset} s): more than ${Math.round(maxOutside * 100)}% outside, so the clock or the window is wrong; set "wordClock" for this story`,
      );
    }
    return { ...shifted, clock, outside, dropped, alignment: folder, warnings: clock.warning ? [clock.warning] : [] };
  }

  /** The alignment folder of a scan's story: the story's, the recording's (the task's), or milkyway's version. */
  alignmentFolder(loaded: LoadedScan): string {
    const root = join(this.root, "stimuli", "gentle");
    if (existsSync(join(root, loaded.story))) return loaded.story;
    if (existsSync(join(root, loaded.scan.task))) return loaded.scan.task;
    // Tasks heard in versions (milkyway: original, vodka, synonyms): participants.tsv's condition column.
    const condition = this.condition(loaded.scan.subject, loaded.scan.task);
    if (condition && existsSync(join(root, `${loaded.scan.task}${condition}`)))
      return `${loaded.scan.task}${condition}`;
    throw new Error(
      `${root}: no alignment folder for story "${loaded.story}" of ${loaded.scan.key} (looked for ${loaded.story}/, ${loaded.scan.task}/${condition ? `, ${loaded.scan.task}${condition}/` : " and participants.tsv's condition column"})`,
    );
  }

  /** A subject's condition for a task, from participants.tsv (comma-separated task and condition lists). */
  condition(subject: string, task: string): string | undefined {
    const file = join(this.root, "participants.tsv");
    if (!existsSync(file)) return undefined;
    const [header, ...rows] = readText(file)
      .split(/\r?\n/)
      .filter((l) => l.trim() !== "")
      .map((l) => l.split("\t"));
    const [iSub, iTask, iCond] = ["participant_id", "task", "condition"].map((k) => header.indexOf(k));
    if (iSub < 0 || iTask < 0 || iCond < 0) return undefined;
    const row = rows.find((r) => r[iSub] === subject);
    if (!row) return undefined;
    const tasks = (row[iTask] ?? "").split(",");
    const conds = (row[iCond] ?? "").split(",");
    const c = conds[tasks.indexOf(task)];
    return c && c !== "n/a" ? c : undefined;
  }
}

export interface StoryWords extends WordEvents {
  clock: ResolvedClock;
  /** Words starting before the story window or at/after its end (seconds on the trimmed clock). */
  outside: { before: number; after: number };
  /**
   * Words the design drops: their TR (floor(t/TR) + 1, the paper's one-volume lag) falls before the first
   * or after the last TR of the trimmed scan — the words outside the window, less those up to one TR
   * early, plus those in the last TR.
   */
  dropped: { before: number; after: number };
  /** The stimuli/gentle folder the words came from. */
  alignment: string;
  warnings: string[];
}

function loadSurface(scan: NarrativesScan): {
  bold: Matrix;
  hemiVertices: { L: number; R: number };
  source: string;
  maskIndices?: undefined;
  volume?: undefined;
} {
  const fileFor = (h: "L" | "R") => scan.files.find((f) => f.includes(`_hemi-${h}_`));
  const [fl, fr] = [fileFor("L"), fileFor("R")];
  if (!fl || !fr) throw new Error(`${scan.key}: needs both hemispheres (found ${scan.files.join(", ") || "none"})`);
  const [l, r] = [readGiftiTimeSeries(fl), readGiftiTimeSeries(fr)];
  checkDeclaredHemisphere(fl, "L", l.hemi);
  checkDeclaredHemisphere(fr, "R", r.hemi);
  const [L, R] = [l.bold, r.bold];
  if (L.rows !== R.rows)
    throw new Error(`${scan.key}: hemispheres have different TR counts (${fl}: ${L.rows}, ${fr}: ${R.rows})`);
  const V = L.cols + R.cols;
  const data = new Float32Array(L.rows * V);
  for (let t = 0; t < L.rows; t++) {
    data.set(L.data.subarray(t * L.cols, (t + 1) * L.cols), t * V);
    data.set(R.data.subarray(t * R.cols, (t + 1) * R.cols), t * V + L.cols);
  }
  return { bold: { rows: L.rows, cols: V, data }, hemiVertices: { L: L.cols, R: R.cols }, source: fl };
}

function loadVolume(scan: NarrativesScan): {
  bold: Matrix;
  maskIndices: Int32Array;
  source: string;
  hemiVertices?: undefined;
  volume: { shape: number[]; affine: number[][] };
} {
  const file = scan.files[0];
  const img = readNifti(file);
  if (img.shape.length !== 4) throw new Error(`${file}: expected a 4D BOLD image, got shape [${img.shape.join(", ")}]`);
  const [x, y, z, T] = img.shape;
  const nVox = x * y * z;
  const maskFile = file.replace(/_res-native_desc-clean_bold\.nii(\.gz)?$/, "_res-native_desc-brain_mask.nii.gz");
  let mask: ArrayLike<number>;
  if (existsSync(maskFile)) {
    const m = readNifti(maskFile);
    if (m.data.length !== nVox)
      throw new Error(`${maskFile}: mask has ${m.data.length} voxels, BOLD volumes have ${nVox}`);
    const off = m.affine
      .flat()
      .findIndex((v, i) => Math.abs(v - img.affine.flat()[i]) > 1e-4 * Math.max(1, Math.abs(v)));
    if (off >= 0)
      throw new Error(
        `${maskFile}: the mask's affine differs from the BOLD's (${file}) at row ${Math.floor(off / 4)}, column ${off % 4}; the mask must be on the BOLD's grid`,
      );
    mask = m.data;
  } else mask = new Uint8Array(nVox).fill(1);
  const inside: number[] = [];
  for (let i = 0; i < nVox; i++) if (mask[i] > 0) inside.push(i);
  const V = inside.length;
  if (V === 0) throw new Error(`${existsSync(maskFile) ? maskFile : file}: the brain mask selects no voxel`);
  const data = new Float32Array(T * V);
  for (let t = 0; t < T; t++) for (let k = 0; k < V; k++) data[t * V + k] = img.data[t * nVox + inside[k]];
  return {
    bold: { rows: T, cols: V, data },
    maskIndices: Int32Array.from(inside),
    source: file,
    volume: { shape: [x, y, z], affine: img.affine },
  };
}
