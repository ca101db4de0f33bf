// Benchmark: interval samples and records from rigs, through a real Mosquitto, into a real InfluxDB
// by `espbench ingest` (apps/cli/dist/main.js), end to end. Run with `npm run perf` or alone after a build:
//   node tools/dist/perf-mqtt/main.js [--samples 600000] [--batch 500] [--records 20] [--rate 40000]
//                                     [--case both|sustained|burst] [--repeat 3] [--json]
//
// Publishes `samples` interval samples in intervals messages of `batch` samples (QoS 0, as an agent
// batches them) and `records` RunRecords (QoS 1) spread evenly among them. The figure is
// samples / (time from the first publish until InfluxDB counts every point); every repeat checks that
// InfluxDB holds exactly what was published (each sample is its own point), so loss cannot hide.
//
// Two cases:
// - sustained: published at `rate` samples/s (several rigs at once) to a Mosquitto with its default
//   limits. A figure near `rate` means the ingester kept up; it cannot be higher than `rate`.
// - burst: everything published at once, to a Mosquitto whose max_queued_messages holds the whole
//   burst: how fast the ingester drains a backlog (its capacity).
//
// Mosquitto 2.0 drops any packet for a client whose outgoing queue already holds max_queued_messages
// (default 1000) packets; the ingester stops reading while its InfluxDB writer is backed up, so a
// publisher that outpaces the ingester for long enough fills that queue. Dropped QoS 0 samples are
// gone; a dropped QoS 1 record stays in flight in the session and only comes when the ingester
// connects again. Both show here: the count falls short, Mosquitto's $SYS dropped counter is reported,
// and on a shortfall the ingester is restarted with the same client id to see which records come back.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connect, type MqttClient } from 'mqtt';
import { freePort, startInfluxd, type Influxd } from '../testing/influxd.js';
import { requireCommand } from '../testing/require-command.js';

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '600000' },
    batch: { type: 'string', default: '500' },
    records: { type: 'string', default: '20' },
    rate: { type: 'string', default: '40000' },
    case: { type: 'string', default: 'both' },
    'max-queued': { type: 'string' },
    'stall-s': { type: 'string', default: '20' },
    repeat: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(`node tools/dist/perf-mqtt/main.js [options]
  --samples N      interval samples per repeat (default 600000)
  --batch N        samples per intervals message, QoS 0 (default 500)
  --records N      RunRecords per repeat, QoS 1, spread among the intervals (default 20)
  --rate N         the sustained case publishes N samples/s (default 40000)
  --case C         sustained, burst or both (default both)
  --max-queued N   the sustained case's Mosquitto max_queued_messages (default: Mosquitto's own, 1000)
  --stall-s S      give up when the InfluxDB count has not moved for S seconds after the last publish (default 20)
  --repeat N       repeats per case; the figure is their median (default 3)
  --json           print the results as JSON
Exit status 1 when any repeat lost a point.`);
  process.exit(0);
}
const SAMPLES = positive('samples');
const BATCH = positive('batch');
const RECORDS = Number(values.records);
const RATE = positive('rate');
const REPEAT = positive('repeat');
const STALL_MS = Number(values['stall-s']) * 1000;
const MAX_QUEUED = values['max-queued'] === undefined ? null : positive('max-queued');
if (BATCH > 10_000) fail('--batch is at most 10000 (the intervals payload limit)');
if (!Number.isInteger(RECORDS) || RECORDS < 0) fail('--records must be 0 or more');
if (!['both', 'sustained', 'burst'].includes(values.case!)) fail('--case is sustained, burst or both');
if (!Number.isFinite(STALL_MS) || STALL_MS <= 0) fail('--stall-s must be positive');
const TARGET = 20_000;
const cli = fileURLToPath(new URL('../../../apps/cli/dist/main.js', import.meta.url));
const log = (line: string) => process.stderr.write(`perf-mqtt: ${line}\n`);

function positive(name: string): number {
  const n = Number(values[name as keyof typeof values]);
  if (!Number.isInteger(n) || n <= 0) fail(`--${name} must be a positive integer`);
  return n;
}
function fail(message: string): never {
  process.stderr.write(`perf-mqtt: ${message}\n`);
  process.exit(2);
}

// ---------------------------------------------------------------- a broker

interface Broker {
  url: string;
  version: string;
  /** max_queued_messages, null: Mosquitto's default (1000). */
  maxQueued: number | null;
  stop(): Promise<void>;
}

/** Mosquitto on a free port: anonymous, no persistence file, $SYS every second (for the dropped-message counter). */
async function startBroker(maxQueued: number | null): Promise<Broker> {
  const bin = requireCommand('mosquitto', 'mosquitto');
  const dir = await mkdtemp(join(tmpdir(), 'espbench-perf-mqtt-broker-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  await writeFile(
    conf,
    [
      // Started as root, Mosquitto would drop to user "mosquitto".
      `user ${userInfo().username}`,
      'persistence false',
      'sys_interval 1',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      ...(maxQueued !== null ? [`max_queued_messages ${maxQueued}`] : []),
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      '',
    ].join('\n'),
  );
  const child = spawn(bin, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-10_000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const url = `mqtt://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}: ${output}`);
    const probe = connect(url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 1000 });
    const ok = await new Promise<boolean>((resolve) => {
      probe.once('connect', () => resolve(true));
      probe.once('error', () => resolve(false));
      probe.once('close', () => resolve(false));
    });
    probe.end(true);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`mosquitto did not accept connections: ${output}`);
    await sleep(100);
  }
  const version = await new Promise<string>((resolve) => {
    const c = spawn(bin, ['-h'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    c.stdout.on('data', (d: Buffer) => (text += d.toString()));
    c.on('close', () => resolve(/mosquitto version [\d.]+/.exec(text)?.[0] ?? 'mosquitto'));
  });
  return {
    url,
    version,
    maxQueued,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------- payloads, built before the clock starts

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const SAMPLES_PER_RUN = 20_000;

/** Intervals messages: runs of SAMPLES_PER_RUN one-second samples on four rigs, `batch` samples per message. */
function intervalMessages(name: string): { topic: string; payload: Buffer; samples: number }[] {
  const out: { topic: string; payload: Buffer; samples: number }[] = [];
  for (let done = 0; done < SAMPLES; ) {
    const run = Math.floor(done / SAMPLES_PER_RUN);
    const rig = `perf-rig-${run % 4}`;
    const runId = `perf-${name}-live-${run}`;
    const inRun = done % SAMPLES_PER_RUN;
    const n = Math.min(BATCH, SAMPLES - done, SAMPLES_PER_RUN - inRun);
    const startedAt = new Date(T0 + run * 86_400_000).toISOString();
    const payload = {
      v: 1,
      rig,
      runId,
      device: '/dev/ttyACM0',
      chip: 'esp32c3',
      labels: { rig, ref: 'perf' },
      hostname: `${rig}-host`,
      samples: Array.from({ length: n }, (_, i) => ({
        scenario: 'wifi-tcp-upload',
        iteration: 1,
        startedAt,
        interval: { t: inRun + i + 1, bytes: 990_000 + ((inRun + i) % 20_000) },
        previousT: inRun + i,
      })),
    };
    out.push({ topic: `espbench/v1/rigs/${rig}/runs/${runId}/intervals`, payload: Buffer.from(JSON.stringify(payload)), samples: n });
    done += n;
  }
  return out;
}

const RECORD_INTERVALS = 60;
/** Points one record makes: the run, three results, their intervals. */
const RECORD_POINTS = 1 + 3 + 3 * RECORD_INTERVALS;

function recordMessages(name: string): { topic: string; payload: Buffer }[] {
  return Array.from({ length: RECORDS }, (_, k) => {
    const rig = `perf-rig-${k % 4}`;
    const runId = `perf-${name}-rec-${k}`;
    const start = T0 - (k + 1) * 3_600_000;
    const iso = (ms: number) => new Date(ms).toISOString();
    const results = ['wifi-tcp-download', 'wifi-tcp-upload', 'wifi-tcp-updown'].map((scenario, j) => {
      const s = start + j * (RECORD_INTERVALS + 5) * 1000;
      return {
        scenario,
        iteration: 1,
        status: 'ok',
        failure: null,
        deviceKiBps: 976,
        hostKiBps: 975.5 + j,
        bytes: 1_000_000 * RECORD_INTERVALS,
        durationS: RECORD_INTERVALS,
        startedAt: iso(s),
        endedAt: iso(s + RECORD_INTERVALS * 1000),
        hostTxBytes: 0,
        hostRxBytes: 0,
        intervals: Array.from({ length: RECORD_INTERVALS }, (_, i) => ({ t: i + 1, bytes: 999_000 + i })),
      };
    });
    const record = {
      version: 1,
      runId,
      startedAt: iso(start),
      endedAt: iso(start + 3 * (RECORD_INTERVALS + 5) * 1000),
      status: 'ok',
      error: null,
      device: { uri: '/dev/ttyACM1', chip: 'esp32c6', ip: null, resetReason: null },
      labels: { rig, ref: 'perf' },
      host: { hostname: `${rig}-host`, platform: 'linux', espbenchVersion: '0.0.0', listen: '0.0.0.0', portBase: 4321 },
      testDurationS: RECORD_INTERVALS,
      iterations: 1,
      results,
      log: [],
    };
    return { topic: `espbench/v1/rigs/${rig}/runs/${runId}/record`, payload: Buffer.from(JSON.stringify({ v: 1, rig, commandId: null, record })) };
  });
}

// ---------------------------------------------------------------- one repeat

interface Ingest {
  child: ChildProcess;
  stderr(): string;
  exited: Promise<{ code: number | null; stdout: string }>;
}

function startIngest(broker: Broker, influxd: Influxd, db: string, results: string, n: string): Promise<Ingest> {
  const args = [cli, 'ingest', '--mqtt', broker.url, '--influx', influxd.url, '--influx-db', db, '--results', results, '--client-id', `perf-ingest-${n}`, '--group', `perf-${n}`, '--json'];
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('ESPBENCH_')) delete env[k];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<{ code: number | null; stdout: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout })));
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-20_000);
      if (/ connected to /.test(stderr)) resolve({ child, stderr: () => stderr, exited });
    });
    void exited.then(({ code }) => reject(new Error(`espbench ingest exited ${code} before connecting: ${stderr}`)));
  });
}

/** SIGTERM, and the stats line `espbench ingest --json` prints. */
async function stopIngest(ingest: Ingest): Promise<{ code: number | null; stats: Record<string, unknown> | null }> {
  ingest.child.kill('SIGTERM');
  const { code, stdout } = await ingest.exited;
  try {
    return { code, stats: JSON.parse(stdout.trim().split('\n').pop() ?? '') as Record<string, unknown> };
  } catch {
    log(`espbench ingest printed no stats (exit ${code}): ${ingest.stderr().slice(-2000)}`);
    return { code, stats: null };
  }
}

interface Counts {
  intervals: number;
  results: number;
  runs: number;
}

async function count(influxd: Influxd, db: string): Promise<Counts> {
  const res = await influxd.query('SELECT count("bytes") FROM "espbench_interval"; SELECT count("iteration") FROM "espbench_result"; SELECT count("iterations") FROM "espbench_run"', db);
  const n = (i: number) => (res.results[i]?.series?.[0]?.values[0]?.[1] as number | undefined) ?? 0;
  return { intervals: n(0), results: n(1), runs: n(2) };
}

const same = (a: Counts, b: Counts) => a.intervals === b.intervals && a.results === b.results && a.runs === b.runs;

async function publisher(url: string, id: string): Promise<MqttClient> {
  const client = connect(url, { protocolVersion: 5, clientId: id, clean: true, reconnectPeriod: 0 });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return client;
}

/** Mosquitto's count of dropped messages ($SYS, published every second). */
async function droppedCounter(url: string): Promise<{ value(): number | null; close(): void }> {
  const client = await publisher(url, `perf-sys-${process.pid}`);
  let value: number | null = null;
  client.on('message', (_t, payload) => (value = Number(payload.toString())));
  await client.subscribeAsync('$SYS/broker/publish/messages/dropped');
  return { value: () => value, close: () => client.end(true) };
}

interface RepeatResult {
  /** From the first publish until the broker had taken the last message (and acknowledged every record). */
  publishS: number;
  /** From the first publish until InfluxDB counted every point; null when it never did. */
  seconds: number | null;
  samplesPerS: number | null;
  counted: Counts;
  lostSamples: number;
  lostRecords: number;
  /** Mosquitto's dropped-message counter over this repeat. */
  brokerDropped: number | null;
  /** On a shortfall: records in InfluxDB after the ingester connected again with the same client id. */
  recordsAfterReconnect: number | null;
  ingester: Record<string, unknown> | null;
  ingestExit: number | null;
}

async function once(name: string, rate: number, broker: Broker, influxd: Influxd, dropped: { value(): number | null }): Promise<RepeatResult> {
  const db = `perf_${name.replace(/-/g, '_')}`;
  await influxd.query(`CREATE DATABASE "${db}"`);
  const results = await mkdtemp(join(tmpdir(), 'espbench-perf-mqtt-'));
  const intervals = intervalMessages(name);
  const records = recordMessages(name);
  const want: Counts = { intervals: SAMPLES + RECORDS * 3 * RECORD_INTERVALS, results: RECORDS * 3, runs: RECORDS };
  const wantTotal = want.intervals + want.results + want.runs;
  let ingest = await startIngest(broker, influxd, db, results, name);
  const pub = await publisher(broker.url, `perf-rig-${name}`);
  await sleep(1500); // a $SYS tick: the dropped counter's value before this repeat
  const droppedBefore = dropped.value() ?? 0;
  try {
    const every = RECORDS ? Math.max(1, Math.floor(intervals.length / RECORDS)) : Infinity;
    const acks: Promise<unknown>[] = [];
    let nextRecord = 0;
    let sent = 0;
    const started = performance.now();
    for (const [i, m] of intervals.entries()) {
      if (nextRecord < records.length && i % every === 0) {
        const r = records[nextRecord++]!;
        acks.push(pub.publishAsync(r.topic, r.payload, { qos: 1 }));
      }
      // QoS 0: resolves once mqtt.js has written it to the socket (it waits for drain): the broker's pace.
      await pub.publishAsync(m.topic, m.payload, { qos: 0 });
      sent += m.samples;
      if (rate > 0) {
        const due = (sent / rate) * 1000 - (performance.now() - started);
        if (due > 0) await sleep(due);
      }
    }
    while (nextRecord < records.length) {
      const r = records[nextRecord++]!;
      acks.push(pub.publishAsync(r.topic, r.payload, { qos: 1 }));
    }
    await Promise.all(acks);
    const publishS = (performance.now() - started) / 1000;

    // Until every point is counted, or the count stops moving.
    let last = await count(influxd, db);
    let lastChange = performance.now();
    let seconds: number | null = null;
    for (;;) {
      if (same(last, want)) {
        seconds = (performance.now() - started) / 1000;
        break;
      }
      if (last.intervals > want.intervals) throw new Error(`more interval points than published: ${last.intervals} > ${want.intervals}`);
      if (performance.now() - lastChange > STALL_MS) break;
      const total = last.intervals + last.results + last.runs;
      // Counting costs the database CPU that the ingester's writes need: seldom until the end is near.
      await sleep(total > 0.9 * wantTotal ? 100 : 1000);
      const now = await count(influxd, db);
      if (!same(now, last)) lastChange = performance.now();
      last = now;
    }
    await sleep(1200); // the last $SYS tick
    const brokerDropped = dropped.value() === null ? null : dropped.value()! - droppedBefore;
    const stopped = await stopIngest(ingest);

    // A shortfall: which records were only held up in the broker (in flight in the session)?
    let recordsAfterReconnect: number | null = null;
    if (last.runs < want.runs) {
      ingest = await startIngest(broker, influxd, db, results, name);
      let before = await count(influxd, db);
      for (let quiet = 0; quiet < 3; ) {
        await sleep(1000);
        const now = await count(influxd, db);
        quiet = same(now, before) ? quiet + 1 : 0;
        before = now;
      }
      await stopIngest(ingest);
      recordsAfterReconnect = before.runs;
    }
    return {
      publishS: round(publishS, 3),
      seconds: seconds === null ? null : round(seconds, 3),
      samplesPerS: seconds === null ? null : Math.round(SAMPLES / seconds),
      counted: last,
      lostSamples: SAMPLES - (last.intervals - last.runs * 3 * RECORD_INTERVALS),
      lostRecords: want.runs - last.runs,
      brokerDropped,
      recordsAfterReconnect,
      ingester: stopped.stats,
      ingestExit: stopped.code,
    };
  } finally {
    pub.end(true);
    if (ingest.child.exitCode === null && ingest.child.signalCode === null) {
      ingest.child.kill('SIGKILL');
      await ingest.exited;
    }
    await rm(results, { recursive: true, force: true });
    await influxd.query(`DROP DATABASE "${db}"`).catch(() => {});
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// ---------------------------------------------------------------- main

interface Case {
  name: 'sustained' | 'burst';
  /** Samples/s offered; 0: all at once. */
  rate: number;
  maxQueued: number | null;
}
const messages = Math.ceil(SAMPLES / BATCH) + Math.ceil(SAMPLES / SAMPLES_PER_RUN);
const cases: Case[] = [];
if (values.case !== 'burst') cases.push({ name: 'sustained', rate: RATE, maxQueued: MAX_QUEUED });
// Room for the whole burst (messages and records), so this case measures the ingester, not the queue.
if (values.case !== 'sustained') cases.push({ name: 'burst', rate: 0, maxQueued: Math.max(1000, messages + RECORDS + 1000) });

const influxd = await startInfluxd();
const out: { case: string; rate: number | 'all at once'; maxQueuedMessages: number | 'mosquitto default (1000)'; broker: string; runs: RepeatResult[]; medianSamplesPerS: number | null; zeroLoss: boolean }[] = [];
try {
  for (const c of cases) {
    const broker = await startBroker(c.maxQueued);
    const dropped = await droppedCounter(broker.url);
    const runs: RepeatResult[] = [];
    try {
      for (let i = 1; i <= REPEAT; i++) {
        const r = await once(`${c.name}-${i}`, c.rate, broker, influxd, dropped);
        runs.push(r);
        const fig = r.samplesPerS === null ? 'did not finish' : `${r.samplesPerS} samples/s (${r.seconds} s; published in ${r.publishS} s)`;
        log(
          `${c.name} ${i}/${REPEAT}: ${fig}; lost ${r.lostSamples} samples and ${r.lostRecords} records; Mosquitto dropped ${r.brokerDropped ?? '?'} messages` +
            (r.recordsAfterReconnect !== null ? `; ${r.recordsAfterReconnect}/${RECORDS} records in InfluxDB after the ingester connected again` : ''),
        );
      }
    } finally {
      dropped.close();
      await broker.stop();
    }
    const zeroLoss = runs.every((r) => r.seconds !== null && r.lostSamples === 0 && r.lostRecords === 0);
    out.push({
      case: c.name,
      rate: c.rate || 'all at once',
      maxQueuedMessages: c.maxQueued ?? 'mosquitto default (1000)',
      broker: broker.version,
      runs,
      medianSamplesPerS: zeroLoss ? median(runs.map((r) => r.samplesPerS!)) : null,
      zeroLoss,
    });
  }
} finally {
  await influxd.dispose();
}

const sustained = out.find((o) => o.case === 'sustained');
const met = sustained ? sustained.zeroLoss && (sustained.medianSamplesPerS ?? 0) >= TARGET : null;
const setup = { samples: SAMPLES, batch: BATCH, records: RECORDS, repeat: REPEAT, cpus: cpus().length, node: process.version };
if (values.json) {
  console.log(JSON.stringify({ ...setup, cases: out, target: TARGET, met }, null, 2));
} else {
  console.log(`\nespbench ingest, end to end: ${SAMPLES} interval samples (messages of ${BATCH}, QoS 0) and ${RECORDS} records (QoS 1)`);
  console.log(`through ${out[0]?.broker ?? 'mosquitto'} into a local InfluxDB, ${cpus().length} CPUs, median of ${REPEAT}:`);
  console.log('case        offered/s   broker queue   samples/s (each repeat)            lost');
  for (const o of out) {
    const each = o.runs.map((r) => (r.samplesPerS === null ? '-' : String(r.samplesPerS))).join(' / ');
    const lost = o.runs.reduce((a, r) => a + r.lostSamples, 0);
    const queue = o.maxQueuedMessages === 'mosquitto default (1000)' ? 'default 1000' : String(o.maxQueuedMessages);
    console.log(`${o.case.padEnd(10)} ${String(o.rate).padStart(11)} ${queue.padStart(14)}   ${String(o.medianSamplesPerS ?? 'LOSS').padStart(6)} (${each})`.padEnd(74) + ` ${lost}`);
  }
  if (sustained) {
    console.log(`target >= ${TARGET} samples/s with zero loss (sustained case, Mosquitto's default queue): ${met ? 'met' : 'NOT met'}`);
  }
}
process.exitCode = out.every((o) => o.zeroLoss) ? 0 : 1;
