function sorted(xs: readonly number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}

/** Quantile by linear interpolation between order statistics (R's type 7, numpy's default). */
export function quantile(xs: readonly number[], p: number): number {
  if (!xs.length) return NaN;
  const s = sorted(xs);
  return quantileSorted(s, p);
}

export function quantileSorted(s: readonly number[], p: number): number {
  if (!s.length) return NaN;
  const h = (s.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo]! + (h - lo) * (s[hi]! - s[lo]!);
}

export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

/** Interquartile range, Q3 - Q1. */
export function iqr(xs: readonly number[]): number {
  const s = sorted(xs);
  return quantileSorted(s, 0.75) - quantileSorted(s, 0.25);
}

/** Median absolute deviation, scaled by 1.4826 so it estimates the standard deviation of normal data. */
export function mad(xs: readonly number[]): number {
  const m = median(xs);
  return 1.4826 * median(xs.map((x) => Math.abs(x - m)));
}

export interface Summary {
  n: number;
  median: number;
  q1: number;
  q3: number;
  iqr: number;
  min: number;
  max: number;
}

export function summarize(xs: readonly number[]): Summary {
  const s = sorted(xs);
  const q1 = quantileSorted(s, 0.25);
  const q3 = quantileSorted(s, 0.75);
  return { n: s.length, median: quantileSorted(s, 0.5), q1, q3, iqr: q3 - q1, min: s[0] ?? NaN, max: s[s.length - 1] ?? NaN };
}
