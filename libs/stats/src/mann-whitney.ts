export interface MannWhitney {
  /** U of the first sample: pairs (x, y) with x > y, ties counting one half. */
  u: number;
  /** Two-sided p-value. */
  p: number;
  method: 'exact' | 'normal';
}

/** Samples up to this combined size without ties get the exact distribution of U. */
export const EXACT_MAX_N = 50;

/**
 * Two-sided Mann-Whitney U (Wilcoxon rank-sum) test. Exact when there are no ties and the samples
 * are small; otherwise the normal approximation with tie correction and continuity correction
 * (as R's wilcox.test and SciPy's mannwhitneyu do).
 */
export function mannWhitney(x: readonly number[], y: readonly number[]): MannWhitney {
  const n1 = x.length;
  const n2 = y.length;
  if (!n1 || !n2) return { u: NaN, p: NaN, method: 'normal' };
  const all = [...x.map((v) => ({ v, g: 0 })), ...y.map((v) => ({ v, g: 1 }))].sort((a, b) => a.v - b.v);
  const ranks = new Array<number>(all.length);
  let tieTerm = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[k] = rank;
    const t = j - i + 1;
    tieTerm += t ** 3 - t;
    i = j + 1;
  }
  let r1 = 0;
  all.forEach((e, i) => {
    if (e.g === 0) r1 += ranks[i]!;
  });
  const u = r1 - (n1 * (n1 + 1)) / 2;

  if (tieTerm === 0 && n1 + n2 <= EXACT_MAX_N) {
    const dist = uDistribution(n1, n2);
    const total = dist.reduce((a, b) => a + b, 0);
    let below = 0;
    let above = 0;
    for (let k = 0; k < dist.length; k++) {
      if (k <= u) below += dist[k]!;
      if (k >= u) above += dist[k]!;
    }
    return { u, p: Math.min(1, (2 * Math.min(below, above)) / total), method: 'exact' };
  }

  const n = n1 + n2;
  const mu = (n1 * n2) / 2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  if (sigma === 0) return { u, p: 1, method: 'normal' };
  const z = (Math.abs(u - mu) - 0.5) / sigma;
  return { u, p: Math.min(1, 2 * normalSf(Math.max(0, z))), method: 'normal' };
}

/** Counts of each U value (0..n1*n2) over all arrangements of n1 and n2 distinct values. */
function uDistribution(n1: number, n2: number): number[] {
  // f[m][n][u] = f[m-1][n][u-n] + f[m][n-1][u]; keep one layer per m.
  let prev: number[][] = [];
  for (let n = 0; n <= n2; n++) prev.push([1]);
  for (let m = 1; m <= n1; m++) {
    const cur: number[][] = [[1]];
    for (let n = 1; n <= n2; n++) {
      const size = m * n + 1;
      const row = new Array<number>(size).fill(0);
      const left = cur[n - 1]!;
      const up = prev[n]!;
      for (let k = 0; k < size; k++) {
        row[k] = (left[k] ?? 0) + (k - n >= 0 ? (up[k - n] ?? 0) : 0);
      }
      cur.push(row);
    }
    prev = cur;
  }
  return prev[n2]!;
}

/** Upper tail of the standard normal, P(Z > z), from erfc (Numerical Recipes' erfcc, error < 1.2e-7). */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** The smallest two-sided exact p-value n1 vs n2 samples can reach (all of one below all of the other). */
export function minimumP(n1: number, n2: number): number {
  // One arrangement at each extreme out of C(n1+n2, n1).
  let c = 1;
  for (let i = 1; i <= n1; i++) c = (c * (n2 + i)) / i;
  return Math.min(1, 2 / c);
}
