/** A Narratives run with the Huth lab's design ("ridge": {"design": "lanczos"}) recovers the planted region. */
import { describe, expect, it } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import { main } from "../src/cli/main.js";
import { captureConsole } from "./helpers/console.js";
import { readCsvRows } from "./helpers/csv.js";
import { smallRun } from "./helpers/smallRun.js";

const run = smallRun("lanczos-design", 4);
captureConsole();

describe('ridge.design "lanczos" in a Narratives run', () => {
  it("runs, says so in run.json, and scores the planted region highest at the planted layer", async () => {
    await run.simulate();
    const path = run.config("lanczos");
    const c = JSON.parse(readFileSync(path, "utf8"));
    writeFileSync(path, JSON.stringify({ ...c, layers: [0, 2, 4], ridge: { ...c.ridge, design: "lanczos" } }));
    expect(await main(["run", "--config", path, "--quiet"])).toBe(0);
    expect(readFileSync(`${run.root("lanczos")}/run.json`, "utf8")).toMatch(/"design": "lanczos"/);
    const rows = readCsvRows(`${run.root("lanczos")}/tables/group_brain_scores.csv`);
    const score = (region: string, layer: string) =>
      rows.filter((r) => r.region.endsWith(region) && r.layer === layer).map((r) => Number(r.mean));
    const planted = score("superiortemporal", "2");
    expect(planted.length).toBe(2); // both hemispheres
    for (const v of planted) expect(v).toBeGreaterThan(0.3);
    const others = rows
      .filter((r) => r.layer === "2" && !r.region.endsWith("superiortemporal"))
      .map((r) => Number(r.mean));
    expect(Math.max(...others)).toBeLessThan(Math.min(...planted));
  }, 300_000);
});
