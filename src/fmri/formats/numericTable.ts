/** Whitespace-separated numeric text tables (SPM/FSL/AFNI-style .txt regressors and time courses). */
import type { Matrix } from "../../linalg/dense.js";
import { readText } from "../../io/files.js";

/** Reads a numeric table; every non-empty line must hold `columns` numbers (any count if omitted). */
export function readNumericTable(path: string, columns?: number): Matrix {
  const text = readText(path);
  const rows: number[][] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === "") return;
    const values = trimmed.split(/\s+/).map(Number);
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new Error(`${path} line ${i + 1}: "${trimmed.split(/\s+/)[bad]}" is not a finite number`);
    const expected = columns ?? rows[0]?.length ?? values.length;
    if (values.length !== expected)
      throw new Error(`${path} line ${i + 1}: expected ${expected} numbers, found ${values.length}`);
    rows.push(values);
  });
  if (rows.length === 0) throw new Error(`${path}: no data rows`);
  const cols = rows[0].length;
  const data = new Float64Array(rows.length * cols);
  rows.forEach((r, i) => data.set(r, i * cols));
  return { rows: rows.length, cols, data };
}
