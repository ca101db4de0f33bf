import type { Command } from 'commander';
import { checkRuns, compareRuns, parseSelector, samplesFromInflux, samplesFromRecords, type CheckRow, type CompareRow, type Sample, type SampleFilter, type Selector } from '@espbench/compare';
import type { InfluxTarget } from '@espbench/influx';
import type { RunRecord } from '@espbench/schema';
import { LocalStore, resolveResultsDir } from '@espbench/store';
import { collect, EXIT, parsePositiveInt, UsageError } from '../errors.js';
import { addInfluxOptions, influxTarget, type InfluxFlags } from '../influx.js';
import { colours, type Colours } from '../render/style.js';
import { kib, mbit, table } from '../render/table.js';

interface SourceFlags extends InfluxFlags {
  results?: string;
  chip: string[];
  scenario: string[];
  json?: boolean;
  threshold: number;
}

interface CompareFlags extends SourceFlags {
  baseline: string[];
  candidate: string[];
  alpha: number;
  seed: number;
}

interface CheckFlags extends SourceFlags {
  ref: string;
  window: number;
  rig?: string;
}

function parsePercent(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || n >= 100) throw new UsageError(`${name} must be a percentage 0-100, got "${v}"`);
    return n;
  };
}

function parseAlpha(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n >= 1) throw new UsageError(`--alpha must be between 0 and 1, got "${v}"`);
  return n;
}

function parseWindow(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 5) throw new UsageError(`--window must be an integer of at least 5 (fewer earlier runs can never give a verdict), got "${v}"`);
  return n;
}

function parseSeed(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--seed must be a non-negative integer, got "${v}"`);
  return n;
}

function withSource(cmd: Command): Command {
  cmd
    .option('--chip <chip>', 'only this chip, repeatable', collect, [])
    .option('--scenario <name>', 'only this scenario, repeatable', collect, [])
    .option('--threshold <pct>', 'changes smaller than this percent are noise', parsePercent('--threshold'), 5)
    .option('--json', 'print the verdicts as JSON')
    .option('--results <dir>', 'local store directory (default $ESPBENCH_RESULTS or ./espbench-results)');
  return addInfluxOptions(cmd, 'read');
}

/** Samples from InfluxDB when --influx is given, else from the local store. */
async function loadSamples(flags: SourceFlags, selector: Selector): Promise<Sample[]> {
  const filter: SampleFilter = { chips: flags.chip, scenarios: flags.scenario };
  const target = flags.influx ? influxTarget(flags) : null;
  if (target) return samplesFromInflux(target as InfluxTarget, selector, filter);
  return samplesFromRecords(await storeRecords(flags.results), selector, filter);
}

async function storeRecords(results?: string): Promise<RunRecord[]> {
  const store = new LocalStore(resolveResultsDir(results));
  const { runs, unreadable } = await store.list();
  for (const u of unreadable) process.stderr.write(`espbench: skipped ${u.file}: ${u.reason}\n`);
  return Promise.all(runs.map((r) => store.get(r.runId)));
}

function where(flags: SourceFlags): string {
  return flags.influx ? 'InfluxDB' : `the store ${resolveResultsDir(flags.results)}`;
}

function describeSelector(s: Selector): string {
  return Object.entries(s).map(([k, v]) => `${k}=${v}`).join(' ');
}

const pct = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : `${x >= 0 ? '+' : ''}${x.toFixed(1)}%`);
const pval = (p: number | null) => (p === null ? '-' : p < 0.001 ? p.toExponential(1) : p.toFixed(3));

function paint(c: Colours, verdict: string): string {
  if (verdict === 'slower') return c.red(verdict);
  if (verdict === 'faster') return c.green(verdict);
  if (verdict === 'same') return verdict;
  return c.yellow(verdict);
}

export function registerCompare(program: Command): void {
  const cmd = program
    .command('compare')
    .description('is a candidate firmware faster, slower or the same as a baseline? per chip x scenario, with a Mann-Whitney test and a bootstrap interval')
    .requiredOption('-b, --baseline <k=v>', 'runs of the baseline, e.g. ref=v1.0.0 (repeat to narrow: --baseline rig=lab-1)', collect, [])
    .requiredOption('-c, --candidate <k=v>', 'runs of the candidate, e.g. ref=v1.1.0', collect, [])
    .option('--alpha <a>', 'significance level of the Mann-Whitney U test', parseAlpha, 0.05)
    .option('--seed <n>', 'bootstrap seed (the interval is reproducible)', parseSeed, 1);
  withSource(cmd)
    .addHelpText(
      'after',
      `
Examples:
  espbench compare --baseline ref=v1.0.0 --candidate ref=v1.1.0
  espbench compare -b ref=v1.0.0 -c ref=v1.1.0 --chip esp32c6 --scenario wifi-tcp-upload --json
  espbench compare -b ref=v1.0.0 -c ref=v1.1.0 --influx http://localhost:8086

A change counts when it is beyond --threshold percent AND significant at --alpha; failed
iterations are counted but never enter the statistics. Each side needs at least 4 ok results
per chip x scenario for alpha 0.05 (fewer can never be significant).
Exit status: 1 when any verdict is slower, 0 otherwise, 2 for bad input.`,
    )
    .action(async (flags: CompareFlags) => {
      process.exitCode = await compare(flags);
    });
}

async function compare(flags: CompareFlags): Promise<number> {
  const baseSel = parseSelector(flags.baseline, '--baseline');
  const candSel = parseSelector(flags.candidate, '--candidate');
  const base = await loadSamples(flags, baseSel);
  const cand = await loadSamples(flags, candSel);
  if (!base.length) throw new UsageError(`no results in ${where(flags)} match --baseline ${describeSelector(baseSel)}${flags.chip.length || flags.scenario.length ? ' (with the --chip/--scenario filters)' : ''}`);
  if (!cand.length) throw new UsageError(`no results in ${where(flags)} match --candidate ${describeSelector(candSel)}${flags.chip.length || flags.scenario.length ? ' (with the --chip/--scenario filters)' : ''}`);
  const rows = compareRuns(base, cand, { thresholdPct: flags.threshold, alpha: flags.alpha, seed: flags.seed });
  const slower = rows.some((r) => r.verdict === 'slower');
  if (flags.json) {
    process.stdout.write(
      JSON.stringify({ baseline: baseSel, candidate: candSel, source: flags.influx ? 'influxdb' : 'store', threshold: flags.threshold, alpha: flags.alpha, seed: flags.seed, rows }, null, 2) + '\n',
    );
  } else {
    const c = colours(process.stdout);
    const side = (s: CompareRow['baseline']) => (s.n ? `${kib(s.median)} ±${kib(s.iqr / 2)}` : '-');
    process.stdout.write(`baseline ${describeSelector(baseSel)}  vs  candidate ${describeSelector(candSel)}  (host KiB/s: median ±IQR/2)\n\n`);
    process.stdout.write(
      table<CompareRow>(rows, [
        { header: 'chip', value: (r) => r.chip },
        { header: 'scenario', value: (r) => r.scenario },
        { header: 'n', value: (r) => `${r.baseline.n}/${r.candidate.n}`, align: 'right' },
        { header: 'failed', value: (r) => `${r.failed.baseline}/${r.failed.candidate}`, align: 'right' },
        { header: 'baseline', value: (r) => side(r.baseline), align: 'right' },
        { header: 'candidate', value: (r) => side(r.candidate), align: 'right' },
        { header: 'Mbit/s', value: (r) => `${mbit(r.baseline.n ? r.baseline.median : null)} → ${mbit(r.candidate.n ? r.candidate.median : null)}`, align: 'right' },
        { header: 'delta', value: (r) => pct(r.deltaPct), align: 'right' },
        { header: '95% CI', value: (r) => (r.ci ? `${pct(r.ci[0])} .. ${pct(r.ci[1])}` : '-'), align: 'right' },
        { header: 'p', value: (r) => pval(r.p), align: 'right' },
        { header: 'verdict', value: (r) => paint(c, r.verdict) },
      ]) + '\n',
    );
    const notes = rows.filter((r) => r.verdict === 'not enough data').map((r) => `  ${r.chip} ${r.scenario}: ${r.reason}`);
    if (notes.length) process.stdout.write(`\nnot enough data:\n${notes.join('\n')}\n`);
    process.stdout.write(`\nthreshold ${flags.threshold}%, alpha ${flags.alpha}; n = ok results, failed = failed or not run (baseline/candidate); ${slower ? c.red('a verdict is slower: exit 1') : 'no verdict is slower'}\n`);
  }
  return slower ? EXIT.failed : EXIT.ok;
}

export function registerCheck(program: Command): void {
  const cmd = program
    .command('check')
    .description("a nightly's results against the trailing window of earlier runs on the same rig (robust z-score)")
    .requiredOption('--ref <ref>', 'the candidate: runs labelled ref=<ref>')
    .option('--window <n>', 'earlier runs to compare with, per rig x chip x scenario (at least 5)', parseWindow, 14)
    .option('--rig <rig>', 'only this rig');
  withSource(cmd)
    .addHelpText(
      'after',
      `
Examples:
  espbench check --ref nightly-2026-11-22 --window 14
  espbench check --ref $(git rev-parse --short HEAD) --influx http://localhost:8086 --json

The candidate's median per rig x chip x scenario is compared with the per-run medians of the
--window runs before it (any other ref, same rig): robust z = (x - median) / (1.4826 x MAD).
|z| > 3.5 and a change beyond --threshold is a verdict; a history whose MAD is over 10% of its
median is reported as "flaky history", not as a regression.
Exit status: 1 when any verdict is slower, 0 otherwise, 2 for bad input.`,
    )
    .action(async (flags: CheckFlags) => {
      process.exitCode = await check(flags);
    });
}

async function check(flags: CheckFlags): Promise<number> {
  const selector: Selector = flags.rig ? { rig: flags.rig } : {};
  const all = await loadSamples(flags, selector);
  if (!all.some((s) => s.ref === flags.ref)) throw new UsageError(`no results in ${where(flags)} have ref=${flags.ref}${flags.rig ? ` on rig ${flags.rig}` : ''}`);
  const rows = checkRuns(all, flags.ref, flags.window, { thresholdPct: flags.threshold });
  const slower = rows.some((r) => r.verdict === 'slower');
  if (flags.json) {
    process.stdout.write(JSON.stringify({ ref: flags.ref, window: flags.window, threshold: flags.threshold, source: flags.influx ? 'influxdb' : 'store', rows }, null, 2) + '\n');
  } else {
    const c = colours(process.stdout);
    process.stdout.write(`ref ${flags.ref} against up to ${flags.window} earlier runs on the same rig (host KiB/s; runs = candidate/earlier)\n\n`);
    process.stdout.write(
      table<CheckRow>(rows, [
        { header: 'rig', value: (r) => r.rig },
        { header: 'chip', value: (r) => r.chip },
        { header: 'scenario', value: (r) => r.scenario },
        { header: 'runs', value: (r) => `${r.runs.candidate}/${r.runs.history}`, align: 'right' },
        { header: 'failed', value: (r) => String(r.failed), align: 'right' },
        { header: 'history', value: (r) => (r.history.n ? kib(r.history.median) : '-'), align: 'right' },
        { header: 'latest', value: (r) => kib(Number.isFinite(r.latest) ? r.latest : null), align: 'right' },
        { header: 'delta', value: (r) => pct(r.deltaPct), align: 'right' },
        { header: 'z', value: (r) => (r.z === null ? '-' : Number.isFinite(r.z) ? r.z.toFixed(1) : r.z > 0 ? '>99' : '<-99'), align: 'right' },
        { header: 'verdict', value: (r) => paint(c, r.verdict) },
        { header: 'why', value: (r) => r.reason },
      ]) + '\n',
    );
    process.stdout.write(`\n${slower ? c.red('a verdict is slower: exit 1') : 'no verdict is slower'}\n`);
  }
  return slower ? EXIT.failed : EXIT.ok;
}
