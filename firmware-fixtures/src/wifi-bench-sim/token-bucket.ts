/** Capacity of a pacing bucket: 4 ms of traffic, at least four I/O buffers. */
export function bucketCapacity(rateBytesPerS: number): number {
  return Math.max(4096, rateBytesPerS * 0.004);
}

/**
 * Byte budget that grows at `rate`. It starts empty and may go negative (a read cannot be undone).
 *
 * The capacity only limits credit earned while the other side was the bottleneck (a socket with no data to
 * read, a write waiting for 'drain'). Time spent waiting on our own timer is always credited in full, so
 * timers that fire late cannot lower the long-run rate.
 */
export class TokenBucket {
  private level = 0;
  private lastMs: number;

  constructor(
    readonly rateBytesPerS: number,
    readonly capacity: number,
    startMs: number,
  ) {
    this.lastMs = startMs;
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
    const next = this.level + ((nowMs - this.lastMs) * this.rateBytesPerS) / 1000;
    this.lastMs = nowMs;
    this.level = capped ? Math.min(next, Math.max(this.capacity, this.level)) : next;
  }

  take(bytes: number): void {
    this.level -= bytes;
  }

  /** Milliseconds until the budget reaches `level`, ignoring the capacity. */
  msUntil(level: number): number {
    return level <= this.level ? 0 : ((level - this.level) * 1000) / this.rateBytesPerS;
  }
}
