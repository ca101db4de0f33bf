/** Why waiting for the next item ended without one. */
export type QueueEnd = { kind: 'timeout' } | { kind: 'closed'; reason: string | null } | { kind: 'aborted' };

/**
 * A queue read by one sequential consumer that can wait with a deadline. Unread items are bounded:
 * a board flooding lines faster than the runner consumes drops the oldest, never grows memory.
 */
export class EventQueue<T> {
  private items: T[] = [];
  private waiter: ((v: T | QueueEnd) => void) | null = null;
  private endReason: { reason: string | null } | null = null;
  dropped = 0;

  constructor(private readonly limit = 10_000) {}

  push(item: T): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w(item);
      return;
    }
    if (this.items.length >= this.limit) {
      this.items.shift();
      this.dropped++;
    }
    this.items.push(item);
  }

  close(reason: string | null): void {
    if (this.endReason) return;
    this.endReason = { reason };
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w({ kind: 'closed', reason });
    }
  }

  /** Next item, or why there is none before `deadline` (epoch ms). */
  next(deadline: number, signal?: AbortSignal): Promise<T | QueueEnd> {
    if (this.items.length) return Promise.resolve(this.items.shift()!);
    if (this.endReason) return Promise.resolve({ kind: 'closed', reason: this.endReason.reason });
    if (signal?.aborted) return Promise.resolve({ kind: 'aborted' });
    return new Promise((resolve) => {
      const finish = (v: T | QueueEnd) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(v);
      };
      const onAbort = () => {
        this.waiter = null;
        finish({ kind: 'aborted' });
      };
      const timer = setTimeout(() => {
        this.waiter = null;
        finish({ kind: 'timeout' });
      }, Math.max(0, deadline - Date.now()));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiter = finish;
    });
  }
}

export function isQueueEnd<T extends { type: string }>(v: T | QueueEnd): v is QueueEnd {
  return 'kind' in v && (v.kind === 'timeout' || v.kind === 'closed' || v.kind === 'aborted') && !('type' in v);
}
