/** `brainscore demo`: the embedded real-fMRI demo; writes tables under results/demo and prints a summary. */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { runAliceDemo } from "../pipeline/aliceDemo.js";
import { DEMO_SIMULATION, runSimulatedDemo } from "../pipeline/demo.js";
import { describeRecovery } from "../pipeline/demoRecovery.js";
import { writeCsv } from "../report/csv.js";
import { progressBar } from "./progress.js";
import { numberOption } from "./args.js";

export const DEMO_HELP = `Usage: brainscore demo [--out results/demo] [--shifts 200] [--seed 0] [--data DIR] [--alice-only] [--quiet]

1. Scores the embedded real fMRI (Brennan et al. 2016, Alice in Wonderland: 28 subjects, 6 left/right
   temporal and frontal ROIs, TR 2 s) with word-rate and sound-power regressors (FIR delays 0-6 s, ridge,
   5 contiguous folds, leave-one-out penalties), against a circular-shift null:
     <out>/alice_subject_scores.csv, <out>/alice_group_scores.csv
2. Simulates a small Narratives subset (pieman's real word timing, 14 subjects, fsaverage5, the project's
   tiny GPT-2, planted regions) and runs the whole pipeline on it (brain scores per layer, forecast sweeps,
   syntactic/semantic decomposition, statistics, noise ceiling):
     <out>/simulated/{tables,maps,figures}/`;

export async function demoCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      out: { type: "string" },
      shifts: { type: "string" },
      seed: { type: "string" },
      data: { type: "string" },
      "alice-only": { type: "boolean" },
      quiet: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(DEMO_HELP);
    return;
  }
  const shifts = numberOption(values.shifts, "--shifts", DEMO_HELP, 200, { integer: true, min: 1 });
  const seed = numberOption(values.seed, "--seed", DEMO_HELP, 0);
  const out = resolve(values.out ?? "results/demo");
  mkdirSync(out, { recursive: true });
  const bar = progressBar("alice subjects", process.stderr, values.quiet);
  const res = await runAliceDemo({ root: values.data, shifts, seed, onSubject: (d, t) => bar.update(d, t) });
  bar.finish();
  writeCsv(join(out, "alice_subject_scores.csv"), res.subjects);
  writeCsv(join(out, "alice_group_scores.csv"), res.group);
  const lines = [
    "Alice in Wonderland (Brennan et al. 2016): word rate + sound power → ROI BOLD",
    "roi     mean r   null mean   p (circular shift)",
  ];
  for (const g of res.group) {
    lines.push(
      `${String(g.roi).padEnd(7)} ${Number(g.mean_r).toFixed(4).padStart(7)}   ${Number(g.null_mean_r).toFixed(4).padStart(8)}   ${Number(g.p_shift).toFixed(4)}`,
    );
  }
  for (const f of res.failures) lines.push(`warning: subject ${f.subject} skipped: ${f.error}`);
  const bySubject = new Map<string, string[]>();
  for (const e of res.excluded)
    bySubject.set(`${e.subject} (${e.reason})`, [...(bySubject.get(`${e.subject} (${e.reason})`) ?? []), e.roi]);
  for (const [who, rois] of bySubject) lines.push(`note: ${who} left out of the group means for ${rois.join(", ")}`);
  lines.push(`wrote ${join(out, "alice_subject_scores.csv")}`, `wrote ${join(out, "alice_group_scores.csv")}`);
  console.log(lines.join("\n"));
  if (values["alice-only"]) return;
  const sim = progressBar("simulated Narratives", process.stderr, values.quiet);
  const { report, config, recovery } = await runSimulatedDemo(out, {
    onProgress: (stage, d, t) => sim.update(d, t, stage),
  });
  sim.finish();
  const planted = DEMO_SIMULATION.regions.map(
    (r) =>
      `  ${r.name}: ${r.label} (${r.hemi}), layer ${r.layer}${r.d === undefined ? "" : `, d = ${r.d}`}${r.component ? `, ${r.component}` : ""}`,
  );
  console.log(
    [
      "",
      `Simulated Narratives subset (pieman timing, ${DEMO_SIMULATION.subjects} subjects, tiny GPT-2), planted:`,
      ...planted,
      ...(report.group?.summary ?? []),
      ...describeRecovery(recovery, config.statistics.alpha),
      ...report.failed.map((f) => `failed: ${f.key}: ${f.error}`),
      `outputs: ${join(config.outDir, config.name)}/ (tables: Parquet + CSV; maps: GIfTI; figures: PNG)`,
    ].join("\n"),
  );
}
