import { describeTarget, redact, type InfluxTarget } from './target.js';

export interface QuerySeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

/** The database could not answer a query; the message says why and never holds a secret. */
export class InfluxQueryError extends Error {
  override readonly name = 'InfluxQueryError';
}

/**
 * Run one InfluxQL statement through the 1.x `/query` API, which InfluxDB 2.x (with a DBRP mapping)
 * and 3.x also serve; for a v2 target the bucket is the database. Times come back as epoch ms.
 */
export async function queryInflux(target: InfluxTarget, q: string, timeoutMs = 30_000): Promise<QuerySeries[]> {
  const params = new URLSearchParams({ q, db: (target.api === 'v1' ? target.db : target.bucket)!, epoch: 'ms' });
  if (target.api === 'v1' && target.rp) params.set('rp', target.rp);
  const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded' };
  if (target.user) headers.Authorization = `Basic ${Buffer.from(`${target.user}:${target.password ?? ''}`).toString('base64')}`;
  else if (target.token) headers.Authorization = `Token ${target.token}`;
  let res: Response;
  let text: string;
  try {
    res = await fetch(`${target.url}/query`, { method: 'POST', headers, body: params, signal: AbortSignal.timeout(timeoutMs) });
    text = await res.text();
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    throw new InfluxQueryError(`cannot reach ${describeTarget(target)}: ${cause?.code ?? (err as Error).message}`);
  }
  let body: { error?: string; results?: { series?: QuerySeries[]; error?: string }[] };
  try {
    body = JSON.parse(text);
  } catch {
    throw new InfluxQueryError(`${describeTarget(target)} answered ${res.status} with something that is not InfluxQL JSON: ${redact(text.slice(0, 200), target)}`);
  }
  const error = body.error ?? body.results?.find((r) => r.error)?.error;
  if (!res.ok || error) throw new InfluxQueryError(`${describeTarget(target)} refused the query (${res.status}: ${redact(error ?? res.statusText, target)})`);
  return body.results?.[0]?.series ?? [];
}

/** Rows of every series as objects keyed by column, with the series' tags merged in. */
export function seriesRows(series: readonly QuerySeries[]): Record<string, unknown>[] {
  return series.flatMap((s) => s.values.map((v) => ({ ...s.tags, ...Object.fromEntries(s.columns.map((c, i) => [c, v[i]])) })));
}

/** An InfluxQL string literal. */
export function quoteString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** An InfluxQL identifier (tag key, field key, measurement). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
