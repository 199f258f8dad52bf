/**
 * Seconds spent in each stage of a scan (load, features, brain scores, sweeps, write), and the process's CPU
 * seconds in it (all threads: 2 busy cores = 200%): printed by `run` and read by `npm run bench -- scan`, so
 * a user sees where a scan's time goes, and which stage leaves a core idle, without a profiler.
 */
export type StageSeconds = Record<string, number>;

export interface StageClock {
  /** Charges the time since the previous lap (or the clock's start) to `stage`; stages may recur. */
  lap(stage: string): void;
  readonly seconds: StageSeconds;
  /** CPU seconds of the whole process (every thread) per stage. */
  readonly cpuSeconds: StageSeconds;
}

export function stageClock(): StageClock {
  let last = performance.now();
  let lastCpu = cpuNow();
  const seconds: StageSeconds = {};
  const cpuSeconds: StageSeconds = {};
  return {
    seconds,
    cpuSeconds,
    lap(stage) {
      const now = performance.now();
      const cpu = cpuNow();
      seconds[stage] = (seconds[stage] ?? 0) + (now - last) / 1000;
      cpuSeconds[stage] = (cpuSeconds[stage] ?? 0) + (cpu - lastCpu);
      last = now;
      lastCpu = cpu;
    },
  };
}

function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** "load 2.1 s · features 30.4 s (188% CPU) · …" in the order the stages first ran (CPU where known). */
export function describeStages(s: StageSeconds, cpu: StageSeconds = {}): string {
  return Object.entries(s)
    .map(
      ([k, v]) =>
        `${k} ${v.toFixed(1)} s${cpu[k] !== undefined && v >= 0.05 ? ` (${Math.round((100 * cpu[k]) / v)}% CPU)` : ""}`,
    )
    .join(" · ");
}
