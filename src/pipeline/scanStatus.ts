/**
 * Which scans a run expects and what became of each: combined into the group outputs, failed (with the
 * reason its shard recorded in failures*.json), left out (a stored result of another configuration, or
 * unreadable) or missing (no result and no recorded failure: a shard that never ran or was cancelled).
 * `merge` reports these by name and writes them to tables/scans, so a scheduler (and a reader) can tell a
 * complete group result from a partial one.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";

export type ScanState = "combined" | "failed" | "left out" | "missing";

export interface ScanStatus {
  key: string;
  status: ScanState;
  reason: string | null;
}

/** Every failure recorded by the run's shards (failures.json, failures-<i>of<N>.json), by scan key. */
export function readFailures(root: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!existsSync(root)) return out;
  for (const f of readdirSync(root).sort()) {
    if (!/^failures(-\d+of\d+)?\.json$/.test(f)) continue;
    let list: unknown;
    try {
      list = JSON.parse(readFileSync(join(root, f), "utf8"));
    } catch (e) {
      throw new Error(
        `${join(root, f)}: not valid JSON (${(e as Error).message}); delete it or rerun the shard that wrote it`,
      );
    }
    if (!Array.isArray(list)) throw new Error(`${join(root, f)}: expected a list of {"key", "error"}`);
    for (const x of list as { key?: unknown; error?: unknown }[])
      if (typeof x?.key === "string") out.set(x.key, String(x.error ?? "failed"));
  }
  return out;
}

/** The status of every expected scan (a stored, usable result wins over a stale failure entry). */
export function scanStatuses(
  expected: string[],
  combined: string[],
  leftOut: { file: string; reason: string }[],
  failures: Map<string, string>,
): ScanStatus[] {
  const done = new Set(combined);
  const left = new Map(leftOut.map((l) => [basename(l.file).replace(/\.safetensors$/, ""), l.reason]));
  return expected.map((key) => {
    if (done.has(key)) return { key, status: "combined", reason: null };
    if (failures.has(key)) return { key, status: "failed", reason: failures.get(key)! };
    if (left.has(key)) return { key, status: "left out", reason: left.get(key)! };
    return {
      key,
      status: "missing",
      reason: "no result and no recorded failure (its shard has not run, or was stopped)",
    };
  });
}

/** One summary line, and one per scan that is not combined. */
export function describeScanStatuses(statuses: ScanStatus[]): string[] {
  const n = (s: ScanState) => statuses.filter((x) => x.status === s).length;
  const lines = [
    `scans: ${n("combined")} of ${statuses.length} expected combined; ${n("failed")} failed, ${n("left out")} left out, ${n("missing")} missing`,
  ];
  for (const s of statuses) if (s.status !== "combined") lines.push(`  ${s.status}: ${s.key}: ${s.reason}`);
  return lines;
}
