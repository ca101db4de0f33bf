import type { SerialBinding } from '../src/serial-link.js';

/** One `set()` the code under test asked of a port, as it reached the binding. */
export interface LineChange {
  path: string;
  dtr: boolean;
  rts: boolean;
  /** performance.now() when set() was called. */
  at: number;
  /** The binding's error, when it refused. */
  error: string | null;
}

/**
 * A serialport binding that records every `set()` (DTR/RTS) on the ports it opens and delegates
 * everything to `inner`: the real binding (`SerialPort.binding`, for a real pty) or the mock one.
 */
export function recordingBinding(inner: SerialBinding): { binding: SerialBinding; changes: LineChange[] } {
  const changes: LineChange[] = [];
  const binding: SerialBinding = {
    list: () => inner.list(),
    async open(options: never) {
      const port = (await inner.open(options)) as object;
      const path = (options as { path: string }).path;
      return new Proxy(port, {
        get(target, prop) {
          if (prop === 'set') {
            return async (o: { dtr?: boolean; rts?: boolean }) => {
              const change: LineChange = { path, dtr: Boolean(o.dtr), rts: Boolean(o.rts), at: performance.now(), error: null };
              changes.push(change);
              try {
                await (target as { set(o: unknown): Promise<void> }).set(o);
              } catch (err) {
                change.error = (err as Error).message;
                throw err;
              }
            };
          }
          const value = Reflect.get(target, prop, target) as unknown;
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
    },
  };
  return { binding, changes };
}
