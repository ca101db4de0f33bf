import type { Command } from 'commander';
import { brokerAccess } from '@espbench/mqtt';
import { hostname } from 'node:os';
import { checkRuns, samplesFromInflux, samplesFromRecords, type CheckRow, type Sample } from '@espbench/compare';
import { queryInflux, quoteString, RunPublisher, seriesRows, type InfluxTarget } from '@espbench/influx';
import { expandPlan, loadPlan, planJsonSchema, type NightlyPlan, type PlanItem } from '@espbench/plan';
import { checkJob, dispatch, espflashFlasher, JobError, parseBoard, resolveImage, runJob, type DispatchItem, type DispatchOutcome } from '@espbench/rig';
import { descriptorLabels, readFirmwareImage } from '@espbench/firmware';
import { dirname } from 'node:path';
import type { RunRecord, Scenario } from '@espbench/schema';
import { LocalStore, newRunId, resolveResultsDir } from '@espbench/store';
import { EXIT, UsageError } from '../errors.js';
import { addInfluxOptions, influxTarget, openWriter, writeSummary, type InfluxFlags } from '../influx.js';
import { addMqttOptions, mqttSettings, type MqttFlags } from '../mqtt.js';
import { colours } from '../render/style.js';
import { kib, table } from '../render/table.js';
import { VERSION } from '../version.js';

interface NightlyFlags extends InfluxFlags, MqttFlags {
  plan?: string;
  dispatch?: string;
  rigWait: number;
  clientId?: string;
  firmwareDir?: string;
  espflash?: string;
  results?: string;
  json?: boolean;
  listen: string;
  hostIp?: string;
  schema?: boolean;
}

interface ItemOutcome {
  item: PlanItem;
  /** mqtt dispatch: the rig that ran it. */
  rig: string | null;
  status: 'ok' | 'failed' | 'timeout' | 'error' | 'rejected' | 'no-rig';
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
    .option('--dispatch <where>', "local: run on this machine's boards (the plan's devices:); mqtt: send each item to a rig with the right board (the plan's rigs:). Default: from the plan")
    .option('--rig-wait <s>', 'mqtt: how long to wait for the rigs to announce themselves', (v: string) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--rig-wait must be a positive number of seconds, got "${v}"`);
      return n;
    }, 10)
    .option('--firmware-dir <dir>', "local: where the plan's firmware images are (default: the plan file's directory)")
    .option('--espflash <path>', 'local: the espflash that flashes the images (default: espflash on PATH)')
    .option('--client-id <id>', 'mqtt: client id of this dispatcher (default espbench-dispatch-<hostname>)')
    .option('--schema', 'print the plan file\'s JSON Schema (for editors) and exit')
    .option('--json', 'print the summary as JSON')
    .option('--listen <addr>', 'traffic server listen address', '0.0.0.0')
    .option('--host-ip <ip>', 'protocol-v1 plans: the address of this machine the boards connect to (default: --listen, or 127.0.0.1 for simulators)')
    .option('--results <dir>', 'local store directory (default $ESPBENCH_RESULTS or ./espbench-results)');
  addInfluxOptions(addMqttOptions(cmd))
    .addHelpText(
      'after',
      `
Examples:
  espbench nightly --plan nightly.yaml
  espbench nightly --plan nightly.yaml --influx http://localhost:8086 --json
  espbench nightly --schema > plan.schema.json
  espbench nightly --plan lab.yaml --dispatch mqtt --mqtt mqtt://broker.lab:1883 --influx http://influx.lab:8086

With rigs: in the plan, items go over MQTT to rigs running \`espbench agent\`; an \`espbench ingest\`
writes their records to InfluxDB, and the checks read the trailing window from there (--influx).

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
  const plan = await loadPlan(flags.plan);
  const items = expandPlan(plan);
  const mode = flags.dispatch ?? (plan.rigs === 'local' ? 'local' : 'mqtt');
  if (mode !== 'local' && mode !== 'mqtt') throw new UsageError(`--dispatch ${mode}: give local or mqtt`);
  if (mode === 'mqtt' && plan.rigs === 'local') throw new UsageError(`${flags.plan}: --dispatch mqtt needs rigs: [names] in the plan (it says rigs: local)`);
  if (mode === 'local' && plan.rigs !== 'local') throw new UsageError(`${flags.plan}: rigs: ${JSON.stringify(plan.rigs)} are reached over MQTT: use --dispatch mqtt --mqtt <url>, or rigs: local with devices:`);
  const mqtt = mode === 'mqtt' ? mqttSettings(flags) : null;
  for (const item of items) {
    try {
      checkJob(jobOf(item, item.target.kind === 'local' ? item.target.device : `sim:${item.chip}`), { listen: flags.listen, hostIp: flags.hostIp ?? (mode === 'mqtt' ? '127.0.0.1' : null) });
    } catch (e) {
      if (e instanceof JobError) throw new UsageError(`${item.id}: ${e.message}`);
      throw e;
    }
  }
  const store = new LocalStore(resolveResultsDir(flags.results));
  const target = influxTarget(flags);
  const err = process.stderr;
  const say = (line: string) => {
    if (!flags.json) err.write(`${line}\n`);
  };

  let outcomes: ItemOutcome[];
  let stats = null;
  let samples: Sample[] | null = null;
  if (mqtt) {
    outcomes = await dispatchItems(plan, items, flags, mqtt, say);
    if (target) {
      // The records reach InfluxDB through the ingester; check once they are there.
      const missing = await waitForRuns(target, outcomes.flatMap((o) => o.runIds), 60_000);
      for (const o of outcomes) {
        const lost = o.runIds.filter((id) => missing.includes(id));
        if (lost.length && o.status === 'ok') {
          o.status = 'failed';
          o.why = `run ${lost.join(', ')} did not reach InfluxDB within 60 s (is an espbench ingest running?)`;
        }
      }
      samples = await samplesFromInflux(target, {});
    } else {
      say('espbench: no --influx: the check against the trailing window needs the database the ingester writes to');
    }
  } else {
    const writer = target ? openWriter(target, store.dir, (line) => err.write(`${line}\n`), flags) : null;
    const publisher = writer ? new RunPublisher(writer) : null;
    const firmwareDir = flags.firmwareDir ?? dirname(flags.plan);
    outcomes = [];
    for (const [n, item] of items.entries()) {
      say(`espbench: [${n + 1}/${items.length}] ${item.id} on ${item.target.kind === 'local' ? item.target.device : ''}${item.firmware ? ` (flashing ${item.firmware})` : ''}`);
      outcomes.push(await runLocal(item, flags, store, publisher, firmwareDir));
    }
    stats = writer ? await writer.close() : null;
  }

  // Each item's results against the trailing window of earlier runs, as `espbench check` does.
  if (!samples && !mqtt) {
    const { runs } = await store.list();
    const records: RunRecord[] = await Promise.all(runs.map((r) => store.get(r.runId)));
    samples = samplesFromRecords(records, {});
  }
  for (const o of outcomes) {
    if (!o.runIds.length || !samples) continue;
    o.checks = checkRuns(samples, o.item.ref, plan.window, { thresholdPct: plan.threshold }).filter((row) => row.chip === o.item.chip && (!o.rig || row.rig === o.rig));
  }

  const regressions = outcomes.flatMap((o) => o.checks.filter((c) => c.verdict === 'slower').map((c) => ({ item: o.item.id, ...c })));
  const broken = outcomes.filter((o) => o.status !== 'ok');
  if (flags.json) {
    process.stdout.write(
      JSON.stringify(
        {
          plan: plan.name,
          dispatch: mode,
          items: outcomes.map((o) => ({ id: o.item.id, ref: o.item.ref, chip: o.item.chip, rig: o.rig, status: o.status, why: o.why, runIds: o.runIds, ok: o.ok, failed: o.failed, checks: o.checks })),
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
        ...(mqtt ? [{ header: 'rig', value: (o: ItemOutcome) => o.rig ?? '-' }] : []),
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

function jobOf(item: PlanItem, device: string) {
  return { devices: [device], scenarios: item.scenarios ?? [], coex: item.coex, iterations: item.iterations, durationS: item.durationS, labels: { ...item.labels } };
}

async function runLocal(item: PlanItem, flags: NightlyFlags, store: LocalStore, publisher: RunPublisher | null, firmwareDir: string): Promise<ItemOutcome> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), item.timeoutMs);
  const outcome: ItemOutcome = { item, rig: null, status: 'ok', why: null, runIds: [], ok: 0, failed: 0, checks: [] };
  try {
    if (item.target.kind !== 'local') throw new Error('not a local item');
    const job = jobOf(item, item.target.device);
    if (item.firmware) {
      // As an agent does: the image from the firmware directory, its descriptor on the run, flashed first.
      const image = resolveImage(firmwareDir, item.firmware);
      for (const [k, v] of Object.entries(descriptorLabels(await readFirmwareImage(image)))) if (!(k in job.labels)) job.labels[k] = v;
      job.labels.firmware_image = item.firmware;
      await espflashFlasher(flags.espflash ? { espflash: flags.espflash } : {})(parseBoard(item.target.device), image, abort.signal);
    }
    const records = await runJob(job, { listen: flags.listen, hostIp: flags.hostIp ?? null, signal: abort.signal, newRunId: () => newRunId(), version: VERSION });
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
  return outcome;
}

/** Send every item to a rig over MQTT and wait for all of them. */
async function dispatchItems(plan: NightlyPlan, items: PlanItem[], flags: NightlyFlags, mqtt: ReturnType<typeof mqttSettings>, say: (line: string) => void): Promise<ItemOutcome[]> {
  // Command ids are never reused: a rig runs a command id once.
  const stamp = newRunId();
  const toDispatch: DispatchItem[] = items.map((item, n) => ({
    id: `${plan.name}-${stamp}-${n + 1}`,
    rigs: item.target.kind === 'rigs' ? item.target.rigs : [],
    chip: item.chip,
    timeoutMs: item.timeoutMs,
    command: {
      iterations: item.iterations,
      durationS: item.durationS,
      labels: item.labels,
      ...(item.scenarios ? { scenarios: item.scenarios as Scenario[] } : {}),
      ...(item.coex.length ? { coex: item.coex } : {}),
      ...(item.firmware ? { firmware: item.firmware } : {}),
      timeoutS: Math.ceil(item.timeoutMs / 1000),
    },
  }));
  const byId = new Map(toDispatch.map((d, n) => [d.id, items[n]!]));
  say(`espbench: dispatching ${items.length} item(s) to ${plan.rigs === 'local' ? '' : plan.rigs.join(', ')} over ${mqtt.url.replace(/\/\/[^/@]*@/, '//***@')}`);
  const results: DispatchOutcome[] = await dispatch(mqtt.url, toDispatch, {
    clientId: flags.clientId ?? `espbench-dispatch-${hostname().replace(/[^A-Za-z0-9._-]/g, '-')}`,
    ...brokerAccess(mqtt),
    rigWaitMs: flags.rigWait * 1000,
    onState: (d, state, detail) => say(`espbench: ${byId.get(d.id)!.id}: ${state} ${detail}`),
  });
  return results.map((r) => {
    const status: ItemOutcome['status'] =
      r.state === 'done' ? ((r.results?.failed ?? 0) + (r.results?.notRun ?? 0) > 0 ? 'failed' : 'ok') : r.state === 'no-rig' ? 'no-rig' : r.state === 'rejected' ? 'rejected' : r.state === 'timeout' ? 'timeout' : 'failed';
    const why = r.reason ?? (status === 'failed' ? `${(r.results?.failed ?? 0) + (r.results?.notRun ?? 0)} result(s) failed or did not run` : null);
    return { item: byId.get(r.item.id)!, rig: r.rig, status, why, runIds: r.runIds, ok: r.results?.ok ?? 0, failed: (r.results?.failed ?? 0) + (r.results?.notRun ?? 0), checks: [] };
  });
}

/** Poll InfluxDB until every run has its espbench_run point; the ones still missing after `ms`. */
async function waitForRuns(target: InfluxTarget, runIds: string[], ms: number): Promise<string[]> {
  const deadline = Date.now() + ms;
  let missing = [...runIds];
  while (missing.length) {
    const q = `SELECT "duration_s", "run_id" FROM "espbench_run" WHERE ${missing.map((id) => `"run_id" = ${quoteString(id)}`).join(' OR ')}`;
    const seen = new Set(seriesRows(await queryInflux(target, q)).map((r) => r.run_id as string));
    missing = missing.filter((id) => !seen.has(id));
    if (!missing.length || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  return missing;
}
