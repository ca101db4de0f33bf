import type { Interval, Result, RunRecord } from '@espbench/schema';
import type { SeriesPoint } from './point.js';
import { COEX_ALONE, EVENT, INTERVAL, LABEL_TAGS, RESERVED_TAGS, RESULT, RUN } from './series.js';

/** What every point of one run is tagged with. */
export const UNKNOWN_CHIP = 'unknown';

export interface RunContext {
  runId: string;
  rig: string;
  device: string;
  chip: string;
  ref: string | null;
  /** The run's other labels, keys already made safe from clashing with schema tags. */
  extraTags: Record<string, string>;
}

/** The parts of a run that tag its points (a RunRecord has them; so does a run in progress). */
export interface RunIdentity {
  runId: string;
  device: { uri: string; chip: string | null };
  labels: Record<string, string>;
  host: { hostname: string };
}

export function runContext(run: RunIdentity): RunContext {
  const extraTags: Record<string, string> = {};
  for (const [key, value] of Object.entries(run.labels)) {
    if ((LABEL_TAGS as readonly string[]).includes(key)) continue;
    extraTags[RESERVED_TAGS.has(key) ? `label_${key}` : key] = value;
  }
  return {
    runId: run.runId,
    rig: run.labels.rig || run.host.hostname,
    device: run.device.uri,
    // Like the CLI: a board whose ROM banner was never seen is `unknown`, so dashboards still show it.
    chip: run.device.chip || UNKNOWN_CHIP,
    ref: run.labels.ref || null,
    extraTags,
  };
}

const float = (value: number | null | undefined) => (value === null || value === undefined || !Number.isFinite(value) ? null : { type: 'float' as const, value });
const int = (value: number) => ({ type: 'integer' as const, value: Math.round(value) });
const str = (value: string | null | undefined) => (value === null || value === undefined ? null : { type: 'string' as const, value });

/** Which way the interval bytes moved, from the board's side. */
export function directionOf(scenario: string): 'download' | 'upload' {
  return scenario.endsWith('-upload') ? 'upload' : 'download';
}

export function resultPoint(ctx: RunContext, r: Result): SeriesPoint {
  return {
    measurement: RESULT.name,
    tags: {
      ...ctx.extraTags,
      rig: ctx.rig,
      device: ctx.device,
      chip: ctx.chip,
      scenario: r.scenario,
      ref: ctx.ref,
      run_id: ctx.runId,
      status: r.status,
      coex: r.coex || COEX_ALONE,
    },
    fields: {
      host_kibps: float(r.hostKiBps),
      device_kibps: float(r.deviceKiBps),
      bytes: int(r.bytes),
      duration_s: float(r.durationS),
      iteration: int(r.iteration),
      failure: str(r.failure?.kind),
      ...linkFields(r),
    },
    timeMs: Date.parse(r.endedAt),
  };
}

/**
 * Coexistence, UDP and radio facts. RSSI and channel come from the device under test's report
 * (`boards[0]`): protocol-v1 result details, or ESP-IDF's scan before an iperf run. esp-hal's bench
 * loop reports neither.
 */
function linkFields(r: Result): SeriesPoint['fields'] {
  const d = r.boards?.[0]?.details ?? {};
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const channel = num(d.channel);
  return {
    degradation_pct: float(r.degradationPct),
    loss_pct: float(r.udp?.lossPct),
    jitter_ms: float(r.udp?.jitterMs),
    rssi: float(num(d.rssi)),
    channel: channel === null ? null : int(channel),
    phy: str(typeof d.phy === 'string' ? d.phy : null),
    mtu: num(d.mtu) === null ? null : int(d.mtu as number),
    conn_interval_ms: float(num(d.conn_interval_ms)),
  };
}

export interface IntervalSample {
  scenario: string;
  /** The result's startedAt: interval times count from it, live and from the record alike. */
  startedAt: string;
  interval: Interval;
  /** `t` of the sample before (0 for the first): the sample covers (previousT, t]. */
  previousT: number;
}

export function intervalPoint(ctx: RunContext, s: IntervalSample): SeriesPoint {
  const span = s.interval.t - s.previousT;
  return {
    measurement: INTERVAL.name,
    tags: {
      rig: ctx.rig,
      run_id: ctx.runId,
      device: ctx.device,
      chip: ctx.chip,
      scenario: s.scenario,
      ref: ctx.ref,
      direction: directionOf(s.scenario),
    },
    fields: {
      kibps: span > 0 ? float(s.interval.bytes / 1024 / span) : null,
      bytes: int(s.interval.bytes),
    },
    timeMs: Date.parse(s.startedAt) + Math.round(s.interval.t * 1000),
  };
}

export function intervalPoints(ctx: RunContext, r: Result): SeriesPoint[] {
  let previousT = 0;
  return r.intervals.map((interval) => {
    const p = intervalPoint(ctx, { scenario: r.scenario, startedAt: r.startedAt, interval, previousT });
    previousT = interval.t;
    return p;
  });
}

/** Failures that are annotations: everything but results skipped because an earlier one failed. */
export function eventPoint(ctx: RunContext, r: Result): SeriesPoint | null {
  const f = r.failure;
  if (r.status !== 'failed' || !f || f.kind === 'not-run') return null;
  let text = f.message;
  if (f.panic) {
    text += `\n${f.panic.message}`;
    if (f.panic.location) text += `\nat ${f.panic.location}`;
    if (f.panic.backtrace.length) text += `\nbacktrace: ${f.panic.backtrace.join(' ')}`;
  }
  return {
    measurement: EVENT.name,
    tags: { rig: ctx.rig, device: ctx.device, chip: ctx.chip, ref: ctx.ref, run_id: ctx.runId, scenario: r.scenario, kind: f.kind },
    fields: {
      title: str(`${f.kind} during ${r.scenario} (iteration ${r.iteration})`),
      text: str(text),
      iteration: int(r.iteration),
      reset_reason: str(f.resetReason),
    },
    timeMs: Date.parse(r.endedAt),
  };
}

/** A result with everything it implies: its own point, its intervals, and its failure event. */
export function pointsForResult(ctx: RunContext, r: Result): SeriesPoint[] {
  const event = eventPoint(ctx, r);
  return [resultPoint(ctx, r), ...intervalPoints(ctx, r), ...(event ? [event] : [])];
}

export function runPoint(record: RunRecord, ctx = runContext(record)): SeriesPoint {
  const started = Date.parse(record.startedAt);
  return {
    measurement: RUN.name,
    tags: { ...ctx.extraTags, rig: ctx.rig, chip: ctx.chip, ref: ctx.ref, status: record.status, device: ctx.device, run_id: ctx.runId },
    fields: {
      duration_s: float(Math.max(0, Date.parse(record.endedAt) - started) / 1000),
      iterations: int(record.iterations),
      results: int(record.results.length),
      failures: int(record.results.filter((r) => r.status === 'failed').length),
      error: str(record.error ?? ''),
    },
    timeMs: started,
  };
}

/** A run that did not end ok is an annotation of its own, at its end. */
export function runEventPoint(record: RunRecord, ctx = runContext(record)): SeriesPoint | null {
  if (record.status === 'ok') return null;
  return {
    measurement: EVENT.name,
    tags: { rig: ctx.rig, device: ctx.device, chip: ctx.chip, ref: ctx.ref, run_id: ctx.runId, kind: `run-${record.status}` },
    fields: {
      title: str(`run ${record.status}`),
      text: str(record.error ?? `run ${record.status}`),
      iteration: int(record.iterations),
      reset_reason: str(record.device.resetReason),
    },
    timeMs: Date.parse(record.endedAt),
  };
}

/** Every point of a stored run. Writing them twice changes nothing: same series, same timestamps. */
export function pointsForRecord(record: RunRecord): SeriesPoint[] {
  const ctx = runContext(record);
  const runEvent = runEventPoint(record, ctx);
  return [runPoint(record, ctx), ...record.results.flatMap((r) => pointsForResult(ctx, r)), ...(runEvent ? [runEvent] : [])];
}
