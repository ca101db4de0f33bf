/**
 * A byte budget growing at a rate that may change (coexistence airtime). Like the WiFi bench simulator's
 * TokenBucket: starts empty, may go negative, and its capacity (default max(4096 B, 4 ms of rate)) only limits credit
 * earned while the other side was the bottleneck, so late timers do not lower the long-run rate.
 */
export class RateBucket {
  private level = 0;
  private lastMs: number;

  constructor(
    private rateBps: number,
    startMs: number,
    private readonly minCapacity = 4096,
    private readonly capacityS = 0.004,
  ) {
    this.lastMs = startMs;
  }

  get rate(): number {
    return this.rateBps;
  }

  get capacity(): number {
    return Math.max(this.minCapacity, this.rateBps * this.capacityS);
  }

  get tokens(): number {
    return this.level;
  }

  /**
   * Credits the time since the last refill. `capped`: the other side was the bottleneck, so the level may not
   * grow beyond the capacity (or beyond what it already holds), except that the first `graceMs` of that time
   * are still credited in full.
   */
  refill(nowMs: number, capped: boolean, graceMs = 0): void {
    if (nowMs <= this.lastMs) return;
    if (capped && graceMs > 0) this.refill(Math.min(nowMs, this.lastMs + graceMs), false);
    const next = this.level + ((nowMs - this.lastMs) * this.rateBps) / 1000;
    this.lastMs = nowMs;
    this.level = capped ? Math.min(next, Math.max(this.capacity, this.level)) : next;
  }

  /** Credits the time so far at the old rate, then switches. */
  setRate(rateBps: number, nowMs: number, capped = false): void {
    this.refill(nowMs, capped);
    this.lastMs = Math.max(this.lastMs, nowMs);
    this.rateBps = rateBps;
  }

  /** Starts (or tops up) at full capacity, for a receiver that can absorb a burst at once. */
  fill(): void {
    this.level = Math.max(this.level, this.capacity);
  }

  take(bytes: number): void {
    this.level -= bytes;
  }

  /** Milliseconds until the budget reaches `level`, ignoring the capacity. */
  msUntil(level: number): number {
    if (level <= this.level) return 0;
    return this.rateBps > 0 ? ((level - this.level) * 1000) / this.rateBps : Infinity;
  }
}
