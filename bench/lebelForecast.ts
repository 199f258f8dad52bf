/**
 * The cost of F(d) at the scale of one LeBel et al. 2023 subject (`npm run bench -- lebel-forecast [--V N]
 * [--S stories]`): 27 training stories and 1 test story of 1,900 words each (~53,000 words, ~6 h of speech
 * at 2.5 words/s), TR 2.0045 s, GPT-2-small-sized states (768, random), PCA 20 + 20, the Huth design (Lanczos,
 * trim, delays 1–4), per-voxel loo on the training stories; the baseline and two distances, timed apart
 * (window PCA, ridge), with the 41-distance sweep projected from them.
 */
import { storyForecastSweep, type ForecastStory } from "../src/forecast/storySweep.js";
import { gaussian, mulberry32 } from "../src/linalg/random.js";

const TR = 2.0045;

export async function benchLebelForecast(
  options: { voxels?: number; stories?: number; alphaSelection?: "loo" | "gcv" } = {},
): Promise<object[]> {
  const V = options.voxels ?? 20000;
  const nStories = (options.stories ?? 27) + 1;
  const wordsPerStory = 1900;
  const rand = gaussian(mulberry32(7));
  const stories: ForecastStory[] = [];
  for (let s = 0; s < nStories; s++) {
    // Words every 0.4 s (2.5 words/s) with jitter; TRs cover the story plus the trimmed rows.
    const wordTimes = Float64Array.from({ length: wordsPerStory }, (_, i) => 10 + i * 0.4 + 0.1 * Math.abs(rand()));
    const nTR = Math.ceil((wordTimes[wordsPerStory - 1] + 10) / TR) + 15;
    const trTimes = Float64Array.from({ length: nTR }, (_, i) => (i + 0.5) * TR);
    const states = { rows: wordsPerStory, cols: 768, data: Float32Array.from({ length: wordsPerStory * 768 }, rand) };
    const kept = nTR - 15;
    stories.push({
      states,
      wordTimes,
      trTimes,
      responses: { rows: kept, cols: V, data: Float32Array.from({ length: kept * V }, rand) },
    });
  }
  const train = Array.from({ length: nStories - 1 }, (_, i) => i);
  const t = performance.now();
  const res = await storyForecastSweep(stories, {
    train,
    test: [nStories - 1],
    distances: [0, 8],
    alphaSelection: options.alphaSelection ?? "loo",
  });
  const seconds = (performance.now() - t) / 1000;
  const fits = res.distances.length + 1;
  const pcaPerDistance = res.cost.pcaSeconds / fits;
  const ridgePerFit = res.cost.ridgeSeconds / fits;
  return [
    {
      benchmark: "lebel-forecast",
      stories: nStories,
      words: nStories * wordsPerStory,
      trainTRs: res.trainRows,
      testTRs: res.testRows,
      voxels: V,
      alphaSelection: options.alphaSelection ?? "loo",
      seconds: +seconds.toFixed(1),
      pcaSecondsPerDistance: +pcaPerDistance.toFixed(1),
      pcaIterations: res.cost.pcaIterations,
      ridgeSecondsPerFit: +ridgePerFit.toFixed(1),
      sweep41SecondsProjected: +((pcaPerDistance + ridgePerFit) * 42).toFixed(0),
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    },
  ];
}
