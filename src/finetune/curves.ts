/** The training record as figures: loss terms per step (loss.png) and held-out perplexity (perplexity.png). */
import { join } from "node:path";
import { lineChartSvg, type Series } from "../report/figures/lineChart.js";
import { writeSvgAsPng } from "../report/figures/png.js";
import type { Row } from "../report/csv.js";

export function writeTrainingCurves(outDir: string, log: Row[], evals: Row[], title: string): void {
  const col = (rows: Row[], key: string) => rows.map((r) => Number(r[key]));
  const steps = col(log, "step");
  const series: Series[] = [
    { name: "loss", x: steps, y: col(log, "loss") },
    { name: "next-token CE", x: steps, y: col(log, "ce") },
  ];
  if (log.some((r) => Number(r.aux) !== 0)) series.push({ name: "auxiliary", x: steps, y: col(log, "aux") });
  writeSvgAsPng(
    join(outDir, "loss.png"),
    lineChartSvg({ title: `${title}: training loss`, xLabel: "step", yLabel: "loss", series }),
    2,
  );
  if (evals.length) {
    // On a log scale (ln perplexity = held-out CE): early perplexities are orders of magnitude above later ones.
    const ppl: Series[] = [{ name: "held-out ln perplexity", x: col(evals, "step"), y: col(evals, "heldout_ce") }];
    writeSvgAsPng(
      join(outDir, "perplexity.png"),
      lineChartSvg({
        title: `${title}: held-out perplexity`,
        xLabel: "step",
        yLabel: "ln perplexity (nats)",
        series: ppl,
        markers: true,
      }),
      2,
    );
  }
}
