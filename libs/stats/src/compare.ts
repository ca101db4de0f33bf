import { mannWhitney, minimumP } from './mann-whitney.js';
import { seededRandom } from './rng.js';
import { mad, median, quantileSorted, summarize, type Summary } from './summary.js';

export type Verdict = 'faster' | 'slower' | 'same' | 'not enough data';

export interface CompareOptions {
  /** A change smaller than this, in percent of the baseline median, is noise. Default 5. */
  thresholdPct?: number;
  /** Significance level of the Mann-Whitney test. Default 0.05. */
  alpha?: number;
  /** Bootstrap resamples for the confidence interval. Default 10000. */
  resamples?: number;
  /** Bootstrap seed, so the interval is the same on every run. Default 1. */
  seed?: number;
  /** Confidence level of the interval. Default 0.95. */
  confidence?: number;
}

export interface Comparison {
  baseline: Summary;
  candidate: Summary;
  /** (candidate median / baseline median - 1) x 100; positive is faster (higher throughput). */
  deltaPct: number | null;
  /** Percentile bootstrap interval of deltaPct. */
  ci: [number, number] | null;
  /** Two-sided Mann-Whitney U p-value. */
  p: number | null;
  verdict: Verdict;
  /** Why the verdict is what it is, in a few words. */
  reason: string;
  /** Fewest samples per side with which this alpha can ever be reached. */
  minN: number;
}

/** Smallest n such that n vs n samples can reach p < alpha. */
export function minimumN(alpha: number): number {
  for (let n = 2; n < 100; n++) if (minimumP(n, n) < alpha) return n;
  return 100;
}

/** Higher is better (throughput). */
export function compareSamples(baseline: readonly number[], candidate: readonly number[], opts: CompareOptions = {}): Comparison {
  const thresholdPct = opts.thresholdPct ?? 5;
  const alpha = opts.alpha ?? 0.05;
  const minN = minimumN(alpha);
  const b = summarize(baseline);
  const c = summarize(candidate);
  const base = { baseline: b, candidate: c, minN };
  if (b.n < minN || c.n < minN || minimumP(b.n, c.n) >= alpha) {
    return { ...base, deltaPct: b.n && c.n ? delta(b.median, c.median) : null, ci: null, p: null, verdict: 'not enough data', reason: `needs at least ${minN} ok results on each side (has ${b.n} and ${c.n})` };
  }
  const deltaPct = delta(b.median, c.median);
  const ci = bootstrapDeltaCi(baseline, candidate, opts);
  const { p } = mannWhitney(baseline, candidate);
  let verdict: Verdict = 'same';
  let reason: string;
  if (p >= alpha) reason = `not significant (p ${fmtP(p)} >= ${alpha})`;
  else if (Math.abs(deltaPct) < thresholdPct) reason = `significant but within the ${thresholdPct}% noise threshold`;
  else {
    verdict = deltaPct > 0 ? 'faster' : 'slower';
    reason = `${Math.abs(deltaPct).toFixed(1)}% beyond the ${thresholdPct}% threshold, p ${fmtP(p)}`;
  }
  return { ...base, deltaPct, ci, p, verdict, reason };
}

function delta(b: number, c: number): number {
  return b === 0 ? (c === 0 ? 0 : Infinity) : (c / b - 1) * 100;
}

function fmtP(p: number): string {
  return p < 0.001 ? p.toExponential(1) : p.toFixed(3);
}

/** Percentile bootstrap of the delta % of medians, resampling each side independently. */
export function bootstrapDeltaCi(baseline: readonly number[], candidate: readonly number[], opts: CompareOptions = {}): [number, number] {
  const resamples = opts.resamples ?? 10_000;
  const rand = seededRandom(opts.seed ?? 1);
  const level = opts.confidence ?? 0.95;
  const deltas = new Float64Array(resamples);
  const bs = new Float64Array(baseline.length);
  const cs = new Float64Array(candidate.length);
  for (let i = 0; i < resamples; i++) {
    for (let k = 0; k < bs.length; k++) bs[k] = baseline[Math.floor(rand() * baseline.length)]!;
    for (let k = 0; k < cs.length; k++) cs[k] = candidate[Math.floor(rand() * candidate.length)]!;
    deltas[i] = delta(medianOf(bs), medianOf(cs));
  }
  deltas.sort();
  const sorted = Array.from(deltas);
  return [quantileSorted(sorted, (1 - level) / 2), quantileSorted(sorted, 1 - (1 - level) / 2)];
}

function medianOf(xs: Float64Array): number {
  xs.sort();
  const n = xs.length;
  return n % 2 ? xs[(n - 1) / 2]! : (xs[n / 2 - 1]! + xs[n / 2]!) / 2;
}

export interface HistoryCheck {
  history: Summary;
  latest: number;
  /** Robust z-score: (latest - median) / (1.4826 x MAD) of the history. */
  z: number | null;
  deltaPct: number | null;
  verdict: Verdict | 'flaky history';
  reason: string;
}

export interface CheckOptions {
  thresholdPct?: number;
  /** |z| beyond this is a change. Default 3.5 (Iglewicz and Hoaglin's outlier rule). */
  zLimit?: number;
  /** History whose MAD exceeds this percent of its median is too noisy to judge. Default 10. */
  flakyPct?: number;
  /** Fewest history points to judge by. Default 5. */
  minHistory?: number;
}

/** A new value (a nightly's median) against the values of the runs before it. */
export function checkAgainstHistory(history: readonly number[], latest: number, opts: CheckOptions = {}): HistoryCheck {
  const thresholdPct = opts.thresholdPct ?? 5;
  const zLimit = opts.zLimit ?? 3.5;
  const flakyPct = opts.flakyPct ?? 10;
  const minHistory = opts.minHistory ?? 5;
  const h = summarize(history);
  const m = median(history);
  const deltaPct = h.n ? delta(m, latest) : null;
  if (h.n < minHistory) return { history: h, latest, z: null, deltaPct, verdict: 'not enough data', reason: `needs at least ${minHistory} earlier runs (has ${h.n})` };
  const spread = mad(history);
  const dispersionPct = m === 0 ? Infinity : (spread / m) * 100;
  if (dispersionPct > flakyPct) {
    return { history: h, latest, z: null, deltaPct, verdict: 'flaky history', reason: `earlier runs vary by ${dispersionPct.toFixed(1)}% (MAD/median > ${flakyPct}%)` };
  }
  // A perfectly steady history has MAD 0 and no z-score; then only the threshold decides.
  if (spread === 0) {
    const beyond = Math.abs(deltaPct!) >= thresholdPct;
    const verdict = beyond ? (deltaPct! > 0 ? 'faster' : 'slower') : 'same';
    return { history: h, latest, z: null, deltaPct, verdict, reason: `earlier runs all equal (MAD 0): ${deltaPct!.toFixed(1)}% against the ${thresholdPct}% threshold` };
  }
  const z = (latest - m) / spread;
  if (Math.abs(z) <= zLimit) return { history: h, latest, z, deltaPct, verdict: 'same', reason: `|z| ${Math.abs(z).toFixed(1)} <= ${zLimit}` };
  if (Math.abs(deltaPct!) < thresholdPct) return { history: h, latest, z, deltaPct, verdict: 'same', reason: `outside the usual spread but within the ${thresholdPct}% threshold` };
  return { history: h, latest, z, deltaPct, verdict: z > 0 ? 'faster' : 'slower', reason: `z ${z.toFixed(1)}, ${deltaPct!.toFixed(1)}%` };
}
