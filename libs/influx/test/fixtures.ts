import { RUN_RECORD_VERSION, type Result, type RunRecord } from '@espbench/schema';

/** Strings a board or a user can hand us, with every character line protocol treats specially. */
export const NASTY = 'My "lab", AP=1 \\ back\\slash\nnext line\ttab \'q\' end\\';

const T0 = Date.parse('2026-11-01T02:00:00.000Z');

function ok(scenario: Result['scenario'], iteration: number, startMs: number, kibps: number): Result {
  const intervals = [1, 2, 3].map((t) => ({ t: t + 0.001 * iteration, bytes: Math.round(kibps * 1024) }));
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
    intervals,
  };
}

/** A two-round run whose second round panics during upload (so updown is not run). */
export function sampleRecord(runId = 'run-a', labels: Record<string, string> = { ref: 'v1.0.0', rig: 'lab-1', ssid: NASTY }): RunRecord {
  const panicAt = T0 + 30_000 + 8000;
  return {
    version: RUN_RECORD_VERSION,
    runId,
    startedAt: new Date(T0).toISOString(),
    endedAt: new Date(T0 + 60_000).toISOString(),
    status: 'failed',
    error: '2 of 6 results failed; see each result\'s failure',
    device: { uri: 'sim:esp32c3?rate=1000000', chip: 'esp32c3', ip: '127.0.0.2', resetReason: null },
    labels,
    host: { hostname: 'host-1', platform: 'linux', espbenchVersion: '0.1.0', listen: '0.0.0.0', portBase: 4321 },
    testDurationS: 3,
    iterations: 2,
    results: [
      ok('wifi-tcp-download', 1, T0 + 1000, 970.5),
      ok('wifi-tcp-upload', 1, T0 + 6000, 980.25),
      ok('wifi-tcp-updown', 1, T0 + 11000, 480.125),
      ok('wifi-tcp-download', 2, T0 + 30000, 965),
      {
        ...ok('wifi-tcp-upload', 2, T0 + 35000, 0),
        status: 'failed',
        hostKiBps: null,
        deviceKiBps: null,
        bytes: 0,
        durationS: 0,
        intervals: [],
        endedAt: new Date(panicAt).toISOString(),
        failure: {
          kind: 'panic',
          message: 'board panicked: ' + NASTY,
          panic: { message: NASTY, location: 'src/bin/wifi.rs:42:5', backtrace: ['0x42000000', '0x42000010'] },
        },
      },
      {
        ...ok('wifi-tcp-updown', 2, panicAt, 0),
        status: 'failed',
        hostKiBps: null,
        deviceKiBps: null,
        bytes: 0,
        durationS: 0,
        intervals: [],
        startedAt: new Date(panicAt).toISOString(),
        endedAt: new Date(panicAt).toISOString(),
        failure: { kind: 'not-run', message: 'not run: board panicked' },
      },
    ],
    log: [],
  };
}
