/**
 * Word lists with timings from the formats naturalistic-listening datasets ship: Gentle forced alignments
 * (align.json, align.csv), Praat TextGrid word tiers, BIDS events.tsv with a word column, and plain text.
 */
import { basename, extname } from "node:path";
import { readText } from "../io/files.js";
import { parseTextGridTiers } from "./textGrid.js";
import { untimedWords, withInterpolatedTimings, type WordEvents } from "./words.js";

/**
 * Word events (text, onset, offset) from a Gentle alignment (json/csv), a TextGrid, a BIDS events.tsv or plain text.
 */
export function readWords(path: string, options: { wordColumn?: string } = {}): WordEvents {
  const text = readText(path);
  const name = basename(path).toLowerCase();
  if (name.endsWith(".json")) return parseGentleJson(text, path);
  if (name.endsWith(".csv")) return parseGentleCsv(text, path);
  if (name.endsWith(".textgrid")) return parseTextGrid(text, path);
  if (name.endsWith(".tsv")) return parseEventsTsv(text, path, options.wordColumn);
  if (extname(name) === ".txt")
    return untimedWords(
      text.split(/\s+/).filter((w) => w.length > 0),
      path,
    );
  throw new Error(
    `${path}: unsupported word file; expected Gentle align.json/align.csv, a .TextGrid, a BIDS events.tsv or a .txt`,
  );
}

/** Gentle align.csv: no header; word, alignedWord, start, end (times empty when not found in the audio). */
export function parseGentleCsv(text: string, source: string): WordEvents {
  const words: string[] = [];
  const on: number[] = [];
  const off: number[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "") return;
    const cells = splitCsvLine(line);
    if (cells.length < 4)
      throw new Error(
        `${source} line ${i + 1}: expected 4 columns (word, alignedWord, start, end), found ${cells.length}`,
      );
    const word = cells[0].trim();
    if (word === "") throw new Error(`${source} line ${i + 1}: empty word`);
    const time = (cell: string, what: string) => {
      if (cell.trim() === "") return NaN;
      const v = Number(cell);
      if (!Number.isFinite(v) || v < 0)
        throw new Error(`${source} line ${i + 1}: ${what} "${cell}" is not a time in seconds`);
      return v;
    };
    words.push(word);
    on.push(time(cells[2], "start"));
    off.push(time(cells[3], "end"));
  });
  return withInterpolatedTimings(words, on, off, source);
}

/** Gentle align.json: {transcript, words: [{word, alignedWord, start, end, case, ...}]}. */
export function parseGentleJson(text: string, source: string): WordEvents {
  let json: { words?: unknown };
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: not valid JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(json.words)) throw new Error(`${source}: no "words" array (is this a Gentle alignment?)`);
  const words: string[] = [];
  const on: number[] = [];
  const off: number[] = [];
  json.words.forEach((w: Record<string, unknown>, i: number) => {
    if (typeof w?.word !== "string" || w.word.trim() === "")
      throw new Error(`${source}: words[${i}] has no "word" string`);
    words.push(w.word.trim());
    const found = w.case === undefined || w.case === "success";
    on.push(found && typeof w.start === "number" ? w.start : NaN);
    off.push(found && typeof w.end === "number" ? w.end : NaN);
  });
  return withInterpolatedTimings(words, on, off, source);
}

/** Intervals of silence or pauses in aligner output, not words. */
const PAUSES = new Set(["", "sp", "sil", "<sil>", "<sp>", "{sl}", "{lg}"]);

/** Praat TextGrid (long or short text format): the tier named "word"/"words", else the first interval tier. */
export function parseTextGrid(text: string, source: string): WordEvents {
  const tiers = parseTextGridTiers(text, source);
  if (tiers.length === 0) throw new Error(`${source}: no tiers`);
  const tier =
    tiers.find((t) => t.kind === "interval" && /^words?$/i.test(t.name)) ?? tiers.find((t) => t.kind === "interval");
  if (!tier) throw new Error(`${source}: no interval tier with words`);
  const words: string[] = [];
  const on: number[] = [];
  const off: number[] = [];
  for (const iv of tier.intervals) {
    const word = iv.text.trim();
    if (PAUSES.has(word.toLowerCase())) continue;
    for (const piece of word.split(/\s+/)) {
      words.push(piece);
      on.push(iv.start);
      off.push(iv.end);
    }
  }
  if (words.length === 0) throw new Error(`${source}: tier "${tier.name}" has no word intervals`);
  return withInterpolatedTimings(words, on, off, source);
}

/** BIDS events.tsv: onset, duration and a word column ("word" by default; n/a times are interpolated). */
export function parseEventsTsv(text: string, source: string, wordColumn = "word"): WordEvents {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines.length < 2) throw new Error(`${source}: no event rows`);
  const header = lines[0].split("\t").map((h) => h.trim());
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`${source}: no "${name}" column (columns: ${header.join(", ")})`);
    return i;
  };
  const [iOnset, iDuration, iWord] = [col("onset"), header.indexOf("duration"), col(wordColumn)];
  const words: string[] = [];
  const on: number[] = [];
  const off: number[] = [];
  lines.slice(1).forEach((line, r) => {
    const cells = line.split("\t");
    const word = (cells[iWord] ?? "").trim();
    if (word === "" || word === "n/a") return;
    const onset = cells[iOnset]?.trim() === "n/a" ? NaN : Number(cells[iOnset]);
    if (Number.isNaN(onset) && cells[iOnset]?.trim() !== "n/a")
      throw new Error(`${source} row ${r + 2}: onset "${cells[iOnset]}" is not a number`);
    const duration = iDuration >= 0 ? Number(cells[iDuration]) : NaN;
    for (const piece of word.split(/\s+/)) {
      words.push(piece);
      on.push(onset);
      off.push(Number.isFinite(duration) ? onset + duration : NaN);
    }
  });
  return withInterpolatedTimings(words, on, off, source);
}

/** One CSV line with RFC 4180 quoting. */
function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      cells.push(cur);
      cur = "";
    } else cur += ch;
  }
  cells.push(cur);
  return cells;
}
