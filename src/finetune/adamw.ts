/**
 * The optimizer of a PyTorch fine-tuning run: gradient clipping by global norm
 * (torch.nn.utils.clip_grad_norm_, the norm accumulated in float64), AdamW with decoupled weight decay
 * (torch.optim.AdamW: decay applied first, eps added after the bias correction of √v) and Hugging Face's
 * linear warm-up + cosine schedule (get_cosine_schedule_with_warmup). Parameters and moments are float32
 * arrays updated in place; each update is computed in double precision and rounded once.
 */
import type { Parameters } from "./trainingSession.js";

export interface AdamWOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
}

/** GPT-2's convention (minGPT, nanoGPT): decay every matrix except the embeddings; never LayerNorms or biases. */
export function decays(name: string, shape: number[]): boolean {
  return shape.length === 2 && name !== "wte.weight" && name !== "wpe.weight";
}

/** ‖g‖ over every tensor, in float64. */
export function globalNorm(grads: Parameters): number {
  let s = 0;
  for (const g of grads.values()) for (let i = 0; i < g.length; i++) s += g[i] * g[i];
  return Math.sqrt(s);
}

/** Scales the gradients to a global norm of at most maxNorm; returns the norm before and the coefficient. */
export function clipGradients(grads: Parameters, maxNorm: number): { norm: number; coef: number } {
  const norm = globalNorm(grads);
  const coef = Math.min(1, maxNorm / (norm + 1e-6));
  if (coef < 1) for (const g of grads.values()) for (let i = 0; i < g.length; i++) g[i] *= coef;
  return { norm, coef };
}

export interface AdamWState {
  step: number;
  m: Parameters;
  v: Parameters;
}

/** Zero first and second moments at step 0. */
export function adamWState(params: Parameters): AdamWState {
  const zeros = () => new Map([...params].map(([k, p]) => [k, new Float32Array(p.length)]));
  return { step: 0, m: zeros(), v: zeros() };
}

/** One AdamW step at learning rate `lr` (the schedule's value for this step). */
export function adamWStep(
  params: Parameters,
  grads: Parameters,
  state: AdamWState,
  shapes: Map<string, number[]>,
  options: AdamWOptions,
  lr: number,
): void {
  state.step++;
  const [b1, b2] = options.betas;
  const bc1 = 1 - b1 ** state.step;
  const bc2sqrt = Math.sqrt(1 - b2 ** state.step);
  const stepSize = lr / bc1;
  for (const [name, p] of params) {
    const g = grads.get(name);
    if (!g) throw new Error(`AdamW: no gradient for "${name}"`);
    const m = state.m.get(name)!;
    const v = state.v.get(name)!;
    const decay = decays(name, shapes.get(name)!) ? 1 - lr * options.weightDecay : 1;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i];
      m[i] = b1 * m[i] + (1 - b1) * gi;
      v[i] = b2 * v[i] + (1 - b2) * gi * gi;
      p[i] = p[i] * decay - (stepSize * m[i]) / (Math.sqrt(v[i]) / bc2sqrt + options.eps);
    }
  }
}

/**
 * Learning rate before update `step` (0-based), as Hugging Face's cosine schedule: linear from 0 over
 * the warm-up steps, then half a cosine down to minLrRatio · peak at the last step.
 */
export function scheduledLr(
  step: number,
  peak: number,
  warmupSteps: number,
  totalSteps: number,
  minLrRatio = 0,
): number {
  if (step < warmupSteps) return (peak * step) / Math.max(1, warmupSteps);
  const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
  const cosine = 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress)));
  return peak * (minLrRatio + (1 - minLrRatio) * cosine);
}
