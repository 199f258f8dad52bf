/**
 * Schema checks of the Narratives metadata files, where they are read: code/event_meta.json (per task,
 * per story: onset and duration in whole TRs within the scan) and code/scan_exclude.json (per task, per
 * subject: the scan keys to leave out). A wrong entry is named with its file, its path and what was
 * expected, instead of surfacing later as an impossible trim or a non-finite value blamed on the BOLD.
 */
import type { EventMeta, ScanExclude } from "./narratives.js";

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

export function validateEventMeta(json: unknown, source: string): EventMeta {
  if (!isObject(json))
    throw new Error(`${source}: expected an object of tasks, got ${JSON.stringify(json)?.slice(0, 60)}`);
  for (const [task, stories] of Object.entries(json)) {
    if (!isObject(stories) || Object.keys(stories).length === 0)
      throw new Error(
        `${source}: ${task}: expected an object of stories with {"onset", "duration"}, got ${JSON.stringify(stories)?.slice(0, 60)}`,
      );
    for (const [story, w] of Object.entries(stories)) {
      if (!isObject(w))
        throw new Error(
          `${source}: ${task}.${story}: expected {"onset": TRs, "duration": TRs}, got ${JSON.stringify(w)?.slice(0, 60)}`,
        );
      for (const key of ["onset", "duration"] as const) {
        const v = w[key];
        const ok = typeof v === "number" && Number.isInteger(v) && (key === "onset" ? v >= 0 : v > 0);
        if (!ok)
          throw new Error(
            `${source}: ${task}.${story}.${key}: expected a whole ${key === "onset" ? "non-negative" : "positive"} number of TRs, got ${JSON.stringify(v)}`,
          );
      }
    }
  }
  return json as EventMeta;
}

export function validateScanExclude(json: unknown, source: string): ScanExclude {
  if (!isObject(json))
    throw new Error(`${source}: expected an object of tasks, got ${JSON.stringify(json)?.slice(0, 60)}`);
  for (const [task, subjects] of Object.entries(json)) {
    if (!isObject(subjects))
      throw new Error(
        `${source}: ${task}: expected an object of subjects → lists of scan keys, got ${JSON.stringify(subjects)?.slice(0, 60)}`,
      );
    for (const [subject, keys] of Object.entries(subjects)) {
      if (!Array.isArray(keys) || !keys.every((k) => typeof k === "string"))
        throw new Error(
          `${source}: ${task}.${subject}: expected a list of scan keys (e.g. ["${subject}_task-${task}"]), got ${JSON.stringify(keys)?.slice(0, 60)}`,
        );
    }
  }
  return json as ScanExclude;
}
