/** The per-stage clock `run` prints: wall seconds and the process's CPU seconds per stage. */
import { describe, expect, it } from "vitest";
import { describeStages, stageClock } from "../src/pipeline/stageClock.js";

describe("stageClock", () => {
  it("charges wall and CPU time to each stage, recurring stages summed, and says the CPU share", async () => {
    const clock = stageClock();
    const spin = (ms: number) => {
      const end = performance.now() + ms;
      let x = 0;
      while (performance.now() < end) x += Math.sqrt(x + 1);
      return x;
    };
    spin(120);
    clock.lap("busy");
    await new Promise((r) => setTimeout(r, 120));
    clock.lap("idle");
    spin(60);
    clock.lap("busy");
    expect(clock.seconds.busy).toBeGreaterThan(0.17);
    expect(clock.cpuSeconds.busy).toBeGreaterThan(0.12);
    expect(clock.cpuSeconds.idle).toBeLessThan(0.5 * clock.seconds.idle);
    const text = describeStages(clock.seconds, clock.cpuSeconds);
    expect(text).toMatch(/^busy 0\.\d s \(\d+% CPU\) · idle 0\.\d s \(\d+% CPU\)$/);
    expect(describeStages({ load: 2.14 })).toBe("load 2.1 s");
  });
});
