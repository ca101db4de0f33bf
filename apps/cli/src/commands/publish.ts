import type { Command } from 'commander';
import { describeTarget, pointsForRecord, spoolDirs, spoolKey } from '@espbench/influx';
import { LocalStore, resolveResultsDir } from '@espbench/store';
import { EXIT, UsageError } from '../errors.js';
import { addInfluxOptions, influxTarget, openWriter, spoolRoot, writeSummary, type InfluxFlags } from '../influx.js';
import { table } from '../render/table.js';

interface PublishFlags extends InfluxFlags {
  all?: boolean;
  json?: boolean;
  results?: string;
}

export function registerPublish(program: Command): void {
  const cmd = program
    .command('publish')
    .description('send stored runs (and points spooled while InfluxDB was unreachable) to InfluxDB')
    .argument('[runId...]', 'runs to publish (ids or unique prefixes); none: only send the spool')
    .option('--all', 'publish every run in the local store')
    .option('--json', 'print what was published as JSON')
    .option('--results <dir>', 'local store directory (default $ESPBENCH_RESULTS or ./espbench-results)');
  addInfluxOptions(cmd)
    .addHelpText(
      'after',
      `
Examples:
  espbench publish --influx http://localhost:8086              # send what the spool holds
  espbench publish --all --influx http://localhost:8086 --influx-db espbench
  ESPBENCH_INFLUX_URL=https://eu-central-1-1.aws.cloud2.influxdata.com ESPBENCH_INFLUX_BUCKET=bench \\
    ESPBENCH_INFLUX_ORG=esp ESPBENCH_INFLUX_TOKEN=... espbench publish 20261122-04

Publishing a run again changes nothing in the database: its points overwrite themselves.
Exit status: 0 everything is in the database, 1 some points wait in the spool or were refused,
2 bad input or settings the database refuses (credentials, a database that does not exist).`,
    )
    .action(async (ids: string[], flags: PublishFlags) => {
      process.exitCode = await publish(ids, flags);
    });
}

async function publish(ids: string[], flags: PublishFlags): Promise<number> {
  if (flags.all && ids.length) throw new UsageError('give run ids or --all, not both');
  const target = influxTarget(flags);
  if (!target) throw new UsageError('no InfluxDB to publish to: add --influx http://host:8086 or set ESPBENCH_INFLUX_URL');
  const store = new LocalStore(resolveResultsDir(flags.results));
  const err = process.stderr;
  const quietProgress = flags.json || !err.isTTY;

  // Resolve every id before sending anything: a typo fails fast with exit 2.
  let runIds: string[];
  if (flags.all) {
    const { runs, unreadable } = await store.list();
    for (const u of unreadable) err.write(`espbench: skipped ${u.file}: ${u.reason}\n`);
    runIds = runs.map((r) => r.runId);
  } else {
    runIds = [];
    for (const id of ids) runIds.push((await store.get(id)).runId);
  }

  const writer = openWriter(target, store.dir, (line) => err.write(`${line}\n`), flags);
  const started = performance.now();
  await writer.replay();
  const published: { runId: string; status: string; points: number }[] = [];
  for (const [i, runId] of runIds.entries()) {
    const record = await store.get(runId);
    const points = pointsForRecord(record);
    writer.write(points);
    published.push({ runId, status: record.status, points: points.length });
    if (!quietProgress) err.write(`\r\x1b[Kpublishing ${i + 1}/${runIds.length} runs`);
    if (writer.error) break;
    if (writer.queuedBatches > 2) await writer.idle();
  }
  const stats = await writer.close();
  const seconds = (performance.now() - started) / 1000;
  if (!quietProgress && runIds.length) err.write('\r\x1b[K');

  const others = (await spoolDirs(spoolRoot(store.dir))).filter((d) => d.batches > 0 && !d.dir.endsWith(spoolKey(target)));
  if (flags.json) {
    process.stdout.write(JSON.stringify({ target: describeTarget(target), runs: published, ...stats, seconds: round3(seconds), otherTargetsWaiting: others.map((o) => ({ target: o.target, batches: o.batches })) }, null, 2) + '\n');
  } else {
    if (published.length) {
      process.stdout.write(
        table(published, [
          { header: 'run', value: (r) => r.runId },
          { header: 'status', value: (r) => r.status },
          { header: 'points', value: (r) => String(r.points), align: 'right' },
        ]) + '\n',
      );
    } else if (!runIds.length && !stats.replayed) {
      process.stdout.write(`nothing waiting in the spool for ${describeTarget(target)}; publish stored runs with: espbench publish --all\n`);
    }
    const rate = stats.written + stats.replayed > 0 ? ` in ${seconds.toFixed(2)} s (${Math.round((stats.written + stats.replayed) / seconds)} points/s)` : '';
    process.stdout.write(`${writeSummary(target, stats)}${rate}\n`);
  }
  for (const o of others) {
    err.write(`espbench: ${o.batches} spooled batch(es) wait for another target: ${o.target}; publish with that target to send them, or delete ${o.dir} if that target was a mistake\n`);
  }
  if (writer.error) return EXIT.usage;
  return stats.spooled || stats.rejected ? EXIT.failed : EXIT.ok;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
