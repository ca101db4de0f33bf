/** Freezes the whole board during a `stall` fault: no serial output, no socket I/O, no progress. */
export class StallGate {
  private frozenNow = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly waiters = new Set<() => void>();
  /** Bumped on every freeze, so pacers can tell that a stall happened since they last looked. */
  freezes = 0;

  get frozen(): boolean {
    return this.frozenNow;
  }

  /** Freeze for `ms`, or until thaw() / dispose() when null. */
  freeze(ms: number | null): void {
    this.frozenNow = true;
    this.freezes++;
    clearTimeout(this.timer);
    this.timer = ms === null ? undefined : setTimeout(() => this.thaw(), ms);
  }

  thaw(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.frozenNow = false;
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const waiter of waiters) waiter();
  }

  /** Calls `fn` at the next thaw; returns a function that cancels it. */
  onThaw(fn: () => void): () => void {
    this.waiters.add(fn);
    return () => this.waiters.delete(fn);
  }

  /** Resolves now if not frozen, else at the thaw; rejects with the signal's reason on abort. */
  pass(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (!this.frozenNow) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        cancel();
        reject(signal.reason);
      };
      const cancel = this.onThaw(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.waiters.clear();
  }
}
