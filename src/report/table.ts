/**
 * Tidy tables written as Parquet and CSV side by side. Parquet through hyparquet-writer: pure JavaScript,
 * installed from the npm registry alone (danfojs-node, the card's table library, cannot install here: its
 * install fetches tfjs-node binaries and an xlsx tarball from outside the registry). pandas reads both.
 */
import { parquetWriteBuffer } from "hyparquet-writer";
import { writeFileAtomic } from "../io/atomic.js";
import { writeCsv, type Row } from "./csv.js";

type ColumnType = "STRING" | "DOUBLE" | "INT32" | "BOOLEAN";

function columnType(rows: readonly Row[], name: string): ColumnType {
  let allInt = true;
  let sawNumber = false;
  for (const r of rows) {
    const v = r[name];
    if (v === null || v === undefined) continue;
    if (typeof v === "string") return "STRING";
    if (typeof v === "boolean") return "BOOLEAN";
    sawNumber = true;
    if (!Number.isInteger(v) || Math.abs(v) > 2 ** 31 - 1) allInt = false;
  }
  return sawNumber && allInt ? "INT32" : sawNumber ? "DOUBLE" : "STRING";
}

export function encodeParquet(rows: readonly Row[], columns: readonly string[]): Uint8Array {
  const columnData = columns.map((name) => {
    const type = columnType(rows, name);
    const data = rows.map((r) => {
      const v = r[name];
      if (v === undefined || v === null) return null;
      return type === "STRING" ? String(v) : v;
    });
    return { name, data, type };
  });
  return new Uint8Array(parquetWriteBuffer({ columnData }));
}

/** Writes `<base>.parquet` and `<base>.csv`; returns both paths. */
export function writeTable(
  base: string,
  rows: readonly Row[],
  columns: readonly string[] = rows.length ? Object.keys(rows[0]) : [],
): string[] {
  writeFileAtomic(`${base}.parquet`, [encodeParquet(rows, columns)]);
  writeCsv(`${base}.csv`, rows, columns);
  return [`${base}.parquet`, `${base}.csv`];
}
