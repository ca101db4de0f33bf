import type { Interval, Result, RunRecord, UpstreamScenario as Scenario } from '@espbench/schema';
import { UPSTREAM_SCENARIOS as SCENARIOS } from '@espbench/schema';
import { seededRandom } from '@espbench/stats';

export const HOSTILE = `<script>alert(1)</script> & "quoted" 'single'`;

/** Typical host KiB/s per chip x scenario. */
const RATES: Record<string, Record<Scenario, number>> = {
  esp32c3: { 'wifi-tcp-download': 2300, 'wifi-tcp-upload': 1900, 'wifi-tcp-updown': 1100 },
  esp32c6: { 'wifi-tcp-download': 2900, 'wifi-tcp-upload': 2500, 'wifi-tcp-updown': 1400 },
};

export interface RunSpec {
  runId: string;
  start: string;
  chip: string;
  ref: string;
  iterations: number;
  /** Multiplies the chip's rate per scenario (default 1). */
  scale?: Partial<Record<Scenario, number>>;
  labels?: Record<string, string>;
  /** Iteration whose upload fails with a reset after a few seconds. */
  failUploadAt?: number;
  seed: number;
}

const DURATION_S = 15;
const ROUND_S = 25;

/** A RunRecord shaped like the runner's: results every 25 s, 1 s interval samples plus a short tail. */
export function makeRun(spec: RunSpec): RunRecord {
  const rand = seededRandom(spec.seed);
  const t0 = Date.parse(spec.start);
  const results: Result[] = [];
  let slot = 0;
  for (let iteration = 1; iteration <= spec.iterations; iteration++) {
    for (const scenario of SCENARIOS) {
      const startMs = t0 + 2000 + slot++ * ROUND_S * 1000;
      const rate = RATES[spec.chip]![scenario] * (spec.scale?.[scenario] ?? 1) * (1 + (rand() - 0.5) * 0.04);
      const failed = scenario === 'wifi-tcp-upload' && iteration === spec.failUploadAt;
      const seconds = failed ? 4 : DURATION_S;
      const intervals: Interval[] = [];
      let bytes = 0;
      for (let s = 1; s <= seconds; s++) {
        const t = Math.round((s + rand() * 0.004) * 1000) / 1000;
        const b = Math.round(rate * 1024 * (1 + (rand() - 0.5) * 0.1) * (t - (intervals.at(-1)?.t ?? 0)));
        intervals.push({ t, bytes: b });
        bytes += b;
      }
      if (!failed) intervals.push({ t: seconds + 0.006, bytes: 0 });
      const durationS = intervals.at(-1)!.t;
      results.push({
        scenario,
        iteration,
        status: failed ? 'failed' : 'ok',
        failure: failed ? { kind: 'reset', message: 'board reset during the test', resetReason: 'SW_CPU_RESET' } : null,
        deviceKiBps: failed ? null : Math.floor(rate),
        hostKiBps: failed ? null : Math.round((bytes / 1024 / durationS) * 100) / 100,
        bytes,
        durationS,
        startedAt: new Date(startMs).toISOString(),
        endedAt: new Date(startMs + durationS * 1000).toISOString(),
        hostTxBytes: scenario === 'wifi-tcp-upload' ? 0 : bytes,
        hostRxBytes: scenario === 'wifi-tcp-download' ? 0 : bytes,
        intervals,
      });
    }
  }
  const end = results.at(-1)!.endedAt;
  return {
    version: 1,
    runId: spec.runId,
    startedAt: new Date(t0).toISOString(),
    endedAt: end,
    status: spec.failUploadAt ? 'failed' : 'ok',
    error: spec.failUploadAt ? 'a result failed' : null,
    device: { uri: `sim:${spec.chip}?rate=${RATES[spec.chip]!['wifi-tcp-download'] * 1024}&duration=${DURATION_S}`, chip: spec.chip, ip: '127.0.0.2', resetReason: 'POWERON' },
    labels: { ref: spec.ref, rig: 'lab-1', ...spec.labels },
    host: { hostname: 'bench-host', platform: 'linux', espbenchVersion: '0.1.0', listen: '0.0.0.0', portBase: 4321 },
    testDurationS: DURATION_S,
    iterations: spec.iterations,
    results,
    log: [],
  };
}

/**
 * Two refs x two chips, two runs each of three iterations on different days: v1.1.0 is 10% slower on
 * esp32c3 download and 8% faster on esp32c6 upload; one v1.1.0 upload fails; one run has a hostile label.
 */
export function twoRefs(): RunRecord[] {
  const runs: RunRecord[] = [];
  let seed = 1;
  const days = ['2026-11-10', '2026-11-11', '2026-11-17', '2026-11-18'];
  for (const [r, ref] of ['v1.0.0', 'v1.1.0'].entries()) {
    for (const [c, chip] of ['esp32c3', 'esp32c6'].entries()) {
      for (let k = 0; k < 2; k++) {
        const day = days[r * 2 + k]!;
        const start = `${day}T0${2 + c}:00:00.000Z`;
        runs.push(
          makeRun({
            runId: `${day.replace(/-/g, '')}-0${2 + c}0000-${ref.replace(/\./g, '')}${chip.slice(-2)}`,
            start,
            chip,
            ref,
            iterations: 3,
            seed: seed++,
            scale: ref === 'v1.1.0' ? (chip === 'esp32c3' ? { 'wifi-tcp-download': 0.9 } : { 'wifi-tcp-upload': 1.08 }) : {},
            labels: ref === 'v1.1.0' && chip === 'esp32c3' && k === 1 ? { note: HOSTILE } : {},
            failUploadAt: ref === 'v1.1.0' && chip === 'esp32c6' && k === 0 ? 2 : undefined,
          }),
        );
      }
    }
  }
  return runs;
}

/**
 * The records with the device under test's RSSI and channel in each result's board report
 * (`boards[0].details`), as protocol-v1 firmware and ESP-IDF iperf runs record them, except the
 * runs `skip` names (esp-hal's bench loop reports none). RSSI falls with the run and the iteration.
 */
export function withRssi(records: RunRecord[], skip: (r: RunRecord) => boolean = () => false): RunRecord[] {
  return records.map((run, k) =>
    skip(run)
      ? run
      : {
          ...run,
          results: run.results.map((r) => ({
            ...r,
            boards: [{ uri: run.device.uri, role: 'receiver', bleRole: null, bytes: r.bytes, ms: Math.round(r.durationS * 1000), kibps: r.hostKiBps ?? 0, details: { rssi: -42 - (k % 4) * 6 - r.iteration * 2, channel: 6 } }],
          })),
        },
  );
}
