import { performance } from 'node:perf_hooks';

// performance.now() is uv_hrtime relative to this thread's origin; adding the origin back gives a
// monotonic clock shared by every thread of the process (the /proc sampler worker uses hrtime).
const offset = Number(process.hrtime.bigint()) / 1e6 - performance.now();

/** Monotonic milliseconds, comparable across threads. Cheap enough for per-read callbacks. */
export function monoMs(): number {
  return performance.now() + offset;
}
