/**
 * A byte budget growing at `rate` bytes/s. Starts empty and may go negative (a write or read larger than the
 * budget is paid back by waiting). While the peer is the bottleneck, the credit is capped at `capacity`, so a
 * stalled peer does not earn a burst.
 */
export class Bucket {
  private level = 0;
  private last: number;

  constructor(
    readonly rate: number,
    startMs: number,
    readonly capacity = Math.max(4096, rate * 0.004),
  ) {
    this.last = startMs;
  }

  get tokens(): number {
    return this.level;
  }

  refill(nowMs: number, capped = false): void {
    if (nowMs <= this.last) return;
    const next = this.level + ((nowMs - this.last) * this.rate) / 1000;
    this.last = nowMs;
    this.level = capped ? Math.min(next, Math.max(this.capacity, this.level)) : next;
  }

  take(bytes: number): void {
    this.level -= bytes;
  }

  /** Milliseconds until the level reaches `level`. */
  msUntil(level: number): number {
    if (level <= this.level) return 0;
    return this.rate > 0 ? ((level - this.level) * 1000) / this.rate : Infinity;
  }
}
