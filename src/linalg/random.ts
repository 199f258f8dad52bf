/** Seeded pseudo-random numbers: every simulation and benchmark in the toolkit is reproducible. */

/** mulberry32: a small, fast 32-bit generator; uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal deviates by Box–Muller from a uniform generator. */
export function gaussian(uniform: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = uniform();
    const v = uniform();
    const m = Math.sqrt(-2 * Math.log(u));
    spare = m * Math.sin(2 * Math.PI * v);
    return m * Math.cos(2 * Math.PI * v);
  };
}

/** Gamma(shape, 1) deviate (Marsaglia & Tsang 2000; shape < 1 through Gamma(shape + 1)·U^(1/shape)). */
export function gammaDeviate(shape: number, uniform: () => number, normal: () => number): number {
  if (!(shape > 0)) throw new Error(`gamma shape must be > 0, got ${shape}`);
  if (shape < 1) {
    let u = 0;
    while (u === 0) u = uniform();
    return gammaDeviate(shape + 1, uniform, normal) * u ** (1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = uniform();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/**
 * Candidate weights on the simplex for a random search over feature spaces, as himalaya's
 * generate_dirichlet_samples: the first candidate weighs every space equally, the others are seeded
 * Dirichlet draws, alternating between the concentrations (small ones favour a single space).
 */
export function dirichletCandidates(
  count: number,
  spaces: number,
  seed: number,
  concentrations: number[] = [0.1, 1],
): number[][] {
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`candidate count must be a positive integer, got ${count}`);
  if (concentrations.length === 0 || concentrations.some((c) => !(c > 0)))
    throw new Error(`concentrations must be positive numbers, got ${concentrations.join(", ")}`);
  const uniform = mulberry32(seed);
  const normal = gaussian(uniform);
  const out: number[][] = [new Array(spaces).fill(1 / spaces)];
  for (let k = 1; k < count; k++) {
    const conc = concentrations[(k - 1) % concentrations.length];
    let g = Array.from({ length: spaces }, () => gammaDeviate(conc, uniform, normal));
    let total = g.reduce((a, b) => a + b, 0);
    // Tiny concentrations can underflow every draw: fall back to one space at random.
    if (!(total > 0)) {
      g = g.map(() => 0);
      g[Math.min(spaces - 1, Math.floor(uniform() * spaces))] = 1;
      total = 1;
    }
    out.push(g.map((v) => v / total));
  }
  return out;
}
