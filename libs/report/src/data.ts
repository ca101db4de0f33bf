import { groupName, type CompareRow, type Sample, type SampleFilter, type Selector } from '@espbench/compare';
import type { Interval, RunRecord } from '@espbench/schema';
import { summarize } from '@espbench/stats';
import { axisRange, MBIT_PER_KIB, type AxisRange } from './format.js';

/** Okabe-Ito, the colour-blind-safe palette; yellow last (weak on white). */
export const OKABE_ITO = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'] as const;
export const SIDE_COLOURS = { baseline: OKABE_ITO[0], candidate: OKABE_ITO[1] } as const;
const SCENARIO_COLOURS: Record<string, string> = { 'wifi-tcp-download': OKABE_ITO[2], 'wifi-tcp-upload': OKABE_ITO[3], 'wifi-tcp-updown': OKABE_ITO[4] };

export interface ReportComparison {
  baseline: Selector;
  candidate: Selector;
  /** The samples compareRuns was given, ok and failed: the box plots show the ok ones. */
  samples: { baseline: readonly Sample[]; candidate: readonly Sample[] };
  rows: readonly CompareRow[];
  thresholdPct?: number;
  alpha?: number;
}

export interface ReportInput {
  title?: string;
  /** ISO time shown in the header; default now. */
  generatedAt?: string;
  /** Baseline vs candidate; absent or null: no comparison table and no box plots. */
  comparison?: ReportComparison | null;
  /** The chosen runs: their results over time and their metadata. */
  runs: readonly RunRecord[];
  /** The run whose interval samples are charted; default the latest of `runs`, null for none. */
  detail?: RunRecord | null;
  /** Only these chips and scenarios in the charts over time and of intervals (as for the comparison). */
  filter?: SampleFilter;
  /** ECharts' source to inline instead of echarts/dist/echarts.min.js (tests). */
  echartsSource?: string;
}

export interface SideInfo {
  label: string;
  selector: Selector;
  colour: string;
}

export interface DistributionData {
  chip: string;
  scenario: string;
  baseline: number[];
  candidate: number[];
  failed: { baseline: number; candidate: number };
  /** [min, Q1, median, Q3, max] of each side's ok results, null when it has none. */
  box: { baseline: BoxStats | null; candidate: BoxStats | null };
  y: AxisRange;
}

export type BoxStats = [number, number, number, number, number];

/** [end time epoch ms, host KiB/s, run id, iteration] */
export type TimelinePoint = [number, number, string, number];

export interface TimelineData {
  chip: string;
  scenario: string;
  y: AxisRange;
  series: { ref: string; name: string; colour: string; points: TimelinePoint[] }[];
}

/** [epoch ms at the end of the interval, KiB/s over the interval] */
export type IntervalPoint = [number, number];

export interface DetailData {
  runId: string;
  chip: string;
  ref: string;
  device: string;
  y: AxisRange;
  series: { scenario: string; iteration: number; status: string; colour: string; points: IntervalPoint[] }[];
}

/** [device under test's RSSI in dBm, host KiB/s, run id, iteration] */
export type RssiPoint = [number, number, string, number];

/** Throughput against RSSI: ok results whose board reported an RSSI, one series per ref x chip x scenario. */
export interface RssiData {
  /** The RSSI axis, dBm: the values' range widened to multiples of 5 with a step of room each side. */
  x: { min: number; max: number };
  y: AxisRange;
  series: { ref: string; chip: string; scenario: string; name: string; colour: string; points: RssiPoint[] }[];
}

export interface RunMeta {
  runId: string;
  startedAt: string;
  endedAt: string;
  device: string;
  chip: string | null;
  status: string;
  error: string | null;
  labels: Record<string, string>;
  espbenchVersion: string;
  host: string;
  results: number;
  failed: number;
}

/** Everything the charts draw, embedded in the page as JSON. Non-finite numbers become null. */
export interface ReportData {
  format: 'espbench-report';
  version: 1;
  title: string;
  generatedAt: string;
  mbitPerKiB: number;
  comparison: { baseline: SideInfo; candidate: SideInfo; thresholdPct: number; alpha: number; rows: CompareRow[] } | null;
  distributions: DistributionData[];
  timeline: TimelineData[];
  detail: DetailData | null;
  /** Null when no chosen result has an RSSI (esp-hal's bench loop reports none). */
  rssi: RssiData | null;
  runs: RunMeta[];
}

export const NO_REF = '(no ref)';

export function describeSelector(s: Selector): string {
  return Object.entries(s).map(([k, v]) => `${k}=${v}`).join(' ');
}

/**
 * KiB/s of each interval: bytes / 1024 / (t - previous t), the first from t = 0 (the connection's
 * accept). Intervals that do not move forward in time are dropped.
 */
export function intervalRates(intervals: readonly Interval[]): { t: number; kibps: number }[] {
  const out: { t: number; kibps: number }[] = [];
  let prev = 0;
  for (const iv of intervals) {
    const dt = iv.t - prev;
    if (dt > 0) {
      out.push({ t: iv.t, kibps: iv.bytes / 1024 / dt });
      prev = iv.t;
    }
  }
  return out;
}

const refOf = (r: RunRecord) => r.labels.ref || NO_REF;
const byStart = (a: RunRecord, b: RunRecord) => Date.parse(a.startedAt) - Date.parse(b.startedAt) || (a.runId < b.runId ? -1 : 1);
const groupKey = (chip: string, scenario: string) => `${chip}\u0000${scenario}`;
const compareKeys = (a: { chip: string; scenario: string }, b: { chip: string; scenario: string }) => (a.chip === b.chip ? (a.scenario < b.scenario ? -1 : a.scenario > b.scenario ? 1 : 0) : a.chip < b.chip ? -1 : 1);

function wanted(filter: SampleFilter | undefined, chip: string, scenario?: string): boolean {
  if (filter?.chips?.length && !filter.chips.includes(chip)) return false;
  if (scenario !== undefined && filter?.scenarios?.length && !filter.scenarios.includes(scenario)) return false;
  return true;
}

/** Ref colours: the baseline's and candidate's refs first (blue, vermillion), then the others in order of first run. */
function refColours(runs: readonly RunRecord[], comparison: ReportComparison | null | undefined): Map<string, string> {
  const order: string[] = [];
  if (comparison?.baseline.ref) order.push(comparison.baseline.ref);
  if (comparison?.candidate.ref) order.push(comparison.candidate.ref);
  for (const r of runs) order.push(refOf(r));
  const colours = new Map<string, string>();
  for (const ref of order) if (!colours.has(ref)) colours.set(ref, OKABE_ITO[colours.size % OKABE_ITO.length]!);
  return colours;
}

export function boxStats(values: readonly number[]): BoxStats | null {
  if (!values.length) return null;
  const s = summarize(values);
  return [s.min, s.q1, s.median, s.q3, s.max];
}

function distributions(c: ReportComparison): DistributionData[] {
  const ok = (xs: readonly Sample[], chip: string, scenario: string) => xs.filter((s) => s.chip === chip && s.scenario === scenario && s.ok).map((s) => s.hostKiBps!);
  return [...c.rows].sort(compareKeys).map((row) => {
    const baseline = ok(c.samples.baseline, row.chip, row.scenario);
    const candidate = ok(c.samples.candidate, row.chip, row.scenario);
    return { chip: row.chip, scenario: row.scenario, baseline, candidate, failed: { ...row.failed }, box: { baseline: boxStats(baseline), candidate: boxStats(candidate) }, y: axisRange([...baseline, ...candidate]) };
  });
}

function timeline(runs: readonly RunRecord[], colours: Map<string, string>, filter?: SampleFilter): TimelineData[] {
  const panels = new Map<string, { chip: string; scenario: string; series: Map<string, TimelinePoint[]> }>();
  for (const run of runs) {
    const chip = run.device.chip ?? 'unknown';
    const ref = refOf(run);
    for (const r of run.results) {
      if (r.status !== 'ok' || r.hostKiBps === null || !wanted(filter, chip, r.scenario)) continue;
      const scenario = groupName(r.scenario, r.coex);
      const k = groupKey(chip, scenario);
      let panel = panels.get(k);
      if (!panel) panels.set(k, (panel = { chip, scenario, series: new Map() }));
      const points = panel.series.get(ref) ?? [];
      points.push([Date.parse(r.endedAt), r.hostKiBps, run.runId, r.iteration]);
      panel.series.set(ref, points);
    }
  }
  return [...panels.values()].sort(compareKeys).map((p) => {
    const series = [...p.series.entries()].map(([ref, points]) => ({
      ref,
      name: `${ref} · ${p.chip} · ${p.scenario}`,
      colour: colours.get(ref)!,
      points: points.sort((a, b) => a[0] - b[0]),
    }));
    return { chip: p.chip, scenario: p.scenario, y: axisRange(series.flatMap((s) => s.points.map((x) => x[1]))), series };
  });
}

/**
 * The device under test's RSSI of a result, dBm: `boards[0].details.rssi`, as protocol-v1 firmware
 * reports it and ESP-IDF iperf runs record it from the scan; null when absent.
 */
export function resultRssi(r: RunRecord['results'][number]): number | null {
  const v = r.boards?.[0]?.details.rssi;
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function rssiData(runs: readonly RunRecord[], filter?: SampleFilter): RssiData | null {
  const series = new Map<string, RssiData['series'][number]>();
  for (const run of runs) {
    const chip = run.device.chip ?? 'unknown';
    const ref = refOf(run);
    for (const r of run.results) {
      const rssi = resultRssi(r);
      if (rssi === null || r.status !== 'ok' || r.hostKiBps === null || !wanted(filter, chip, r.scenario)) continue;
      const scenario = groupName(r.scenario, r.coex);
      const name = `${ref} · ${chip} · ${scenario}`;
      let s = series.get(name);
      if (!s) series.set(name, (s = { ref, chip, scenario, name, colour: '', points: [] }));
      s.points.push([rssi, r.hostKiBps, run.runId, r.iteration]);
    }
  }
  if (!series.size) return null;
  const list = [...series.values()].sort((a, b) => compareKeys(a, b) || (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
  list.forEach((s, i) => {
    s.colour = OKABE_ITO[i % OKABE_ITO.length]!;
    s.points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  });
  const xs = list.flatMap((s) => s.points.map((p) => p[0]));
  return {
    x: { min: Math.floor(Math.min(...xs) / 5) * 5 - 5, max: Math.ceil(Math.max(...xs) / 5) * 5 + 5 },
    y: axisRange(list.flatMap((s) => s.points.map((p) => p[1]))),
    series: list,
  };
}

function detail(run: RunRecord, filter?: SampleFilter): DetailData {
  const chip = run.device.chip ?? 'unknown';
  const series = run.results
    .filter((r) => r.intervals.length && wanted(filter, chip, r.scenario))
    .map((r) => {
      const start = Date.parse(r.startedAt);
      return {
        scenario: r.scenario,
        iteration: r.iteration,
        status: r.status,
        colour: SCENARIO_COLOURS[r.scenario] ?? OKABE_ITO[6],
        points: intervalRates(r.intervals).map((x): IntervalPoint => [start + Math.round(x.t * 1000), x.kibps]),
      };
    });
  return { runId: run.runId, chip, ref: refOf(run), device: run.device.uri, y: axisRange(series.flatMap((s) => s.points.map((p) => p[1]))), series };
}

function runMeta(r: RunRecord): RunMeta {
  return {
    runId: r.runId,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    device: r.device.uri,
    chip: r.device.chip,
    status: r.status,
    error: r.error,
    labels: { ...r.labels },
    espbenchVersion: r.host.espbenchVersion,
    host: r.host.hostname,
    results: r.results.filter((x) => x.failure?.kind !== 'not-run').length,
    failed: r.results.filter((x) => x.status !== 'ok' && x.failure?.kind !== 'not-run').length,
  };
}

/** The report's data model, what the page's JSON block holds (before non-finite numbers become null). */
export function buildReportData(input: ReportInput): ReportData {
  const runs = [...input.runs].sort(byStart);
  const c = input.comparison ?? null;
  const colours = refColours(runs, c);
  const detailRun = input.detail === undefined ? runs.at(-1) ?? null : input.detail;
  const side = (selector: Selector, colour: string): SideInfo => ({ label: describeSelector(selector), selector: { ...selector }, colour });
  return {
    format: 'espbench-report',
    version: 1,
    title: input.title ?? (c ? `espbench: ${describeSelector(c.baseline)} vs ${describeSelector(c.candidate)}` : 'espbench report'),
    generatedAt: input.generatedAt ?? new Date().toISOString(),
    mbitPerKiB: MBIT_PER_KIB,
    comparison: c
      ? {
          baseline: side(c.baseline, SIDE_COLOURS.baseline),
          candidate: side(c.candidate, SIDE_COLOURS.candidate),
          thresholdPct: c.thresholdPct ?? 5,
          alpha: c.alpha ?? 0.05,
          rows: [...c.rows].sort(compareKeys),
        }
      : null,
    distributions: c ? distributions(c) : [],
    timeline: timeline(runs, colours, input.filter),
    detail: detailRun ? detail(detailRun, input.filter) : null,
    rssi: rssiData(runs, input.filter),
    runs: runs.map(runMeta),
  };
}
