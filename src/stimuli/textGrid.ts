/**
 * Praat TextGrid files, long and short text formats (`File type = "ooTextFile"`): both are the same
 * sequence of values — strings, numbers, <exists> — the long one with labels ("xmin =", "item [1]:")
 * between them, so the labels are skipped and the values read in order. Chronological and binary
 * TextGrids are refused by name.
 */

export interface TextGridInterval {
  start: number;
  end: number;
  text: string;
}

export interface TextGridTier {
  name: string;
  kind: "interval" | "point";
  /** Intervals (point tiers: start = end = the point's time). */
  intervals: TextGridInterval[];
}

/** Strings ("" escapes a quote), the <exists>/<absent> flag, numbers; bracketed indices and ! comments skipped. */
const TOKEN = /"((?:[^"]|"")*)"|\[\d*\]|<(exists|absent)>|(-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|!.*$/gm;

type Token = { kind: "string" | "number" | "flag"; value: string };

/** Every tier of a TextGrid (long or short text format); `source` names the file in errors. */
export function parseTextGridTiers(text: string, source: string): TextGridTier[] {
  if (/^\s*"Praat chronological TextGrid text file"/.test(text))
    throw new Error(`${source}: a chronological TextGrid; save it from Praat as a text (long or short) TextGrid`);
  if (!/File type = "ooTextFile"/.test(text))
    throw new Error(`${source}: not a Praat TextGrid text file (no 'File type = "ooTextFile"' line)`);
  const tokens: Token[] = [];
  for (const m of text.matchAll(TOKEN)) {
    if (m[1] !== undefined) tokens.push({ kind: "string", value: m[1].replace(/""/g, '"') });
    else if (m[2] !== undefined) tokens.push({ kind: "flag", value: m[2] });
    else if (m[3] !== undefined) tokens.push({ kind: "number", value: m[3] });
  }
  let at = 0;
  const next = (kind: Token["kind"], what: string): string => {
    const t = tokens[at++];
    if (!t || t.kind !== kind)
      throw new Error(
        `${source}: malformed TextGrid: expected ${what}, found ${t ? `${t.kind} "${t.value}"` : "the end of the file"}`,
      );
    return t.value;
  };
  const num = (what: string) => Number(next("number", what));
  if (next("string", "the file type") !== "ooTextFile" || next("string", "the object class") !== "TextGrid") {
    throw new Error(`${source}: not a TextGrid (the object class must be "TextGrid")`);
  }
  num("xmin");
  num("xmax");
  if (next("flag", "<exists>") !== "exists") return [];
  const size = num("the number of tiers");
  const tiers: TextGridTier[] = [];
  for (let k = 0; k < size; k++) {
    const cls = next("string", `tier ${k + 1}'s class`);
    const name = next("string", `tier ${k + 1}'s name`);
    num("tier xmin");
    num("tier xmax");
    const n = num(`tier "${name}"'s number of entries`);
    if (!(Number.isInteger(n) && n >= 0)) throw new Error(`${source}: tier "${name}" declares ${n} entries`);
    const intervals: TextGridInterval[] = [];
    if (cls === "IntervalTier") {
      for (let i = 0; i < n; i++) {
        const start = num(`interval ${i + 1} of "${name}": xmin`);
        const end = num(`interval ${i + 1} of "${name}": xmax`);
        intervals.push({ start, end, text: next("string", `interval ${i + 1} of "${name}": text`) });
      }
    } else if (cls === "TextTier") {
      for (let i = 0; i < n; i++) {
        const time = num(`point ${i + 1} of "${name}": time`);
        intervals.push({ start: time, end: time, text: next("string", `point ${i + 1} of "${name}": mark`) });
      }
    } else {
      throw new Error(`${source}: tier "${name}" has class "${cls}"; expected IntervalTier or TextTier`);
    }
    tiers.push({ name, kind: cls === "IntervalTier" ? "interval" : "point", intervals });
  }
  return tiers;
}

/** A TextGrid in the long text format (what Praat writes by default), for writers of simulated datasets. */
export function encodeTextGrid(tiers: TextGridTier[], xmax: number): string {
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  const lines = [
    'File type = "ooTextFile"',
    'Object class = "TextGrid"',
    "",
    "xmin = 0 ",
    `xmax = ${xmax} `,
    "tiers? <exists> ",
    `size = ${tiers.length} `,
    "item []: ",
  ];
  tiers.forEach((t, k) => {
    const interval = t.kind === "interval";
    lines.push(
      `    item [${k + 1}]:`,
      `        class = ${q(interval ? "IntervalTier" : "TextTier")} `,
      `        name = ${q(t.name)} `,
      "        xmin = 0 ",
      `        xmax = ${xmax} `,
    );
    lines.push(`        ${interval ? "intervals" : "points"}: size = ${t.intervals.length} `);
    t.intervals.forEach((iv, i) => {
      if (interval)
        lines.push(
          `        intervals [${i + 1}]:`,
          `            xmin = ${iv.start} `,
          `            xmax = ${iv.end} `,
          `            text = ${q(iv.text)} `,
        );
      else
        lines.push(
          `        points [${i + 1}]:`,
          `            number = ${iv.start} `,
          `            mark = ${q(iv.text)} `,
        );
    });
  });
  return lines.join("\n") + "\n";
}
