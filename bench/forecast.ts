/**
 * Forecast benchmark: one subject's sweep on pieman's real timing (957 words, 281 TRs), GPT-2-sized
 * features (768 dimensions, random), PCA 20 + 20, 6 FIR delays, 5 folds, loo — at ROI level (150 targets,
 * the full −10 … 30 sweep) and at vertex level (81,924 targets; the first distances, reported per distance).
 */
import { fileURLToPath } from "node:url";
import { forecastSweep } from "../src/forecast/sweep.js";
import { gaussian, mulberry32 } from "../src/linalg/random.js";
import { readWords } from "../src/stimuli/readers.js";

export async function benchForecast(options: { vertexDistances?: number } = {}): Promise<object[]> {
  const words = readWords(
    fileURLToPath(new URL("../../shared/data/narratives/align/pieman/align.csv", import.meta.url)),
  );
  const W = words.words.length;
  const rand = gaussian(mulberry32(4));
  const features = { rows: W, cols: 768, data: Float64Array.from({ length: W * 768 }, rand) };
  const onsets = words.onsets.map((t) => t - 15);
  const T = 281;
  const rows: object[] = [];
  for (const [level, V, distances] of [
    ["roi", 150, Array.from({ length: 41 }, (_, i) => i - 10)],
    ["vertex", 81924, Array.from({ length: options.vertexDistances ?? 2 }, (_, i) => i)],
  ] as const) {
    const bold = { rows: T, cols: V, data: Float32Array.from({ length: T * V }, rand) };
    const t = performance.now();
    await forecastSweep(features, onsets, bold, { tr: 1.5, distances: [...distances] });
    const seconds = (performance.now() - t) / 1000;
    const perFit = seconds / (distances.length + 1);
    rows.push({
      benchmark: "forecast",
      level,
      targets: V,
      words: W,
      trs: T,
      distances: distances.length,
      seconds: +seconds.toFixed(1),
      secondsPerDistance: +perFit.toFixed(2),
      fullSweep41Seconds: +(perFit * 42).toFixed(0),
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    });
  }
  return rows;
}
