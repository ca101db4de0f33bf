import type { Command } from 'commander';
import { checkRuns, samplesFromRecords, type CheckRow } from '@espbench/compare';
import { RunPublisher } from '@espbench/influx';
import { expandPlan, loadPlan, planJsonSchema, type PlanItem } from '@espbench/plan';
import { parsePlan, runBench, runV1Bench } from '@espbench/runner';
import { SCENARIOS, type RunRecord } from '@espbench/schema';
import { LocalStore, newRunId, resolveResultsDir } from '@espbench/store';
import { EXIT, UsageError } from '../errors.js';
import { addInfluxOptions, influxTarget, openWriter, writeSummary, type InfluxFlags } from '../influx.js';
import { colours } from '../render/style.js';
import { kib, table } from '../render/table.js';
import { VERSION } from '../version.js';

interface NightlyFlags extends InfluxFlags {
  plan?: string;
  dispatch: string;
  results?: string;
  json?: boolean;
  listen: string;
  hostIp?: string;
  schema?: boolean;
}

interface ItemOutcome {
  item: PlanItem;
  status: 'ok' | 'failed' | 'timeout' | 'error';
  why: string | null;
  runIds: string[];
  ok: number;
  failed: number;
  checks: CheckRow[];
}

export function registerNightly(program: Command): void {
  const cmd = program
    .command('nightly')
    .description('run a nightly plan (refs x chips x scenarios), store and publish the runs, and check each against its trailing window')
    .option('-p, --plan <file>', 'plan file (YAML or JSON)')
    .option('--dispatch <where>', 'local: run on this machine\'s devices (the plan\'s devices:)', 'local')
    .option('--schema', 'print the plan file\'s JSON Schema (for editors) and exit')
    .option('--json', 'print the summary as JSON')
    .option('--listen <addr>', 'traffic server listen address', '0.0.0.0')
    .option('--host-ip <ip>', 'protocol-v1 plans: the address of this machine the boards connect to (default: --listen, or 127.0.0.1 for simulators)')
    .option('--results <dir>', 'local store directory (default $ESPBENCH_RESULTS or ./espbench-results)');
  addInfluxOptions(cmd)
    .addHelpText(
      'after',
      `
Examples:
  espbench nightly --plan nightly.yaml
  espbench nightly --plan nightly.yaml --influx http://localhost:8086 --json
  espbench nightly --schema > plan.schema.json

Schedule it like any job: cron (0 2 * * * cd /srv/espbench && npx espbench nightly --plan nightly.yaml),
a systemd timer, or a CI schedule. Exit status: 0 every item ran and no check says slower; 1 a
regression or an item that failed or could not run; 2 a bad plan.`,
    )
    .action(async (flags: NightlyFlags) => {
      process.exitCode = await nightly(flags);
    });
}

async function nightly(flags: NightlyFlags): Promise<number> {
  if (flags.schema) {
    process.stdout.write(JSON.stringify(planJsonSchema(), null, 2) + '\n');
    return EXIT.ok;
  }
  if (!flags.plan) throw new UsageError('--plan <file> is required (or --schema to print the plan format)');
  if (flags.dispatch !== 'local') throw new UsageError(`--dispatch ${flags.dispatch}: only local dispatch is available in this version (rigs over MQTT are not done yet)`);
  const plan = await loadPlan(flags.plan);
  const items = expandPlan(plan);
  if (items.some((i) => i.target.kind !== 'local')) throw new UsageError(`${flags.plan}: rigs: ${JSON.stringify(plan.rigs)} needs MQTT dispatch, which is not available yet; use rigs: local with devices:`);
  for (const item of items) {
    if (item.scenarios || item.coex.length) parsePlan(item.scenarios ?? [], item.coex, SCENARIOS);
  }
  const store = new LocalStore(resolveResultsDir(flags.results));
  const target = influxTarget(flags);
  const err = process.stderr;
  const say = (line: string) => {
    if (!flags.json) err.write(`${line}\n`);
  };
  const writer = target ? openWriter(target, store.dir, (line) => err.write(`${line}\n`), flags) : null;
  const publisher = writer ? new RunPublisher(writer) : null;
  const firmwareNote = items.some((i) => i.firmware);
  if (firmwareNote) say('espbench: firmware images are not flashed by this version: each board must already run the ref the plan names');

  const outcomes: ItemOutcome[] = [];
  for (const [n, item] of items.entries()) {
    say(`espbench: [${n + 1}/${items.length}] ${item.id} on ${item.target.kind === 'local' ? item.target.device : ''}`);
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), item.timeoutMs);
    const outcome: ItemOutcome = { item, status: 'ok', why: null, runIds: [], ok: 0, failed: 0, checks: [] };
    try {
      const records = await runItem(item, flags, abort.signal);
      for (const record of records) {
        await store.save(record);
        publisher?.record(record);
        outcome.runIds.push(record.runId);
        outcome.ok += record.results.filter((r) => r.status === 'ok').length;
        outcome.failed += record.results.filter((r) => r.status === 'failed').length;
        if (record.status !== 'ok') {
          outcome.status = abort.signal.aborted ? 'timeout' : 'failed';
          outcome.why = abort.signal.aborted ? `no result within ${item.timeoutMs / 60_000} min` : record.error;
        }
      }
    } catch (e) {
      outcome.status = 'error';
      outcome.why = (e as Error).message;
    } finally {
      clearTimeout(timer);
    }
    outcomes.push(outcome);
  }

  // Each item's results against the trailing window of earlier runs, as `espbench check` does.
  const { runs } = await store.list();
  const records: RunRecord[] = await Promise.all(runs.map((r) => store.get(r.runId)));
  const samples = samplesFromRecords(records, {});
  for (const o of outcomes) {
    if (!o.runIds.length) continue;
    o.checks = checkRuns(samples, o.item.ref, plan.window, { thresholdPct: plan.threshold }).filter((row) => row.chip === o.item.chip);
  }
  const stats = writer ? await writer.close() : null;

  const regressions = outcomes.flatMap((o) => o.checks.filter((c) => c.verdict === 'slower').map((c) => ({ item: o.item.id, ...c })));
  const broken = outcomes.filter((o) => o.status !== 'ok');
  if (flags.json) {
    process.stdout.write(
      JSON.stringify(
        {
          plan: plan.name,
          items: outcomes.map((o) => ({ id: o.item.id, ref: o.item.ref, chip: o.item.chip, status: o.status, why: o.why, runIds: o.runIds, ok: o.ok, failed: o.failed, checks: o.checks })),
          regressions: regressions.length,
          notRun: broken.length,
          ...(stats ? { influx: stats } : {}),
        },
        null,
        2,
      ) + '\n',
    );
  } else {
    const c = colours(process.stdout);
    process.stdout.write(
      table(outcomes, [
        { header: 'item', value: (o) => o.item.id },
        { header: 'status', value: (o) => (o.status === 'ok' ? c.green('ok') : c.red(o.status)) },
        { header: 'ok', value: (o) => String(o.ok), align: 'right' },
        { header: 'failed', value: (o) => String(o.failed), align: 'right' },
        { header: 'check', value: (o) => summarizeChecks(o.checks) },
        { header: 'why', value: (o) => o.why ?? '' },
      ]) + '\n',
    );
    for (const r of regressions) process.stdout.write(`${c.red('slower')}: ${r.item} ${r.scenario} on ${r.rig}: ${kib(r.latest)} KiB/s, ${r.reason}\n`);
    if (target && stats) process.stdout.write(`${writeSummary(target, stats)}\n`);
  }
  return regressions.length || broken.length ? EXIT.failed : EXIT.ok;
}

function summarizeChecks(rows: CheckRow[]): string {
  if (!rows.length) return '-';
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.verdict, (counts.get(r.verdict) ?? 0) + 1);
  return [...counts.entries()].map(([v, n]) => `${n} ${v}`).join(', ');
}

async function runItem(item: PlanItem, flags: NightlyFlags, signal: AbortSignal): Promise<RunRecord[]> {
  if (item.target.kind !== 'local') throw new Error('not a local item');
  const device = item.target.device;
  const listen = flags.listen;
  const sim = device.startsWith('sim:');
  const hostIp = flags.hostIp ?? (listen !== '0.0.0.0' && listen !== '::' ? listen : sim ? '127.0.0.1' : null);
  if (item.scenarios || item.coex.length) {
    const { record } = await runV1Bench({
      device,
      plan: parsePlan(item.scenarios ?? [], item.coex, SCENARIOS),
      iterations: item.iterations,
      durationS: item.durationS,
      labels: item.labels,
      hostIp: hostIp ?? (() => {
        throw new UsageError(`${item.id}: --host-ip is needed for a protocol-v1 plan on ${device}`);
      })(),
      listen,
      portBase: sim ? 0 : 4321,
      signal,
      runId: newRunId(),
      version: VERSION,
    });
    return [record];
  }
  // esp-hal's bench firmware connects to fixed ports; a simulator follows whatever the server took.
  return runBench({ devices: [device], iterations: item.iterations, labels: item.labels, listen, portBase: sim ? 0 : 4321, testDurationS: item.durationS, signal, newRunId: () => newRunId(), version: VERSION });
}
