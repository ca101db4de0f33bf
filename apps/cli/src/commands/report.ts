import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { compareRuns, matches, parseSelector, samplesFromRecords, type SampleFilter, type Selector } from '@espbench/compare';
import { buildReport, describeSelector, type ReportComparison } from '@espbench/report';
import type { RunRecord } from '@espbench/schema';
import { LocalStore, resolveResultsDir } from '@espbench/store';
import { collect, UsageError } from '../errors.js';

interface ReportFlags {
  output: string;
  baseline?: string[];
  candidate?: string[];
  runs?: string[];
  detail?: string;
  chip?: string[];
  scenario?: string[];
  threshold: number;
  alpha: number;
  title?: string;
  results?: string;
}

type Lists = 'baseline' | 'candidate' | 'runs' | 'chip' | 'scenario';
/** The flags with every repeatable option present (empty when not given). */
type ReportOptions = Omit<ReportFlags, Lists> & Record<Lists, string[]>;

function parseThreshold(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n >= 100) throw new UsageError(`--threshold must be a percentage 0-100, got "${v}"`);
  return n;
}

function parseAlpha(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n >= 1) throw new UsageError(`--alpha must be between 0 and 1, got "${v}"`);
  return n;
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('write one self-contained HTML report: comparison table, distributions, throughput over time, the intervals of a run, run metadata')
    .requiredOption('-o, --output <file>', 'the HTML file to write')
    .option('-b, --baseline <k=v>', 'runs of the baseline, e.g. ref=v1.0.0 (repeat to narrow)', collect)
    .option('-c, --candidate <k=v>', 'runs of the candidate, e.g. ref=v1.1.0', collect)
    .option('--runs <runId...>', 'the runs to chart over time and list (default: every run of the baseline and candidate)', collect)
    .option('--detail <runId>', 'the run whose interval samples are charted (default: the latest candidate run, or the latest of --runs)')
    .option('--chip <chip>', 'only this chip, repeatable', collect)
    .option('--scenario <name>', 'only this scenario, repeatable', collect)
    .option('--threshold <pct>', 'changes smaller than this percent are noise', parseThreshold, 5)
    .option('--alpha <a>', 'significance level of the Mann-Whitney U test', parseAlpha, 0.05)
    .option('--title <text>', 'the report title')
    .option('--results <dir>', 'local store directory (default $ESPBENCH_RESULTS or ./espbench-results)')
    .addHelpText(
      'after',
      `
Examples:
  espbench report --baseline ref=v1.0.0 --candidate ref=v1.1.0 -o report.html
  espbench report -b ref=v1.0.0 -c ref=v1.1.0 --chip esp32c6 --detail 20261122-043015-3f9a2c -o c6.html
  espbench report --runs 20261122-043015-3f9a2c 20261123-043012-9b1d0e -o runs.html

The file has the data, Apache ECharts and its script inline: it opens offline in any browser.
With only --runs there is no comparison: the runs over time, the intervals of one and their metadata.`,
    )
    .action(async (flags: ReportFlags) => {
      // Repeatable options without a default, so --help shows none; absent is empty.
      const list = (xs?: string[]) => xs ?? [];
      const all: ReportOptions = { ...flags, baseline: list(flags.baseline), candidate: list(flags.candidate), runs: list(flags.runs), chip: list(flags.chip), scenario: list(flags.scenario) };
      process.stdout.write(`${await report(all)}\n`);
    });
}

async function allRecords(store: LocalStore): Promise<RunRecord[]> {
  const { runs, unreadable } = await store.list();
  for (const u of unreadable) process.stderr.write(`espbench: skipped ${u.file}: ${u.reason}\n`);
  return Promise.all(runs.map((r) => store.get(r.runId)));
}

const byStart = (a: RunRecord, b: RunRecord) => Date.parse(a.startedAt) - Date.parse(b.startedAt) || (a.runId < b.runId ? -1 : 1);

/** Writes the report; returns the absolute path written. */
async function report(flags: ReportOptions): Promise<string> {
  const comparing = flags.baseline.length > 0 || flags.candidate.length > 0;
  if (!comparing && !flags.runs.length) throw new UsageError('nothing to report: give --baseline k=v and --candidate k=v, or --runs <runId ...>');
  if (comparing && (!flags.baseline.length || !flags.candidate.length)) {
    throw new UsageError(`--baseline and --candidate go together: ${flags.baseline.length ? '--candidate' : '--baseline'} is missing`);
  }
  const dir = resolveResultsDir(flags.results);
  const store = new LocalStore(dir);
  const filter: SampleFilter = { chips: flags.chip, scenarios: flags.scenario };
  const filtered = flags.chip.length || flags.scenario.length ? ' (with the --chip/--scenario filters)' : '';
  const chipOk = (r: RunRecord) => !flags.chip.length || flags.chip.includes(r.device.chip ?? 'unknown');

  let comparison: ReportComparison | null = null;
  let sides: { baseline: Selector; candidate: Selector } | null = null;
  let records: RunRecord[] = [];
  if (comparing) {
    sides = { baseline: parseSelector(flags.baseline, '--baseline'), candidate: parseSelector(flags.candidate, '--candidate') };
    records = await allRecords(store);
    const baseline = samplesFromRecords(records, sides.baseline, filter);
    const candidate = samplesFromRecords(records, sides.candidate, filter);
    if (!baseline.length) throw new UsageError(`no results in the store ${dir} match --baseline ${describeSelector(sides.baseline)}${filtered}`);
    if (!candidate.length) throw new UsageError(`no results in the store ${dir} match --candidate ${describeSelector(sides.candidate)}${filtered}`);
    const rows = compareRuns(baseline, candidate, { thresholdPct: flags.threshold, alpha: flags.alpha });
    comparison = { ...sides, samples: { baseline, candidate }, rows, thresholdPct: flags.threshold, alpha: flags.alpha };
  }

  let runs: RunRecord[];
  if (flags.runs.length) {
    // store.get takes unique prefixes and names a missing id in one line.
    const chosen = await Promise.all([...new Set(flags.runs)].map((id) => store.get(id)));
    runs = [...new Map(chosen.map((r) => [r.runId, r])).values()].filter(chipOk);
    if (!runs.length) throw new UsageError(`none of the --runs is of --chip ${flags.chip.join(', ')}`);
  } else {
    runs = records.filter((r) => chipOk(r) && (matches(r, sides!.baseline) || matches(r, sides!.candidate)));
  }
  runs.sort(byStart);

  let detail: RunRecord | undefined;
  if (flags.detail) detail = await store.get(flags.detail);
  else if (sides && !flags.runs.length) detail = runs.filter((r) => matches(r, sides.candidate)).at(-1);

  const html = buildReport({ title: flags.title, comparison, runs, detail, filter });
  const path = resolve(flags.output);
  try {
    await writeFile(path, html);
  } catch (err) {
    throw new UsageError(`cannot write the report: ${(err as Error).message}`);
  }
  return path;
}
