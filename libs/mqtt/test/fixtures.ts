import { RUN_RECORD_VERSION, type Result, type RunRecord } from '@espbench/schema';
import { pointsForRecord } from '@espbench/influx';
import { PAYLOAD_VERSION, type RunIntervals, type RunRecordMessage } from '../src/index.js';

const T0 = Date.parse('2026-11-01T02:00:00.000Z');

function result(scenario: Result['scenario'], iteration: number, startMs: number, kibps: number): Result {
  return {
    scenario,
    iteration,
    status: 'ok',
    failure: null,
    deviceKiBps: Math.floor(kibps),
    hostKiBps: kibps,
    bytes: Math.round(kibps * 1024 * 3),
    durationS: 3,
    startedAt: new Date(startMs).toISOString(),
    endedAt: new Date(startMs + 3500).toISOString(),
    hostTxBytes: 0,
    hostRxBytes: 0,
    intervals: [1, 2, 3].map((t) => ({ t, bytes: Math.round(kibps * 1024) })),
  };
}

/** A one-round run of esp-hal's bench loop on `rig`, starting `n` minutes after T0 (distinct times per n). */
export function record(runId: string, rig: string, n = 0, chip = 'esp32c3'): RunRecord {
  const start = T0 + n * 60_000;
  return {
    version: RUN_RECORD_VERSION,
    runId,
    startedAt: new Date(start).toISOString(),
    endedAt: new Date(start + 20_000).toISOString(),
    status: 'ok',
    error: null,
    device: { uri: `sim:${chip}?rate=1000000`, chip, ip: '127.0.0.2', resetReason: null },
    labels: { rig, ref: 'v1.0.0' },
    host: { hostname: `${rig}-host`, platform: 'linux', espbenchVersion: '0.1.0', listen: '0.0.0.0', portBase: 4321 },
    testDurationS: 3,
    iterations: 1,
    results: [
      result('wifi-tcp-download', 1, start + 1000, 970.5 + n),
      result('wifi-tcp-upload', 1, start + 6000, 980.25 + n),
      result('wifi-tcp-updown', 1, start + 11000, 480.125 + n),
    ],
    log: [{ t: 0, line: 'ESP-ROM:esp32c3-api1-20210207' }],
  };
}

export function recordMessage(runId: string, rig: string, n = 0): RunRecordMessage {
  return { v: PAYLOAD_VERSION, rig, commandId: null, record: record(runId, rig, n) };
}

/** Points per measurement that pointsForRecord makes for these records. */
export function expectedCounts(records: RunRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of records.flatMap((r) => pointsForRecord(r))) out[p.measurement] = (out[p.measurement] ?? 0) + 1;
  return out;
}

/** Live samples of a run that never got a record (say, it is still running): `count` samples from T0 + n minutes. */
export function intervalsMessage(runId: string, rig: string, n: number, count: number, from = 0): RunIntervals {
  const startedAt = new Date(T0 + n * 60_000 + 1000).toISOString();
  return {
    v: PAYLOAD_VERSION,
    rig,
    runId,
    device: 'sim:esp32c6?rate=1000000',
    chip: 'esp32c6',
    labels: { rig, ref: 'live' },
    hostname: `${rig}-host`,
    samples: Array.from({ length: count }, (_, i) => ({
      scenario: 'wifi-tcp-upload' as const,
      iteration: 1,
      startedAt,
      interval: { t: (from + i + 1) * 0.5, bytes: 1000 + i },
      previousT: (from + i) * 0.5,
    })),
  };
}

export async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
