/** Beyond this many samples (about 87 minutes at 5 ms) every other one is dropped. */
const MAX_SAMPLES = 1 << 20;

/**
 * Growable (time, value) series; times are seconds since the connection was accepted. Dropping
 * samples keeps the envelope valid (every sample is a bound on its own), only less tight.
 */
export class SampleLog {
  private t = new Float64Array(1024);
  private v = new Float64Array(1024);
  length = 0;

  constructor(private readonly maxSamples = MAX_SAMPLES) {}

  push(t: number, v: number): void {
    if (this.length >= this.maxSamples) this.halve();
    if (this.length === this.t.length) {
      const t2 = new Float64Array(this.t.length * 2);
      const v2 = new Float64Array(this.v.length * 2);
      t2.set(this.t);
      v2.set(this.v);
      this.t = t2;
      this.v = v2;
    }
    this.t[this.length] = t;
    this.v[this.length] = v;
    this.length++;
  }

  private halve(): void {
    // Keep odd indices, so that the latest sample stays.
    let j = 0;
    for (let i = (this.length & 1) ^ 1; i < this.length; i += 2, j++) {
      this.t[j] = this.t[i]!;
      this.v[j] = this.v[i]!;
    }
    this.length = j;
  }

  time(i: number): number {
    return this.t[i]!;
  }

  value(i: number): number {
    return this.v[i]!;
  }
}

export interface EnvelopeOptions {
  /**
   * Upper limit of the warm-up excluded from the minimum, seconds. Default none: half the transfer is
   * excluded, so a real board's TCP ramp-up (bytes behind a straight line from the accept) cannot pull
   * the minimum down, while the second half still holds many low points of a loopback sawtooth.
   */
  warmupMaxS?: number;
  /** Warm-up as a fraction of the transfer when that is shorter. Default 0.5. */
  warmupFraction?: number;
  /** Ignore samples after this time (seconds since accept): the peer had stopped reading by then. */
  untilS?: number;
}

export interface EnvelopeResult {
  /** Lower-envelope rate, bytes/s. */
  rate: number;
  /** Seconds since accept of the last progress (first sample holding the final value). */
  tEnd: number;
  /** The final value. */
  final: number;
}

/**
 * Lower envelope of a cumulative byte count whose samples are upper bounds of what the peer's
 * application had read at the sample time: rate = min over t in [warmup, tEnd) of value(t)/t.
 *
 * Each sample is replaced by the minimum of itself and all later samples (a later upper bound is
 * also an upper bound of the earlier, smaller read count). That makes the series non-decreasing
 * and gives every distinct value the latest time it was still current, which tightens the bound
 * to one sample interval.
 */
export function lowerEnvelope(log: SampleLog, opts: EnvelopeOptions = {}): EnvelopeResult {
  let n = log.length;
  const untilS = opts.untilS ?? Infinity;
  while (n > 0 && log.time(n - 1) > untilS) n--;
  if (n === 0) return { rate: 0, tEnd: 0, final: 0 };
  const suffixMin = new Float64Array(n);
  let m = Infinity;
  for (let i = n - 1; i >= 0; i--) {
    m = Math.min(m, log.value(i));
    suffixMin[i] = m;
  }
  const final = suffixMin[n - 1]!;
  let k = n - 1;
  while (k > 0 && suffixMin[k - 1] === final) k--;
  const tEnd = log.time(k);
  if (final <= 0 || tEnd <= 0) return { rate: 0, tEnd: Math.max(tEnd, 0), final: Math.max(final, 0) };
  const warmup = Math.min(opts.warmupMaxS ?? Infinity, (opts.warmupFraction ?? 0.5) * tEnd);
  // The point at tEnd itself is left out while others remain: the final value was reached somewhere
  // in the last sample period, and dividing it by the later sample time would understate the rate
  // of a reader that had stopped by then (by up to one period, a lot when samples are sparse).
  let rate = Infinity;
  for (let i = 0; i < k; i++) {
    const t = log.time(i);
    if (t < warmup || t <= 0) continue;
    const r = suffixMin[i]! / t;
    if (r < rate) rate = r;
  }
  if (rate === Infinity) rate = final / tEnd;
  return { rate, tEnd, final };
}
