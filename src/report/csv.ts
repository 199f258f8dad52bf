/** Tidy tables as CSV (RFC 4180 quoting), written atomically; pandas.read_csv reads them as is. */
import { writeFileAtomic } from "../io/atomic.js";

export type Cell = string | number | boolean | null | undefined;
export type Row = Record<string, Cell>;

function formatCell(v: Cell): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isNaN(v) ? "NaN" : String(v);
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(
  rows: readonly Row[],
  columns: readonly string[] = rows.length ? Object.keys(rows[0]) : [],
): string {
  const lines = [columns.map((c) => formatCell(c)).join(",")];
  for (const row of rows) lines.push(columns.map((c) => formatCell(row[c])).join(","));
  return lines.join("\n") + "\n";
}

export function writeCsv(path: string, rows: readonly Row[], columns?: readonly string[]): void {
  writeFileAtomic(path, [new TextEncoder().encode(toCsv(rows, columns))]);
}
