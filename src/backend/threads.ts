/**
 * onnxruntime's intra-op thread count when the caller leaves it at 0 ("all cores"). onnxruntime's own default
 * counts physical cores through cpuinfo, which on some virtual machines finds one: measured on the 2-core
 * development VM, a GPT-2-small-shaped forward pass (2 × 1,024 tokens) ran at 101% CPU in 3.24 s with the
 * default and at 195% in 2.2 s with 2 threads. So the count is set explicitly: the CPUs this process may run
 * on (Node's availableParallelism, which follows the affinity a scheduler such as Slurm sets).
 */
import { availableParallelism } from "node:os";

/** `requested` when it is a positive integer, else every CPU this process may use. */
export function intraOpThreads(requested?: number): number {
  if (requested !== undefined && Number.isInteger(requested) && requested > 0) return requested;
  return Math.max(1, availableParallelism());
}
