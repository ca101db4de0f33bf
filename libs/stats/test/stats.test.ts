import { describe, expect, it } from 'vitest';
import { bootstrapDeltaCi, checkAgainstHistory, compareSamples, iqr, mad, mannWhitney, median, minimumN, quantile, seededRandom } from '../src/index.js';

// Reference values: R's wilcox.test documentation example (Hollander & Wolfe 1973, p. 69) and
// SciPy 1.17.1 `mannwhitneyu(..., alternative='two-sided')`, computed on this machine.
const HW_X = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
const HW_Y = [1.15, 0.88, 0.9, 0.74, 1.21];

describe('descriptive statistics', () => {
  it('match numpy / R type-7 quantiles', () => {
    const xs = [7, 1, 3, 9, 5, 11];
    expect(median(xs)).toBe(6);
    expect(quantile(xs, 0.25)).toBe(3.5); // numpy.percentile(xs, 25)
    expect(iqr(xs)).toBe(5); // 8.5 - 3.5
    expect(mad([1, 1, 2, 2, 4, 6, 9])).toBeCloseTo(1.4826, 10); // R: mad(c(1,1,2,2,4,6,9)) = 1.4826
  });
});

describe('Mann-Whitney U', () => {
  it('exact: Hollander & Wolfe permeability data, U = 35, p = 0.2544', () => {
    const r = mannWhitney(HW_X, HW_Y);
    expect(r).toMatchObject({ u: 35, method: 'exact' });
    expect(r.p).toBeCloseTo(0.2544122544122544, 12);
  });

  it('normal approximation with ties: SciPy gives U = 8, p = 0.021920655864769517', () => {
    const r = mannWhitney([1, 2, 2, 3, 4, 4, 4, 5], [3, 4, 5, 5, 6, 6, 7]);
    expect(r).toMatchObject({ u: 8, method: 'normal' });
    expect(r.p).toBeCloseTo(0.021920655864769517, 6);
  });

  it('four clearly separated results each: p = 2/70', () => {
    const r = mannWhitney([878.9, 879.5, 878.1, 880], [976.1, 975.3, 977, 976.8]);
    expect(r.u).toBe(0);
    expect(r.p).toBeCloseTo(2 / 70, 12);
  });

  it('large samples without ties use the normal approximation and agree with the exact test', () => {
    const rand = seededRandom(7);
    const a = Array.from({ length: 30 }, () => 100 + rand() * 10);
    const b = Array.from({ length: 30 }, () => 103 + rand() * 10);
    const r = mannWhitney(a, b);
    expect(r.method).toBe('normal');
    expect(r.p).toBeGreaterThan(0);
    expect(r.p).toBeLessThan(0.05);
  });
});

describe('compareSamples', () => {
  const base = [976.1, 975.3, 977, 976.8, 975.9];
  const slower = [878.9, 879.5, 878.1, 880, 879.2];

  it('calls a 10% drop slower with a seeded, reproducible interval', () => {
    const r = compareSamples(base, slower);
    expect(r.verdict).toBe('slower');
    expect(r.deltaPct).toBeCloseTo((879.2 / 976.1 - 1) * 100, 10);
    expect(r.ci![0]).toBeLessThan(r.deltaPct!);
    expect(r.ci![1]).toBeLessThan(0);
    expect(compareSamples(base, slower).ci).toEqual(r.ci);
    const rand = seededRandom(11);
    const a = Array.from({ length: 25 }, () => 950 + rand() * 50);
    const b = Array.from({ length: 25 }, () => 860 + rand() * 50);
    expect(bootstrapDeltaCi(a, b, { seed: 1 })).toEqual(bootstrapDeltaCi(a, b, { seed: 1 }));
    expect(bootstrapDeltaCi(a, b, { seed: 2 })).not.toEqual(bootstrapDeltaCi(a, b, { seed: 1 }));
  });

  it('the bootstrap interval matches an independent NumPy computation with the same generator', () => {
    // Python: mulberry32(42), 2000 resamples drawn in the same order, numpy.median and
    // numpy.percentile([2.5, 97.5]) of (median(c)/median(b) - 1) * 100 (NumPy 2.4.6).
    const b = [976.1, 975.3, 977.0, 976.8, 975.9, 974.2, 978.4];
    const c = [878.9, 879.5, 878.1, 880.0, 879.2, 877.7];
    const [lo, hi] = bootstrapDeltaCi(b, c, { seed: 42, resamples: 2000 });
    expect(lo).toBeCloseTo(-10.12489762489761, 10);
    expect(hi).toBeCloseTo(-9.837998564544236, 10);
  });

  it('swapping baseline and candidate flips the sign and the verdict', () => {
    const rand = seededRandom(3);
    for (let trial = 0; trial < 50; trial++) {
      const n = 4 + Math.floor(rand() * 8);
      const a = Array.from({ length: n }, () => 900 + rand() * 200);
      const b = Array.from({ length: n + 1 }, () => 900 + rand() * 200);
      const ab = compareSamples(a, b);
      const ba = compareSamples(b, a);
      expect(Math.sign(ab.deltaPct!)).toBe(-Math.sign(ba.deltaPct!));
      expect(ab.p).toBeCloseTo(ba.p!, 12);
      const flip = { faster: 'slower', slower: 'faster', same: 'same', 'not enough data': 'not enough data' } as const;
      expect(ba.verdict).toBe(flip[ab.verdict]);
    }
  });

  it('identical samples are the same', () => {
    const rand = seededRandom(5);
    for (let trial = 0; trial < 20; trial++) {
      const a = Array.from({ length: 4 + trial }, () => 500 + rand() * 500);
      const r = compareSamples(a, [...a].reverse());
      expect(r.verdict).toBe('same');
      expect(r.deltaPct).toBe(0);
      expect(r.p).toBe(1);
    }
  });

  it('a significant change smaller than the threshold is the same; too few results is said so', () => {
    const small = base.map((x) => x * 0.98);
    expect(compareSamples(base, small).verdict).toBe('same');
    expect(compareSamples(base, small, { thresholdPct: 1 }).verdict).toBe('slower');
    expect(minimumN(0.05)).toBe(4);
    const few = compareSamples(base.slice(0, 3), slower.slice(0, 3));
    expect(few.verdict).toBe('not enough data');
    expect(few.reason).toBe('needs at least 4 ok results on each side (has 3 and 3)');
  });
});

describe('checkAgainstHistory', () => {
  const steady = [976, 975, 977, 976.5, 975.5, 976.2, 975.8, 976.4, 975.9, 976.1, 976.3, 975.7, 976.6, 975.4];
  it('flags a real drop, not noise', () => {
    expect(checkAgainstHistory(steady, 878).verdict).toBe('slower');
    expect(checkAgainstHistory(steady, 976.7).verdict).toBe('same');
    expect(checkAgainstHistory(steady, 1080).verdict).toBe('faster');
  });
  it('reports a noisy history as flaky instead of a regression', () => {
    const noisy = [976, 700, 1100, 820, 990, 650, 1050, 900, 760, 1010];
    const r = checkAgainstHistory(noisy, 600);
    expect(r.verdict).toBe('flaky history');
  });
  it('needs a history', () => {
    expect(checkAgainstHistory([976, 975], 500).verdict).toBe('not enough data');
  });
});
