/**
 * The forecast analyses of one scan, in the order they run, one list for `brainscore run` (pipeline/
 * subject.ts) and `brainscore forecast` (cli/forecast.ts): the full window, each control (regions only in the
 * pipeline), then the syntactic and semantic windows of the decomposition. "Mapped" analyses are the ones the
 * paper maps on the cortex (full, syntax, semantics): the pipeline runs them on every vertex when asked.
 */
import type { Matrix } from "../linalg/dense.js";
import type { ForecastControl } from "./sweep.js";

export interface ForecastAnalysis {
  /** "full", "control_<control>", "syntax" or "semantics": the name tables, maps and stored results use. */
  name: string;
  control: ForecastControl;
  /** The window's features in place of the model's own future states (syntax, semantics). */
  windowFeatures?: Matrix;
  mapped: boolean;
}

export function forecastAnalyses(o: {
  controls?: ForecastControl[];
  decomposition?: { syntax: Matrix; semantics: Matrix };
}): ForecastAnalysis[] {
  const out: ForecastAnalysis[] = [{ name: "full", control: "none", mapped: true }];
  for (const control of o.controls ?? [])
    if (control !== "none") out.push({ name: `control_${control}`, control, mapped: false });
  if (o.decomposition) {
    out.push({ name: "syntax", control: "none", windowFeatures: o.decomposition.syntax, mapped: true });
    out.push({ name: "semantics", control: "none", windowFeatures: o.decomposition.semantics, mapped: true });
  }
  return out;
}
