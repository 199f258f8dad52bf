/**
 * Vertex-level group statistics of forecast sweeps (the paper's Figs. 2–4): S subjects × 41 distances ×
 * 81,924 fsaverage6 vertices, each subject's F(d) read from its own file one at a time, as `brainscore run`
 * does — mean F(d), d* = argmax, one-sided Wilcoxon of F(8) − F(0) across subjects, Benjamini–Hochberg.
 * Peer, same files, same process shape: numpy + scipy.stats.wilcoxon(axis=0) + a numpy BH (when python3
 * with scipy is installed); the two are compared (max |Δp|, d* agreement).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { groupForecastPeaks } from "../src/stats/forecastPeaks.js";
import { readNpy, writeNpy } from "../src/io/npy.js";
import { gaussian, mulberry32 } from "../src/linalg/random.js";

const PEER = `
import sys, time, json, numpy as np
from scipy.stats import wilcoxon
files, iT, iR, out = sys.argv[1].split(","), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
t = time.perf_counter()
F = np.stack([np.load(f) for f in files])            # S × D × V
mean = F.mean(axis=0)
dstar = mean.argmax(axis=0)
diff = F[:, iT, :].astype(np.float64) - F[:, iR, :]
p = wilcoxon(diff, alternative="greater", axis=0).pvalue
order = np.argsort(p); m = len(p)
q = np.minimum.accumulate((p[order] * m / np.arange(1, m + 1))[::-1])[::-1]
pfdr = np.empty(m); pfdr[order] = np.minimum(q, 1)
sig = (pfdr < 0.01) & (mean[dstar, np.arange(m)] > 0)
seconds = time.perf_counter() - t
np.save(out + "_p.npy", p); np.save(out + "_dstar.npy", dstar.astype(np.float64))
import resource
print(json.dumps({"seconds": seconds, "significant": int(sig.sum()), "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))
`;

export async function benchForecastGroup(options: { subjects?: number; vertices?: number } = {}): Promise<object[]> {
  const S = options.subjects ?? 20;
  const V = options.vertices ?? 81924;
  const distances = Array.from({ length: 41 }, (_, i) => i - 10);
  const D = distances.length;
  const dir = mkdtempSync(join(tmpdir(), "bench-forecast-group-"));
  try {
    // Each subject's [D × V] F(d): noise everywhere, a bump at d = 8 in the first tenth of the vertices.
    const files: string[] = [];
    for (let s = 0; s < S; s++) {
      const rand = gaussian(mulberry32(100 + s));
      const f = new Float32Array(D * V);
      for (let i = 0; i < D; i++)
        for (let v = 0; v < V; v++)
          f[i * V + v] = 0.01 * rand() + (v < V / 10 ? 0.02 * Math.exp(-((distances[i] - 8) ** 2) / 8) : 0);
      files.push(join(dir, `sub-${s}.npy`));
      writeNpy(files[s], { shape: [D, V], data: f });
    }
    const t = performance.now();
    const subjects = function* () {
      for (const file of files) yield { distances, forecast: readNpy(file).data, nTargets: V };
    };
    const g = groupForecastPeaks(subjects(), { alpha: 0.01 });
    const seconds = (performance.now() - t) / 1000;
    const significant = g.significant.reduce((a, b) => a + b, 0);
    const row: Record<string, unknown> = {
      benchmark: "forecast-group",
      subjects: S,
      distances: D,
      vertices: V,
      seconds: +seconds.toFixed(2),
      significant,
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    };
    const py = spawnSync(
      "python3",
      ["-c", PEER, files.join(","), String(distances.indexOf(8)), String(distances.indexOf(0)), join(dir, "peer")],
      { encoding: "utf8" },
    );
    if (py.status === 0) {
      const peer = JSON.parse(py.stdout.trim().split("\n").pop()!);
      const p = readNpy(join(dir, "peer_p.npy")).data;
      const dstar = readNpy(join(dir, "peer_dstar.npy")).data;
      let maxDp = 0;
      let sameD = 0;
      for (let v = 0; v < V; v++) {
        maxDp = Math.max(maxDp, Math.abs(p[v] - g.p[v]));
        if (distances[dstar[v]] === g.dStarAll[v]) sameD++;
      }
      Object.assign(row, {
        peer: "numpy + scipy.stats.wilcoxon",
        peerSeconds: +peer.seconds.toFixed(2),
        peerSignificant: peer.significant,
        peerPeakRssMB: peer.peakRssMB,
        speedup: +(peer.seconds / seconds).toFixed(2),
        maxAbsDeltaP: maxDp,
        dStarAgreement: sameD / V,
      });
    } else
      row.peer = `not run (python3 with numpy and scipy: ${(py.stderr || String(py.error)).trim().split("\n").pop()})`;
    return [row];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
