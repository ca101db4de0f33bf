import { checkAgainstHistory, compareSamples, median, type CheckOptions, type Comparison, type HistoryCheck } from '@espbench/stats';
import type { Sample } from './samples.js';

export interface GroupKey {
  chip: string;
  scenario: string;
}

export interface CompareRow extends GroupKey, Comparison {
  /** Failed iterations on each side: counted and shown, never in the statistics. */
  failed: { baseline: number; candidate: number };
  runs: { baseline: number; candidate: number };
}

function key(s: GroupKey): string {
  return `${s.chip}\u0000${s.scenario}`;
}

function byGroup(samples: readonly Sample[]): Map<string, Sample[]> {
  const groups = new Map<string, Sample[]>();
  for (const s of samples) {
    const k = key(s);
    const list = groups.get(k);
    if (list) list.push(s);
    else groups.set(k, [s]);
  }
  return groups;
}

const okValues = (xs: readonly Sample[] = []) => xs.filter((s) => s.ok).map((s) => s.hostKiBps!);
const failures = (xs: readonly Sample[] = []) => xs.filter((s) => !s.ok).length;
const runCount = (xs: readonly Sample[] = []) => new Set(xs.map((s) => s.runId)).size;

/** Per chip x scenario present on either side, sorted by chip then scenario. */
export function compareRuns(baseline: readonly Sample[], candidate: readonly Sample[], opts: Parameters<typeof compareSamples>[2] = {}): CompareRow[] {
  const b = byGroup(baseline);
  const c = byGroup(candidate);
  const keys = [...new Set([...b.keys(), ...c.keys()])].sort();
  return keys.map((k) => {
    const [chip, scenario] = k.split('\u0000') as [string, string];
    const bs = b.get(k);
    const cs = c.get(k);
    return {
      chip,
      scenario,
      ...compareSamples(okValues(bs), okValues(cs), opts),
      failed: { baseline: failures(bs), candidate: failures(cs) },
      runs: { baseline: runCount(bs), candidate: runCount(cs) },
    };
  });
}

export interface CheckRow extends GroupKey, HistoryCheck {
  rig: string;
  /** The candidate's runs and the earlier runs the window holds. */
  runs: { candidate: number; history: number };
  failed: number;
}

/**
 * The candidate's results (median of its ok results) per rig x chip x scenario against the per-run
 * medians of the `window` runs before its first run, of any other ref, on the same rig.
 */
export function checkRuns(all: readonly Sample[], candidateRef: string, window: number, opts: CheckOptions = {}): CheckRow[] {
  const groups = new Map<string, Sample[]>();
  for (const s of all) {
    const k = `${s.rig}\u0000${key(s)}`;
    const list = groups.get(k);
    if (list) list.push(s);
    else groups.set(k, [s]);
  }
  const rows: CheckRow[] = [];
  for (const [k, samples] of [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const cand = samples.filter((s) => s.ref === candidateRef);
    if (!cand.length) continue;
    const [rig, chip, scenario] = k.split('\u0000') as [string, string, string];
    const since = Math.min(...cand.map((s) => s.runTime));
    const perRun = new Map<string, { t: number; values: number[] }>();
    for (const s of samples) {
      if (s.ref === candidateRef || s.runTime >= since || !s.ok) continue;
      const run = perRun.get(s.runId) ?? { t: s.runTime, values: [] };
      run.values.push(s.hostKiBps!);
      perRun.set(s.runId, run);
    }
    const history = [...perRun.values()].sort((a, b) => a.t - b.t).slice(-window).map((r) => median(r.values));
    const values = okValues(cand);
    const check = values.length
      ? checkAgainstHistory(history, median(values), opts)
      : { ...checkAgainstHistory(history, NaN, opts), deltaPct: null, z: null, verdict: 'not enough data' as const, reason: 'every candidate result failed' };
    rows.push({ rig, chip, scenario, ...check, runs: { candidate: runCount(cand), history: history.length }, failed: failures(cand) });
  }
  return rows;
}
