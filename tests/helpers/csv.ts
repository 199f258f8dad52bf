/** Reads a table the toolkit wrote (tables/*.csv: a header row, no quoted commas) as rows of strings. */
import { readFileSync } from "node:fs";

export function readCsvRows(path: string): Record<string, string>[] {
  const [head, ...lines] = readFileSync(path, "utf8").trim().split("\n");
  const cols = head.split(",");
  return lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [cols[i], v])));
}
