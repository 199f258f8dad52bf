/**
 * Ridge brain scores on the paper's problem shape against the Python peers, same data, same folds, same
 * run: `npm run bench -- ridge-peers [--n 1000] [--p 4608] [--V 81924] [--modes loo,gcv]`.
 * n TRs × (768 features × 6 FIR delays) is wider than tall, so every solver works in kernel (dual) form.
 *
 * Peer (Debian's /usr/bin/python3 with numpy and scikit-learn): per outer fold, StandardScaler on the
 * training rows, RidgeCV(alphas, alpha_per_target=True) (efficient LOO; its "eigen" mode on the n×n kernel)
 * and Pearson r on the held-out rows. himalaya is not installable on this offline machine, so it is not run.
 * Prints one JSON line per solver, with seconds, peak RSS and, for the peer, max |Δr| against our loo.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brainScore } from "../src/encoding/ridge/crossValidate.js";
import type { AlphaSelection } from "../src/encoding/ridge/criteria.js";
import { readNpy, writeNpy } from "../src/io/npy.js";
import { syntheticEncodingProblem } from "./ridge.js";

const PEER = String.raw`
import sys, time, resource, json
import numpy as np
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import KFold
xf, yf, out = sys.argv[1:4]
alphas = np.array(json.loads(sys.argv[4]))
X = np.load(xf).astype(np.float64); Y = np.load(yf).astype(np.float64)
t = time.perf_counter()
r = np.zeros((5, Y.shape[1]))
for k, (tr, te) in enumerate(KFold(5, shuffle=False).split(X)):
    mx, sx = X[tr].mean(0), X[tr].std(0); sx[sx == 0] = 1
    my, sy = Y[tr].mean(0), Y[tr].std(0); sy[sy == 0] = 1
    m = RidgeCV(alphas=alphas, alpha_per_target=True, fit_intercept=True).fit((X[tr] - mx) / sx, (Y[tr] - my) / sy)
    p = m.predict((X[te] - mx) / sx)
    yt = (Y[te] - my) / sy
    yt = yt - yt.mean(0); p = p - p.mean(0)
    r[k] = (yt * p).sum(0) / np.sqrt((yt ** 2).sum(0) * (p ** 2).sum(0))
seconds = time.perf_counter() - t
np.save(out, r.mean(0))
print(json.dumps({"seconds": seconds, "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, "numpy": np.__version__}))
`;

export async function benchRidgePeers(opts: { n?: number; p?: number; V?: number; modes?: AlphaSelection[] } = {}): Promise<object[]> {
  const n = opts.n ?? 1000;
  const p = opts.p ?? 4608;
  const V = opts.V ?? 81924;
  const { x, y } = syntheticEncodingProblem(n, p, V, 1);
  const dir = mkdtempSync(join(tmpdir(), "ridge-peers-"));
  const rows: object[] = [];
  try {
    const alphas = Array.from({ length: 10 }, (_, i) => 10 ** (i - 1));
    let looR: Float64Array | undefined;
    for (const mode of opts.modes ?? (["loo", "gcv"] as AlphaSelection[])) {
      const t = performance.now();
      const res = await brainScore(x, y, { alphas, alphaSelection: mode, dtype: "float32" });
      const seconds = (performance.now() - t) / 1000;
      if (mode === "loo") looR = res.r;
      rows.push({ benchmark: "ridge-peers", solver: `brainscore ${mode} float32`, n, p, V, form: res.settings.forms[0], seconds: +seconds.toFixed(2), peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024) });
    }
    writeNpy(join(dir, "X.npy"), { shape: [n, p], data: x.data as Float32Array });
    writeNpy(join(dir, "Y.npy"), { shape: [n, V], data: y.data as Float32Array });
    const py = spawnSync("/usr/bin/python3", ["-c", PEER, join(dir, "X.npy"), join(dir, "Y.npy"), join(dir, "r.npy"), JSON.stringify(alphas)], { encoding: "utf8", maxBuffer: 1 << 24 });
    if (py.status !== 0) {
      rows.push({ benchmark: "ridge-peers", solver: "scikit-learn RidgeCV", note: `not run: ${(py.stderr || String(py.error)).trim().split("\n").pop()}` });
    } else {
      const peer = JSON.parse(py.stdout.trim().split("\n").pop()!) as { seconds: number; peakRssMB: number; numpy: string };
      const r = readNpy(join(dir, "r.npy")).data;
      let maxDiff = 0;
      if (looR) for (let t = 0; t < V; t++) if (Number.isFinite(looR[t]) && Number.isFinite(r[t])) maxDiff = Math.max(maxDiff, Math.abs(looR[t] - r[t]));
      rows.push({ benchmark: "ridge-peers", solver: "scikit-learn 1.2.1 RidgeCV (float64, numpy " + peer.numpy + ")", n, p, V, seconds: +peer.seconds.toFixed(2), peakRssMB: peer.peakRssMB, maxAbsDiffRvsLoo: looR ? +maxDiff.toExponential(2) : null });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
