/**
 * Power, reported before any result: with n scans per test the one-sided Wilcoxon cannot go below a floor
 * (2^−n for n ≤ 50), and Benjamini–Hochberg over m tests needs p ≤ α·k/m for k discoveries. A run whose
 * floor is above α can find nothing, and says so up front rather than reporting "0 regions".
 */
import { wilcoxonFloor } from "../../stats/tests.js";

export interface TestFamily {
  /** What is tested, e.g. "region brain scores (78 regions × 4 layers)". */
  name: string;
  tests: number;
}

/** Summary lines: the p floor, what one lone effect and what a widespread effect need, and warnings. */
export function powerSummary(nScans: number, families: TestFamily[], alpha: number): string[] {
  const floor = wilcoxonFloor(nScans);
  const fmt = (p: number) => (p >= 1e-3 ? p.toPrecision(2) : p.toExponential(1));
  const lines = [`power: ${nScans} scans per test → smallest one-sided Wilcoxon p ${fmt(floor)}; FDR at α ${alpha}`];
  for (const f of families) {
    const lone = alpha / Math.max(1, f.tests);
    lines.push(
      `  ${f.name}: ${f.tests} tests; a lone effect needs p ≤ ${fmt(lone)} (${floor <= lone ? "reachable" : "unreachable"}), an effect in every test p ≤ ${alpha} (${floor <= alpha ? "reachable" : "unreachable"})`,
    );
  }
  if (floor > alpha)
    lines.push(
      `warning: significance is unreachable with ${nScans} scans (smallest p ${fmt(floor)} > α ${alpha}): every test will read "not significant"; add scans or raise statistics.alpha`,
    );
  return lines;
}
