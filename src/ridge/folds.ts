/**
 * Outer cross-validation splits. Contiguous folds are scikit-learn's KFold(n_splits, shuffle=False):
 * the first n % k folds get one extra sample. Time series must not be shuffled: neighbouring TRs are
 * correlated, and shuffling would leak the test data's neighbours into training.
 */

export interface Fold {
  train: Int32Array;
  test: Int32Array;
}

/** K contiguous folds over n samples (scikit-learn's KFold(k), no shuffling). */
export function contiguousFolds(n: number, k: number): Fold[] {
  if (!Number.isInteger(k) || k < 2) throw new Error(`folds must be an integer ≥ 2, got ${k}`);
  if (k > n) throw new Error(`cannot split ${n} samples into ${k} folds`);
  const folds: Fold[] = [];
  let start = 0;
  for (let f = 0; f < k; f++) {
    const size = Math.floor(n / k) + (f < n % k ? 1 : 0);
    folds.push(splitAt(n, start, start + size));
    start += size;
  }
  return folds;
}

function splitAt(n: number, start: number, end: number): Fold {
  const test = new Int32Array(end - start);
  const train = new Int32Array(n - (end - start));
  for (let i = start; i < end; i++) test[i - start] = i;
  let t = 0;
  for (let i = 0; i < n; i++) if (i < start || i >= end) train[t++] = i;
  return { train, test };
}

/**
 * One fold per distinct group label (a run, a story), in order of first appearance: the model is always
 * tested on a group it never saw (scikit-learn's LeaveOneGroupOut).
 */
export function groupFolds(groups: ArrayLike<number>): Fold[] {
  const labels: number[] = [];
  for (let i = 0; i < groups.length; i++) if (!labels.includes(groups[i])) labels.push(groups[i]);
  if (labels.length < 2) throw new Error(`groups must contain at least 2 distinct labels, got ${labels.length}`);
  return labels.map((label) => {
    const test: number[] = [];
    const train: number[] = [];
    for (let i = 0; i < groups.length; i++) (groups[i] === label ? test : train).push(i);
    return { train: Int32Array.from(train), test: Int32Array.from(test) };
  });
}

/** fold_id[i] = index of the fold whose test set holds sample i. */
export function foldIds(folds: Fold[], n: number): Int32Array {
  const ids = new Int32Array(n).fill(-1);
  folds.forEach((f, k) => f.test.forEach((i) => (ids[i] = k)));
  return ids;
}

/**
 * A cross-validation scheme as a user gives it: K contiguous folds, one fold per group label, or explicit
 * folds (scikit-learn's `cv` argument, without shuffling).
 */
export type CrossValidation =
  number | { groups: ArrayLike<number> } | { train: ArrayLike<number>; test: ArrayLike<number> }[];

/** The folds of `cv` over n samples, checked: indices in range, train and test disjoint and non-empty. */
export function resolveFolds(cv: CrossValidation, n: number, where = "cv"): Fold[] {
  if (typeof cv === "number") return contiguousFolds(n, cv);
  if (!Array.isArray(cv)) {
    if (cv.groups.length !== n) throw new Error(`${where}: ${cv.groups.length} group labels for ${n} samples`);
    for (let i = 0; i < n; i++)
      if (!Number.isFinite(cv.groups[i]))
        throw new Error(`${where}: group label ${i} is ${cv.groups[i]}; labels must be finite numbers`);
    return groupFolds(cv.groups);
  }
  if (cv.length < 1) throw new Error(`${where}: no folds`);
  return cv.map((f, k) => {
    const train = Int32Array.from(f.train);
    const test = Int32Array.from(f.test);
    if (train.length === 0 || test.length === 0) throw new Error(`${where}: fold ${k} has an empty train or test set`);
    const seen = new Uint8Array(n);
    for (const i of train) {
      if (!Number.isInteger(i) || i < 0 || i >= n)
        throw new Error(`${where}: fold ${k} train index ${i} is outside 0..${n - 1}`);
      seen[i] = 1;
    }
    for (const i of test) {
      if (!Number.isInteger(i) || i < 0 || i >= n)
        throw new Error(`${where}: fold ${k} test index ${i} is outside 0..${n - 1}`);
      if (seen[i]) throw new Error(`${where}: fold ${k} uses sample ${i} for both training and testing`);
    }
    return { train, test };
  });
}
