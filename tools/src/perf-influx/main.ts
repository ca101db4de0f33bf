// Benchmark: how fast `espbench publish` gets points into a real local InfluxDB (Debian influxd),
// batched (the default 5000 points per gzipped request) against one point per request.
// Run with `npm run perf` or alone after a build:
//   node tools/dist/perf-influx/main.js [--runs 100] [--intervals 600] [--repeat 3] [--json]
// Each stored run has 3 results of `intervals` one-second samples: 1 + 3 + 3 x intervals points.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startInfluxd, type Influxd } from '../testing/influxd.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '100' },
    intervals: { type: 'string', default: '600' },
    repeat: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});
const cli = fileURLToPath(new URL('../../../apps/cli/dist/main.js', import.meta.url));

interface Publish {
  written: number;
  requests: number;
  seconds: number;
}

/** A store of `runs` synthetic but valid RunRecords, an hour apart. */
function makeStore(runs: number, intervals: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'espbench-perf-influx-'));
  mkdirSync(dir, { recursive: true });
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  for (let i = 0; i < runs; i++) {
    const start = t0 + i * 3_600_000;
    const iso = (ms: number) => new Date(ms).toISOString();
    const results = ['wifi-tcp-download', 'wifi-tcp-upload', 'wifi-tcp-updown'].map((scenario, k) => {
      const s = start + k * (intervals + 5) * 1000;
      return {
        scenario,
        iteration: 1,
        status: 'ok',
        failure: null,
        deviceKiBps: 976,
        hostKiBps: 975.5 + k,
        bytes: 1_000_000 * intervals,
        durationS: intervals,
        startedAt: iso(s),
        endedAt: iso(s + intervals * 1000),
        hostTxBytes: 0,
        hostRxBytes: 0,
        intervals: Array.from({ length: intervals }, (_, j) => ({ t: j + 1, bytes: 999_000 + ((j * 7919) % 2000) })),
      };
    });
    const runId = `perf-${String(i).padStart(5, '0')}`;
    const record = {
      version: 1,
      runId,
      startedAt: iso(start),
      endedAt: iso(start + 3 * (intervals + 5) * 1000),
      status: 'ok',
      error: null,
      device: { uri: 'sim:esp32c3', chip: 'esp32c3', ip: null, resetReason: null },
      labels: { ref: 'perf', rig: 'perf' },
      host: { hostname: 'perf', platform: 'linux', espbenchVersion: '0.0.0', listen: '127.0.0.1', portBase: 0 },
      testDurationS: intervals,
      iterations: 1,
      results,
      log: [],
    };
    writeFileSync(join(dir, `${runId}.json`), JSON.stringify(record));
  }
  return dir;
}

async function publish(store: string, influxd: Influxd, db: string, extra: string[]): Promise<Publish> {
  await influxd.query(`CREATE DATABASE "${db}"`);
  const args = [cli, 'publish', '--all', '--json', '--results', store, '--influx', influxd.url, '--influx-db', db, ...extra];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code: number = await new Promise((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  if (code !== 0) throw new Error(`espbench publish exited ${code}: ${out}`);
  const r = JSON.parse(out) as Publish & { rejected: number; spooled: number };
  if (r.rejected || r.spooled) throw new Error(`publish left ${r.spooled} spooled and ${r.rejected} refused points`);
  return r;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const runs = Number(values.runs);
const intervals = Number(values.intervals);
const repeat = Number(values.repeat);
const influxd = await startInfluxd();
const bigStore = makeStore(runs, intervals);
// One point per request is ~1000x slower: a store small enough to finish in seconds.
const smallStore = makeStore(2, 300);
let db = 0;
try {
  const cases = [
    { name: 'batched 5000, gzip', store: bigStore, extra: [] as string[] },
    { name: 'batched 5000, no gzip', store: bigStore, extra: ['--no-influx-gzip'] },
    { name: 'one point per request', store: smallStore, extra: ['--influx-batch-size', '1', '--no-influx-gzip'] },
  ];
  const rows: { case: string; points: number; requests: number; pointsPerS: number; runs: number[] }[] = [];
  for (const c of cases) {
    const rates: number[] = [];
    let last: Publish | null = null;
    for (let i = 0; i < repeat; i++) {
      last = await publish(c.store, influxd, `perf${++db}`, c.extra);
      rates.push(last.written / last.seconds);
    }
    rows.push({ case: c.name, points: last!.written, requests: last!.requests, pointsPerS: Math.round(median(rates)), runs: rates.map(Math.round) });
  }
  const version = execFileSync('influxd', ['version'], { encoding: 'utf8' }).trim();
  if (values.json) {
    console.log(JSON.stringify({ influxd: version, cpus: cpus().length, rows }, null, 2));
  } else {
    console.log(`\nespbench publish into a local ${version} (${cpus().length} CPUs), median of ${repeat}:`);
    console.log('case                     points  requests   points/s');
    for (const r of rows) console.log(`${r.case.padEnd(23)} ${String(r.points).padStart(7)} ${String(r.requests).padStart(9)} ${String(r.pointsPerS).padStart(10)}`);
    const batched = rows[0]!.pointsPerS;
    const single = rows[2]!.pointsPerS;
    console.log(`batched is ${(batched / single).toFixed(0)}x one point per request; target >= 50000 points/s: ${batched >= 50_000 ? 'met' : 'NOT met'}`);
  }
} finally {
  await influxd.dispose();
  rmSync(bigStore, { recursive: true, force: true });
  rmSync(smallStore, { recursive: true, force: true });
}
