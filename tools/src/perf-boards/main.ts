// Benchmark: many simulated boards at once against one `espbench run`, each measured against the
// rate its simulator was given. Run with `npm run perf` (after the server benchmark) or alone:
//   node tools/dist/perf-boards/main.js [--boards 32] [--rate 1000000] [--duration 15] [--json]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface Result {
  scenario: string;
  status: string;
  hostKiBps: number | null;
  deviceKiBps: number | null;
}
interface RunRecord {
  status: string;
  error: string | null;
  device: { uri: string; ip: string | null };
  results: Result[];
}

const { values } = parseArgs({
  options: {
    boards: { type: 'string', default: '32' },
    rate: { type: 'string', default: '1000000' },
    duration: { type: 'string', default: '15' },
    json: { type: 'boolean', default: false },
  },
});
const boards = Number(values.boards);
const rate = Number(values.rate);
const duration = Number(values.duration);
const cli = fileURLToPath(new URL('../../../apps/cli/dist/main.js', import.meta.url));
const results = mkdtempSync(join(tmpdir(), 'espbench-perf-boards-'));

// Boot staggered over a few seconds so every simulator is up before the first test: the point is
// steady concurrent traffic, not 32 Node start-ups competing with the first measurement.
const devices = Array.from({ length: boards }, (_, i) => `sim:esp32c3?rate=${rate}&duration=${duration}&pause=1&boot=4&ip=127.0.1.${i + 1}`);
const args = [cli, 'run', '--quiet', '--json', '--listen', '127.0.0.1', '--port-base', '0', '--results', results, ...devices.flatMap((d) => ['--device', d])];

const started = Date.now();
const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
let out = '';
child.stdout.on('data', (d: Buffer) => (out += d.toString()));
const code: number = await new Promise((resolve) => child.on('close', (c) => resolve(c ?? 1)));
rmSync(results, { recursive: true, force: true });
if (!out.trim()) {
  console.error(`espbench run exited ${code} without output`);
  process.exit(1);
}
const records = JSON.parse(out) as RunRecord[];
const truth = rate / 1024;
const rows = ['wifi-tcp-download', 'wifi-tcp-upload', 'wifi-tcp-updown'].map((scenario) => {
  const errors = records.map((r) => {
    const x = r.results.find((y) => y.scenario === scenario);
    return x?.hostKiBps == null ? Infinity : (Math.abs(x.hostKiBps - truth) / truth) * 100;
  });
  const within = errors.filter((e) => e <= 1).length;
  return { scenario, boards: records.length, worstErrorPct: Math.max(...errors), within1Pct: within };
});
const failed = records.filter((r) => r.status !== 'ok');
const summary = { boards, rateBytesPerS: rate, durationS: duration, wallS: (Date.now() - started) / 1000, truthKiBps: truth, rows, failedRuns: failed.map((r) => `${r.device.uri}: ${r.error}`) };
if (values.json) {
  console.log(JSON.stringify(summary, null, 2));
} else {
  console.log(`\n${boards} simulated boards at ${rate} B/s (${truth.toFixed(1)} KiB/s), TEST_DURATION ${duration} s, one espbench run (${summary.wallS.toFixed(0)} s)`);
  console.log('scenario            boards  within 1%  worst error');
  for (const r of rows) console.log(`${r.scenario.padEnd(18)}  ${String(r.boards).padStart(6)}  ${String(r.within1Pct).padStart(9)}  ${r.worstErrorPct.toFixed(2).padStart(10)} %`);
  for (const f of summary.failedRuns) console.log(`failed: ${f}`);
}
process.exit(failed.length ? 1 : 0);
