import { pointsForRecord, toLine, RESULT, type SeriesPoint } from '@espbench/influx';
import type { runBench } from '@espbench/runner';
import type { Influxd } from '@espbench/tools/testing';

export type RunRecord = Awaited<ReturnType<typeof runBench>>[number];
export type Result = RunRecord['results'][number];

export const DB = 'espbench';
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** espbench's run id shape (YYYYMMDD-HHMMSS-suffix), so ids sort like start times. */
export function runIdAt(ms: number, suffix: string): string {
  return `${new Date(ms).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}-${suffix}`;
}

const shiftIso = (iso: string, ms: number) => new Date(Date.parse(iso) - ms).toISOString();

/**
 * A copy of a real record `days` earlier, with a new run id and its throughput scaled: synthetic
 * history for "latest vs the runs before it", written with the same pointsForRecord.
 */
export function earlierCopy(r: RunRecord, days: number, scale: number): RunRecord {
  const shift = days * DAY;
  const startedAt = shiftIso(r.startedAt, shift);
  return {
    ...r,
    runId: runIdAt(Date.parse(startedAt), `${r.runId.slice(-6)}h${String(days).padStart(2, '0')}`),
    startedAt,
    endedAt: shiftIso(r.endedAt, shift),
    results: r.results.map((x) => ({
      ...x,
      startedAt: shiftIso(x.startedAt, shift),
      endedAt: shiftIso(x.endedAt, shift),
      hostKiBps: x.hostKiBps === null ? null : x.hostKiBps * scale,
    })),
  };
}

/**
 * The record with the device under test's RSSI and channel in each result's board report, as
 * protocol-v1 firmware and ESP-IDF's iperf runs record them (`boards[0].details`). esp-hal's bench
 * loop, which the simulator speaks, reports none: the records from runBench have no boards.
 */
export function withRssi(r: RunRecord, rssiOf: (x: Result) => number): RunRecord {
  return {
    ...r,
    results: r.results.map((x) => ({
      ...x,
      boards: [{ uri: r.device.uri, role: 'receiver', bleRole: null, bytes: x.bytes, ms: Math.round(x.durationS * 1000), kibps: x.hostKiBps ?? 0, details: { rssi: rssiOf(x), channel: 6 } }],
    })),
  };
}

/** The RSSI a result's board reported, when it reported one. */
export function rssiOf(x: Result): number | null {
  const v = x.boards?.[0]?.details.rssi;
  return typeof v === 'number' ? v : null;
}

/** What is in the database: a record and the coex tag its results carry. */
export interface Entry {
  record: RunRecord;
  coex: string;
  /** Only its espbench_result points were written (coexistence copies). */
  resultsOnly?: boolean;
}

export function pointsOf(e: Entry): SeriesPoint[] {
  const points = pointsForRecord(e.record);
  if (!e.resultsOnly) return points;
  return points.filter((p) => p.measurement === RESULT.name).map((p) => ({ ...p, tags: { ...p.tags, coex: e.coex } }));
}

export async function write(influxd: Influxd, entries: Entry[]): Promise<void> {
  const body = entries.flatMap(pointsOf).map(toLine).join('\n');
  const res = await fetch(`${influxd.url}/write?db=${DB}&precision=ms`, { method: 'POST', body });
  if (res.status !== 204) throw new Error(`write failed: ${res.status} ${await res.text()}`);
}

/** One ok or failed result with the tags it is written with. */
export interface Row extends Result {
  chip: string;
  rig: string;
  ref: string;
  runId: string;
  coex: string;
  device: string;
  t: number;
}

export function resultRows(entries: Entry[]): Row[] {
  return entries.flatMap((e) =>
    e.record.results.map((r) => ({
      ...r,
      chip: e.record.device.chip ?? '',
      rig: e.record.labels.rig ?? '',
      ref: e.record.labels.ref ?? '',
      runId: e.record.runId,
      coex: e.coex,
      device: e.record.device.uri,
      t: Date.parse(r.endedAt),
    })),
  );
}

export function median(xs: number[]): number {
  const a = [...xs].sort((x, y) => x - y);
  const n = a.length;
  if (!n) return NaN;
  return n % 2 ? a[(n - 1) / 2]! : (a[n / 2 - 1]! + a[n / 2]!) / 2;
}

/** InfluxQL percentile(x, 50): nearest rank, the lower middle value for an even count. */
export function nearestRank50(xs: number[]): number {
  const a = [...xs].sort((x, y) => x - y);
  return a[Math.floor(a.length * 0.5 + 0.5) - 1]!;
}

export function groupBy<T>(xs: T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    m.set(k, [...(m.get(k) ?? []), x]);
  }
  return m;
}

export const deltaPct = (from: number, to: number) => ((to - from) / from) * 100;
