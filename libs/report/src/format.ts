/** Mbit/s per KiB/s: 1024 bytes x 8 bits / 1e6. */
export const MBIT_PER_KIB = (1024 * 8) / 1e6;

export function kibToMbit(kibps: number): number {
  return kibps * MBIT_PER_KIB;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/**
 * JSON that is safe inside `<script type="application/json">`: no `<` can end the element or open a
 * comment; U+2028/U+2029 are escaped too so the text is also a valid JS literal.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** A script's source made safe to inline in `<script>`: `</script` cannot close the element early. */
export function scriptForHtml(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

const finite = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x);

export const fmtKib = (x: number | null | undefined) => (finite(x) ? x.toFixed(1) : '-');
export const fmtMbit = (kibps: number | null | undefined) => (finite(kibps) ? kibToMbit(kibps).toFixed(2) : '-');
export const fmtPct = (x: number | null | undefined) => (x === Infinity ? '+inf' : finite(x) ? `${x >= 0 ? '+' : ''}${x.toFixed(1)}%` : '-');
export const fmtP = (p: number | null | undefined) => (finite(p) ? (p < 0.001 ? p.toExponential(1) : p.toFixed(3)) : '-');

/** A step of 1, 2, 2.5 or 5 x 10^k that is at least `raw`. */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= raw - 1e-12 * mag) return m * mag;
  return 10 * mag;
}

/** One y range in both units: the Mbit/s axis spans exactly the same throughput as the KiB/s axis. */
export interface AxisRange {
  /** KiB/s. */
  min: number;
  max: number;
  /** KiB/s between ticks (min and max are multiples of it). */
  step: number;
  /** The same range in Mbit/s. */
  mbitMin: number;
  mbitMax: number;
  /** Mbit/s between labelled ticks on the second axis. */
  mbitStep: number;
}

/** A padded, rounded KiB/s range around the values (never below 0), with its Mbit/s twin. */
export function axisRange(values: readonly number[], ticks = 5): AxisRange {
  const xs = values.filter((v) => Number.isFinite(v));
  let lo = xs.length ? Math.min(...xs) : 0;
  let hi = xs.length ? Math.max(...xs) : 1;
  const pad = hi > lo ? (hi - lo) * 0.15 : Math.abs(hi) * 0.05 || 1;
  lo = Math.max(0, lo - pad);
  hi += pad;
  const step = niceStep((hi - lo) / ticks);
  const min = Math.floor(lo / step) * step;
  const max = Math.max(Math.ceil(hi / step) * step, min + step);
  const mbitMin = kibToMbit(min);
  const mbitMax = kibToMbit(max);
  return { min, max, step, mbitMin, mbitMax, mbitStep: niceStep((mbitMax - mbitMin) / ticks) };
}
