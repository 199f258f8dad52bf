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
let y = { rows: ya.shape[0], cols: ya.shape[1], data: ya.data as Float32Array };
if (Number(v) < y.cols) y = takeColumns(y, 0, Number(v)) as typeof y;
// Each 4 KB page read once before the timer, as the peers' np.ascontiguousarray copy reads theirs: pages the
// file read alone filled cost ~0.12 s more on the first pass over 85 MB (measured here, per page, not per
// value), a cost of loading, not of fitting.
let touched = 0;
for (let i = 0; i < y.data.length; i += 1024) touched += y.data[i];
if (!Number.isFinite(touched)) console.error("note: Y holds non-finite values");
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
