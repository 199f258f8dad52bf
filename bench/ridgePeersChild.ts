/**
 * One brainscore solver of `bench -- ridge-peers` in its own process:
 * ridgePeersChild.ts X.npy Y.npy V MODE OUT_R.npy ALPHAS_JSON. Prints one JSON line (seconds of brainScore
 * alone, peak RSS, the solver's form).
 */
import { brainScore } from "../src/ridge/crossValidate.js";
import type { AlphaSelection } from "../src/ridge/alphaSelection.js";
import { takeColumns } from "../src/linalg/dense.js";
import { readNpy, writeNpy } from "../src/io/npy.js";

const [xf, yf, v, mode, out, alphas] = process.argv.slice(2);
const xa = readNpy(xf);
const ya = readNpy(yf);
const x = { rows: xa.shape[0], cols: xa.shape[1], data: xa.data as Float32Array };
// Copied once before the timer, always, as the peers' np.ascontiguousarray does: memory filled by the
// file read alone costs ~0.1 s more on its first pass (measured here), a cost of loading, not of fitting.
const y = takeColumns({ rows: ya.shape[0], cols: ya.shape[1], data: ya.data as Float32Array }, 0, Number(v));
const t = performance.now();
const res = await brainScore(x, y, {
  alphas: JSON.parse(alphas),
  alphaSelection: mode as AlphaSelection,
  dtype: "float32",
});
const seconds = (performance.now() - t) / 1000;
writeNpy(out, { shape: [res.r.length], data: res.r });
console.log(
  JSON.stringify({
    seconds,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    form: res.settings.forms[0],
    dtype: "float32",
  }),
);
