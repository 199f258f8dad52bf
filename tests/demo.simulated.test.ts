/**
 * The demo's simulated part shows what the paper claims, on a reduced run of the same plants and subjects
 * (fewer distances, no vertex-level sweep, no noise ceiling): every forecast plant FDR-significant at
 * α 0.01 in the analysis that should find it, the hierarchy (temporal d* < frontal d*, syntactic d* <
 * semantic d*), the current-word plant at its layer and not a forecast, and no region without a plant
 * significant in any analysis.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEMO_RUN, DEMO_SIMULATION, runSimulatedDemo } from "../src/pipeline/demo.js";
import { describeRecovery } from "../src/pipeline/demoRecovery.js";

describe("the simulated demo", () => {
  it("recovers every plant at α 0.01 with the paper's hierarchy, and no region without a plant", async () => {
    const out = mkdtempSync(join(tmpdir(), "demo-sim-"));
    const run = {
      ...DEMO_RUN,
      forecast: { ...DEMO_RUN.forecast, distances: [0, 2, 4, 6, 8, 10, 12], vertexLevel: false },
      statistics: { alpha: 0.01, bootstrap: 200 },
      noiseCeiling: false,
    };
    const { report, recovery } = await runSimulatedDemo(out, { cacheDir: join(out, "cache"), run });
    expect(report.failed).toEqual([]);
    expect(report.computed.length).toBe(DEMO_SIMULATION.subjects);
    console.log(describeRecovery(recovery, 0.01).join("\n"));
    const plant = (name: string) => recovery.plants.find((p) => p.plant.startsWith(name))!;
    const temporal = plant("temporal");
    const frontal = plant("frontal");
    const syntactic = plant("parietal, syntactic");
    const semantic = plant("parietal, semantic");
    const occipital = plant("occipital");
    for (const p of [temporal, frontal, syntactic, semantic]) {
      expect(p.regions.length).toBeGreaterThan(0);
      expect(p.significant).toBe(p.regions.length);
      expect(p.pFdr).toBeLessThan(0.01);
    }
    expect(syntactic.analysis).toBe("syntax");
    expect(semantic.analysis).toBe("semantics");
    expect(temporal.dStar!).toBeLessThanOrEqual(6);
    expect(frontal.dStar!).toBeGreaterThanOrEqual(8);
    expect(syntactic.dStar!).toBeLessThan(semantic.dStar!);
    expect(semantic.dStar!).toBeGreaterThanOrEqual(8);
    // The current-word plant: best explained at its own layer, and no forecast.
    expect(occipital.bestLayer).toBe(2);
    expect(occipital.significant).toBe(0);
    expect(recovery.falsePositives).toEqual([]);
  }, 900_000);
});
