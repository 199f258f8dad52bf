/**
 * A small simulated Narratives run for tests of the command line under faults and schedulers: pieman, three
 * subjects on fsaverage5, the tiny model at two layers, gcv, no forecast. `config(name)` writes a run
 * configuration whose results go to `root(name)`; `csv(name, table)` reads one of its tables.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseSimulationConfig, simulateDataset } from "../../src/simulate/simulate.js";

export function smallRun(prefix: string, seed: number) {
  const work = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const cacheDir = join(work, "cache");
  const dataset = join(work, "ds");
  return {
    work,
    cacheDir,
    dataset,
    config(name: string): string {
      const path = join(work, `${name}.json`);
      const run = {
        name,
        dataset,
        space: "fsaverage5",
        model: "tiny",
        layers: [0, 2],
        context: 32,
        contextMode: "strided",
        ridge: { alphaSelection: "gcv" },
        forecast: false,
        noiseCeiling: false,
        statistics: { bootstrap: 100 },
        outDir: join(work, "out"),
        cacheDir,
      };
      writeFileSync(path, JSON.stringify(run));
      return path;
    },
    root: (name: string) => join(work, "out", name),
    csv: (name: string, table: string) => readFileSync(join(work, "out", name, "tables", `${table}.csv`), "utf8"),
    /** Writes the simulated dataset (call in beforeAll). */
    async simulate(): Promise<void> {
      const sim = parseSimulationConfig(
        {
          seed,
          stories: ["pieman"],
          subjects: 3,
          context: 32,
          regions: [{ label: "superiortemporal", hemi: "both", layer: 2, snr: 1 }],
        },
        "sim.json",
      );
      await simulateDataset(sim, dataset, { cacheDir });
    },
  };
}
