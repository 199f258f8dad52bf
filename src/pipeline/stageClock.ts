/**
 * Seconds spent in each stage of a scan (load, features, brain scores, sweeps, write): printed by `run`
 * and read by `npm run bench -- scan`, so a user sees where a scan's time goes without a profiler.
 */
export type StageSeconds = Record<string, number>;

export interface StageClock {
  /** Charges the time since the previous lap (or the clock's start) to `stage`; stages may recur. */
  lap(stage: string): void;
  readonly seconds: StageSeconds;
}

export function stageClock(): StageClock {
  let last = performance.now();
  const seconds: StageSeconds = {};
  return {
    seconds,
    lap(stage) {
      const now = performance.now();
      seconds[stage] = (seconds[stage] ?? 0) + (now - last) / 1000;
      last = now;
    },
  };
}

/** "load 2.1 s · features 30.4 s · …" in the order the stages first ran. */
export function describeStages(s: StageSeconds): string {
  return Object.entries(s)
    .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
    .join(" · ");
}
