/**
 * What `brainscore run` checks before computing anything: the output folder is writable, the dataset holds
 * the configured subjects, tasks and space, the model has the configured layers, and the regions fit the
 * space's hemispheres. Each failure names the configuration key or file and what was found instead, so a
 * misconfigured run stops in seconds rather than after the first scan's features.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { readModelInfo, type ModelInfo } from "../lm/architectures.js";
import { resolveModel } from "../lm/hub.js";
import type { NarrativesDataset, NarrativesScan } from "../fmri/datasets/narratives.js";
import { FSAVERAGE_VERTICES } from "../fmri/fsaverage.js";
import { readNifti } from "../fmri/formats/nifti.js";
import { parcellationFromLabelVolume } from "../fmri/regions.js";
import { atPaperDepth, PAPER } from "../config/paper.js";
import type { RunConfig } from "./config.js";
import { hemisphereParcellation } from "./scanRegions.js";

/** A run configuration with its model resolved and its default layers rescaled to the model's depth. */
export interface ResolvedRun {
  config: RunConfig;
  /** The checkpoint folder. */
  model: string;
  info: ModelInfo;
}

/**
 * Defaults rescaled to the model (layers 0, 4, 8, 12 of 12 → 0, 1, 3, 4 of 4), then every configured layer
 * checked against it: the keys a user set are never changed, only refused with the model's range.
 */
export function resolveLayers(c: RunConfig, info: ModelInfo, modelName = c.model): RunConfig {
  const scaled = (key: RunConfig["depthDefaults"][number]) => c.depthDefaults.includes(key);
  const layers = scaled("layers") ? [...new Set(PAPER.gpt2.layers.map((l) => atPaperDepth(l, info.nLayer)))] : c.layers;
  let forecast = c.forecast;
  if (forecast) {
    forecast = {
      ...forecast,
      layer: scaled("forecast.layer") ? atPaperDepth(PAPER.gpt2.forecastLayer, info.nLayer) : forecast.layer,
      depthLayers: scaled("forecast.depthLayers") ? layers : forecast.depthLayers,
    };
  }
  const out: RunConfig = { ...c, layers, forecast, depthDefaults: [] };
  const range = `${modelName} has layers 0 … ${info.nLayer} (0 = embeddings)`;
  const bad = (key: string, list: number[]) => {
    const missing = list.filter((l) => l > info.nLayer);
    if (missing.length > 0)
      throw new Error(`${c.source}: ${key}: layer ${missing.join(", ")} does not exist; ${range}`);
  };
  bad("layers", out.layers);
  if (out.forecast) {
    bad("forecast.layer", [out.forecast.layer]);
    bad("forecast.depthLayers", out.forecast.depthLayers);
  }
  return out;
}

/** Resolves the model (a folder, a hub id or "tiny") and the layers of a run. */
export async function resolveRun(c: RunConfig): Promise<ResolvedRun> {
  const model = await resolveModel(c.model, { cacheDir: c.cacheDir });
  const info = readModelInfo(model);
  return { config: resolveLayers(c, info), model, info };
}

/**
 * The regions, built once for the space's vertex counts (surfaces) or read from the label volume
 * (volumes; its grid is checked against each scan's BOLD when the scan loads).
 */
export function checkRegions(c: RunConfig): void {
  if (c.space === "MNI152NLin2009cAsym") {
    const img = readNifti(c.regions.labels!);
    if (parcellationFromLabelVolume(img).names.length === 0)
      throw new Error(`${c.regions.labels}: regions.labels: the label volume labels no voxel (every value is 0)`);
    return;
  }
  const n = FSAVERAGE_VERTICES[c.space];
  hemisphereParcellation(c, { L: n, R: n });
}

/** The subjects a derivatives folder holds and the spaces its func files are in, to explain "no scans". */
function whatIsThere(ds: NarrativesDataset): { subjects: string[]; spaces: string[]; tasks: string[]; deriv: string } {
  const deriv = join(ds.root, "derivatives", ds.pipeline);
  if (!existsSync(deriv)) return { subjects: [], spaces: [], tasks: [], deriv };
  const subjects = readdirSync(deriv)
    .filter((s) => /^sub-[A-Za-z0-9]+$/.test(s))
    .sort();
  const spaces = new Set<string>();
  const tasks = new Set<string>();
  for (const s of subjects) {
    const func = join(deriv, s, "func");
    if (!existsSync(func)) continue;
    for (const f of readdirSync(func)) {
      const m = /_space-([A-Za-z0-9]+)_/.exec(f);
      if (m) spaces.add(m[1]);
      const t = /_task-([A-Za-z0-9]+)_/.exec(f);
      if (t && m?.[1] === ds.space) tasks.add(t[1]);
    }
  }
  return { subjects, spaces: [...spaces].sort(), tasks: [...tasks].sort(), deriv };
}

const list = (xs: string[], most = 8) =>
  xs.length <= most ? xs.join(", ") : `${xs.slice(0, most).join(", ")}, … (${xs.length} in all)`;

/**
 * Refuses subjects that are not in the dataset, and a run that finds no scan, saying what the dataset
 * does hold (subjects, spaces) so the key to fix is plain.
 */
export function checkScansFound(
  c: RunConfig,
  ds: NarrativesDataset,
  scans: NarrativesScan[],
  excluded: NarrativesScan[],
  subjects = c.subjects,
): void {
  // The usual case (scans found, no subject list) needs no second walk of the derivatives folder.
  if (scans.length > 0 && !subjects) return;
  const there = whatIsThere(ds);
  const key = subjects === c.subjects ? "subjects" : "--subjects";
  const absent = (subjects ?? []).filter((s) => !there.subjects.includes(s));
  if (absent.length > 0)
    throw new Error(
      `${c.source}: ${key}: ${absent.join(", ")} not in ${there.deriv} (it holds ${list(there.subjects) || "no subject folder"})`,
    );
  if (scans.length > 0) return;
  const tasks = c.tasks?.join(", ") ?? "(all tasks in event_meta.json)";
  if (excluded.length > 0)
    throw new Error(
      `${c.source}: every scan of tasks ${tasks} is excluded by code/scan_exclude.json (${list(excluded.map((s) => s.key))})`,
    );
  if (!there.spaces.includes(c.space)) {
    throw new Error(
      `${c.source}: space: no ${c.space} file in ${there.deriv}${there.spaces.length ? `; its files are in space ${there.spaces.join(", ")}` : " (no func file with a space- entity)"}`,
    );
  }
  const unlisted = there.tasks.filter((t) => !(t in ds.eventMeta));
  if (unlisted.length > 0 && !c.tasks) {
    throw new Error(
      `${ds.eventMetaSource}: the scans in ${there.deriv} are of task(s) ${list(unlisted)}, which it does not list (it lists ${list(Object.keys(ds.eventMeta)) || "none"}): add their story windows`,
    );
  }
  throw new Error(
    `${c.source}: tasks: no ${c.space} scan of ${tasks} for ${subjects ? list(subjects) : `the ${there.subjects.length} subject(s)`} in ${there.deriv}${there.tasks.length ? ` (its ${c.space} scans are of ${list(there.tasks)})` : ""}`,
  );
}
