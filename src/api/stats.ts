/**
 * `brainscore/stats`: Statistics: Wilcoxon, Pearson, FDR, bootstrap, the group-level rules across subjects, block
 * permutation, regression, seeded randomness.
 */
export {
  blockPermutationTest,
  type BlockPermutationOptions,
  type BlockPermutationResult,
} from "../stats/blockPermutation.js";
export { linearFit, studentTQuantile, type LinearFit } from "../stats/regression.js";
export { wilcoxon, pearsonr, fdrBh, bootstrapMeanCi } from "../stats/tests.js";
export { dirichletCandidates, mulberry32 } from "../linalg/random.js";
export {
  argmaxFinite,
  fdrAcrossTargets,
  FiniteMeanAccumulator,
  finiteMean,
  meanOverSubjects,
  wilcoxonGreater,
} from "../stats/acrossSubjects.js";
