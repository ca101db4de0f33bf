import { COEX_ALONE, queryInflux, quoteIdent, quoteString, RESERVED_TAGS, RESULT, runContext, seriesRows, tagValue, type InfluxTarget } from '@espbench/influx';
import { LabelError, parseLabels, type RunRecord } from '@espbench/schema';

/** One result as the statistics see it; failed results carry no throughput but are counted. */
export interface Sample {
  runId: string;
  /** Epoch ms used to order runs: the run's start (store) or its first result (InfluxDB). */
  runTime: number;
  rig: string;
  chip: string;
  scenario: string;
  ref: string | null;
  ok: boolean;
  hostKiBps: number | null;
}

/** `k=v` pairs every matching run must have: run labels, plus `chip` and `rig` (label, else host name). */
export type Selector = Record<string, string>;

export class SelectorError extends Error {
  override readonly name = 'SelectorError';
}

export function parseSelector(items: readonly string[], flag: string): Selector {
  if (!items.length) throw new SelectorError(`${flag} needs at least one k=v, e.g. ${flag} ref=v1.0.0`);
  try {
    return parseLabels(items);
  } catch (err) {
    if (err instanceof LabelError) throw new SelectorError(`${flag}: ${err.message}`);
    throw err;
  }
}

function runValue(record: RunRecord, key: string): string | null {
  const ctx = runContext(record);
  if (key === 'chip') return record.device.chip;
  if (key === 'rig') return ctx.rig;
  if (key === 'device') return record.device.uri;
  return record.labels[key] ?? null;
}

/** A result measured while the other radio was busy is compared only with its like. */
export function groupName(scenario: string, coex: string | null | undefined): string {
  return coex && coex !== COEX_ALONE ? `${scenario} with ${coex}` : scenario;
}

export function matches(record: RunRecord, selector: Selector): boolean {
  return Object.entries(selector).every(([k, v]) => runValue(record, k) === v);
}

export interface SampleFilter {
  chips?: readonly string[];
  scenarios?: readonly string[];
}

export function samplesFromRecords(records: readonly RunRecord[], selector: Selector, filter: SampleFilter = {}): Sample[] {
  const out: Sample[] = [];
  for (const record of records) {
    if (!matches(record, selector)) continue;
    const ctx = runContext(record);
    const chip = record.device.chip ?? 'unknown';
    if (filter.chips?.length && !filter.chips.includes(chip)) continue;
    for (const r of record.results) {
      if (filter.scenarios?.length && !filter.scenarios.includes(r.scenario)) continue;
      // A result skipped because an earlier one in the round failed counts as failed: it is shown, never measured.
      out.push({
        runId: record.runId,
        runTime: Date.parse(record.startedAt),
        rig: ctx.rig,
        chip,
        scenario: groupName(r.scenario, r.coex),
        ref: ctx.ref,
        ok: r.status === 'ok' && r.hostKiBps !== null,
        hostKiBps: r.status === 'ok' ? r.hostKiBps : null,
      });
    }
  }
  return out;
}

/** The tag a selector key is stored under in espbench_result (see runContext). */
function tagFor(key: string): string {
  if (key === 'chip' || key === 'rig' || key === 'ref' || key === 'device') return key;
  return RESERVED_TAGS.has(key) ? `label_${key}` : key;
}

/** The same samples from InfluxDB's espbench_result, so a comparison there matches the local store. */
export async function samplesFromInflux(target: InfluxTarget, selector: Selector, filter: SampleFilter = {}): Promise<Sample[]> {
  const where = Object.entries(selector).map(([k, v]) => `${quoteIdent(tagFor(k))} = ${quoteString(tagValue(v))}`);
  const anyOf = (key: string, values: readonly string[] | undefined) => {
    if (values?.length) where.push(`(${values.map((v) => `${quoteIdent(key)} = ${quoteString(tagValue(v))}`).join(' OR ')})`);
  };
  anyOf('chip', filter.chips);
  anyOf('scenario', filter.scenarios);
  const q = `SELECT "host_kibps", "failure" FROM ${quoteIdent(RESULT.name)}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} GROUP BY "run_id", "rig", "chip", "scenario", "ref", "status", "coex"`;
  const rows = seriesRows(await queryInflux(target, q));
  const firstOfRun = new Map<string, number>();
  for (const r of rows) {
    const t = r.time as number;
    const id = r.run_id as string;
    firstOfRun.set(id, Math.min(firstOfRun.get(id) ?? Infinity, t));
  }
  return rows.map((r) => ({
    runId: r.run_id as string,
    runTime: firstOfRun.get(r.run_id as string)!,
    rig: (r.rig as string) || '',
    chip: (r.chip as string) || 'unknown',
    scenario: groupName(r.scenario as string, r.coex as string | undefined),
    ref: (r.ref as string) || null,
    ok: r.status === 'ok' && typeof r.host_kibps === 'number',
    hostKiBps: r.status === 'ok' && typeof r.host_kibps === 'number' ? r.host_kibps : null,
  }));
}
