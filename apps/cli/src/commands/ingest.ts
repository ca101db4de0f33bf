import { hostname } from 'node:os';
import type { Command } from 'commander';
import { describeTarget, type InfluxTarget, type WriteStats } from '@espbench/influx';
import { DEFAULT_SHARE_GROUP, Ingester, redactSecrets, redactUrl, segment, type IngestStats } from '@espbench/mqtt';
import { resolveResultsDir } from '@espbench/store';
import { EXIT, UsageError } from '../errors.js';
import { addInfluxOptions, influxTarget, openWriter, spoolRoot, writeSummary, type InfluxFlags } from '../influx.js';
import { addMqttOptions, mqttSettings, type MqttFlags } from '../mqtt.js';

interface IngestFlags extends InfluxFlags, MqttFlags {
  clientId?: string;
  group: string;
  results?: string;
  json?: boolean;
}

/** `espbench-ingest-<hostname>`, with anything but letters, digits, `.`, `_` and `-` in the host name as `-`. */
export function defaultClientId(host = hostname()): string {
  return `espbench-ingest-${host.replace(/[^A-Za-z0-9._-]/g, '-') || 'host'}`;
}

/** Distinct runs whose live samples were announced on stderr; bounded so a long-running ingester does not grow. */
const ANNOUNCED_RUNS = 1000;

export function registerIngest(program: Command): void {
  const cmd = program
    .command('ingest')
    .description('write the run records and live interval samples that rigs publish over MQTT to InfluxDB (runs until Ctrl-C or SIGTERM)')
    .option('--client-id <id>', 'MQTT client id: fixed per ingester, the broker keeps its session and its share of unacknowledged records under it (default espbench-ingest-<hostname>)')
    .option('--group <name>', 'MQTT 5 share group: ingesters in one group split the messages between them', DEFAULT_SHARE_GROUP)
    .option('--json', 'on exit, print the counts as one JSON line on stdout')
    .option('--results <dir>', 'directory whose influx-spool/ keeps points while InfluxDB is unreachable (default $ESPBENCH_RESULTS or ./espbench-results)');
  addMqttOptions(cmd);
  addInfluxOptions(cmd)
    .addHelpText(
      'after',
      `
Examples:
  espbench ingest --mqtt mqtt://broker.lab:1883 --influx http://localhost:8086
  ESPBENCH_MQTT_USER=ingest ESPBENCH_MQTT_PASSWORD=... espbench ingest --mqtt mqtts://broker.lab:8883 \\
    --mqtt-ca /etc/espbench/ca.crt --influx http://localhost:8086 --influx-db espbench
  espbench ingest --mqtt mqtt://broker.lab:1883 --influx http://localhost:8086 --client-id ingest-b --json   # a second ingester

Subscribes to espbench/v1/rigs/+/runs/+/record (QoS 1) and .../intervals (QoS 0) through the share group
on a persistent session. A record is acknowledged once its points are in InfluxDB or in the spool
(<results>/influx-spool, sent on the next write or by espbench publish); until then the broker keeps it.
Writing a record twice changes nothing in the database. Several ingesters with distinct --client-id and
one --group share the load. Prints one line per record, refused payload and connection change on stderr;
stop with Ctrl-C or SIGTERM: it finishes the record being written, flushes and prints a summary.
Exit status: 0 stopped by a signal; 2 bad input, a broker that refuses the login or cannot be reached,
or a database that refuses the writes (credentials, a database that does not exist).`,
    )
    .action(async (flags: IngestFlags) => {
      process.exitCode = await ingest(flags);
    });
}

async function ingest(flags: IngestFlags): Promise<number> {
  const target = influxTarget(flags);
  if (!target) throw new UsageError('no InfluxDB to write to: add --influx http://host:8086 or set ESPBENCH_INFLUX_URL');
  const broker = mqttSettings(flags);
  const group = segment('share group', flags.group);
  const clientId = flags.clientId ?? defaultClientId();
  if (!clientId || clientId.length > 256) throw new UsageError('--client-id must be 1-256 characters');

  const secrets = [broker.password, target.password, target.token];
  const say = (line: string) => process.stderr.write(`espbench ingest: ${redactSecrets(line, secrets)}\n`);
  const resultsDir = resolveResultsDir(flags.results);
  const writer = openWriter(target, resultsDir, (line) => process.stderr.write(`${redactSecrets(line, secrets)}\n`), flags);

  const ingester = new Ingester({
    clientId,
    group,
    writer,
    ...(broker.username !== undefined ? { username: broker.username } : {}),
    ...(broker.password !== undefined ? { password: broker.password } : {}),
    ...(broker.ca ? { ca: broker.ca } : {}),
    ...(broker.cert ? { cert: broker.cert } : {}),
    ...(broker.key ? { key: broker.key } : {}),
    // openWriter reports the writer's errors and refused points, with the spool's path: not twice.
    log: (line) => {
      if (line.startsWith('InfluxDB: ') || line.startsWith('InfluxDB refused ')) return;
      say(line);
    },
  });
  let recordPoints = 0;
  ingester.on('record', (m) => {
    const r = m.record;
    const points = ingester.stats.recordPoints - recordPoints;
    recordPoints = ingester.stats.recordPoints;
    say(`record ${r.runId} from ${m.rig}${m.commandId ? ` (command ${m.commandId})` : ''}: ${r.status}, ${r.results.length} result(s), ${points} points`);
  });
  const announced = new Set<string>();
  ingester.on('intervals', (p) => {
    const key = `${p.rig}/${p.runId}`;
    if (announced.has(key)) return;
    if (announced.size >= ANNOUNCED_RUNS) announced.delete(announced.values().next().value!);
    announced.add(key);
    say(`live samples of run ${p.runId} from ${p.rig} (${p.chip} ${p.device})`);
  });

  // Ctrl-C or SIGTERM: finish and flush; a second one: leave at once (every cut batch is in the spool already).
  let stopping: NodeJS.Signals | null = null;
  let wake: (signal: NodeJS.Signals) => void = () => {};
  const stopped = new Promise<NodeJS.Signals>((resolve) => (wake = resolve));
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`espbench ingest: ${signal} again: leaving now; points not yet in InfluxDB stay in ${spoolRoot(resultsDir)}\n`);
      process.exit(EXIT.interrupted);
    }
    stopping = signal;
    wake(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A database that refuses every write (credentials, no such database) will not get better by itself.
  let fatal = false;
  writer.once('error', () => {
    fatal = true;
    wake('SIGTERM');
  });

  const started = performance.now();
  try {
    // Points an earlier process left in the spool go out first (in the background: the database may be down).
    void writer.replay();
    const connecting = ingester.connect(broker.url);
    const connected = await Promise.race([connecting.then(() => true), stopped.then(() => false)]);
    if (!connected) {
      // Still connecting: nothing was received, nothing to acknowledge.
      say(`${stopping ?? 'stopped'} before the broker answered; nothing was received`);
      await writer.close();
      process.exit(fatal ? EXIT.usage : EXIT.ok);
    }
    say(
      `connected to ${redactUrl(broker.url)} as ${clientId} (session ${ingester.sessionPresent ? 'resumed' : 'new'}), share group ${group}; ` +
        `writing to InfluxDB ${describeTarget(target)}; Ctrl-C to stop`,
    );
    const signal = await stopped;
    say(fatal ? 'stopping: InfluxDB refuses the writes' : `${signal}: finishing the record being written and flushing to InfluxDB`);
    const stats = await ingester.close();
    const written = await writer.close();
    const seconds = (performance.now() - started) / 1000;
    const out = flags.json
      ? JSON.stringify({ target: describeTarget(target), clientId, group, ...stats, influx: written, seconds: Math.round(seconds * 1000) / 1000 })
      : summary(target, stats, written, seconds);
    process.stdout.write(redactSecrets(out, secrets) + '\n');
    return fatal ? EXIT.usage : EXIT.ok;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function summary(target: InfluxTarget, s: IngestStats, w: WriteStats, seconds: number): string {
  const parts = [`${s.records} record(s) (${s.recordPoints} points)`, `${s.samples} interval sample(s) in ${s.intervalMessages} message(s)`];
  if (s.invalid) parts.push(`${s.invalid} payload(s) refused`);
  if (s.retried) parts.push(`${s.retried} record(s) left to the broker to send again`);
  return `ingested ${parts.join(', ')} in ${formatDuration(seconds)}\n${writeSummary(target, w)}`;
}

function formatDuration(seconds: number): string {
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 120) return `${m} min ${Math.round(seconds - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
