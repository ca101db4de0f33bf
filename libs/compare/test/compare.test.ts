import { InfluxWriter, pointsForRecord } from '@espbench/influx';
import { RUN_RECORD_VERSION, type Result, type RunRecord } from '@espbench/schema';
import { startInfluxd, type Influxd } from '@espbench/tools/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRuns, compareRuns, parseSelector, samplesFromInflux, samplesFromRecords } from '../src/index.js';

const SCENARIOS = ['wifi-tcp-download', 'wifi-tcp-upload', 'wifi-tcp-updown'] as const;
let seq = 0;

/** A run of `kibps` per scenario with a little spread; `fail` fails that scenario's first result. */
function run(labels: Record<string, string>, chip: string, kibps: number, at: number, fail?: (typeof SCENARIOS)[number]): RunRecord {
  const n = ++seq;
  const results: Result[] = SCENARIOS.map((scenario, k) => {
    const failed = scenario === fail;
    const start = at + k * 10_000;
    return {
      scenario,
      iteration: 1,
      status: failed ? 'failed' : 'ok',
      failure: failed ? { kind: 'reset', message: 'board reset (SW_CPU_RESET)', resetReason: 'SW_CPU_RESET' } : null,
      deviceKiBps: failed ? null : Math.floor(kibps),
      hostKiBps: failed ? null : kibps + ((n * 7 + k * 3) % 5) * 0.2,
      bytes: 0,
      durationS: 2,
      startedAt: new Date(start).toISOString(),
      endedAt: new Date(start + 2000).toISOString(),
      hostTxBytes: 0,
      hostRxBytes: 0,
      intervals: [],
    };
  });
  if (fail) {
    // A reset fails the test it hit and marks the rest of the round not run.
    const i = SCENARIOS.indexOf(fail);
    for (let k = i + 1; k < results.length; k++) results[k] = { ...results[k]!, status: 'failed', hostKiBps: null, deviceKiBps: null, failure: { kind: 'not-run', message: 'not run' } };
  }
  return {
    version: RUN_RECORD_VERSION,
    runId: `r${String(n).padStart(4, '0')}`,
    startedAt: new Date(at).toISOString(),
    endedAt: new Date(at + 40_000).toISOString(),
    status: fail ? 'failed' : 'ok',
    error: null,
    device: { uri: `sim:${chip}`, chip, ip: null, resetReason: null },
    labels,
    host: { hostname: 'h', platform: 'linux', espbenchVersion: '0', listen: '0.0.0.0', portBase: 4321 },
    testDurationS: 2,
    iterations: 1,
    results,
    log: [],
  };
}

const DAY = 86_400_000;
const T0 = Date.parse('2026-10-01T02:00:00Z');
const records: RunRecord[] = [];
for (let i = 0; i < 5; i++) records.push(run({ ref: 'v1.0.0', rig: 'lab' }, 'esp32c3', 976, T0 + i * DAY));
records.push(run({ ref: 'v1.0.0', rig: 'lab' }, 'esp32c3', 976, T0 + 5 * DAY, 'wifi-tcp-upload'));
for (let i = 0; i < 5; i++) records.push(run({ ref: 'v1.1.0', rig: 'lab' }, 'esp32c3', 878, T0 + (6 + i) * DAY));
for (let i = 0; i < 5; i++) records.push(run({ ref: 'v1.0.0', rig: 'lab' }, 'esp32c6', 1200, T0 + i * DAY + 1000));
for (let i = 0; i < 5; i++) records.push(run({ ref: 'v1.1.0', rig: 'lab' }, 'esp32c6', 1201, T0 + (6 + i) * DAY + 1000));

describe('compareRuns', () => {
  it('per chip x scenario: slower where it dropped 10%, same where it did not; failures counted, not-run ignored', () => {
    const rows = compareRuns(samplesFromRecords(records, { ref: 'v1.0.0' }), samplesFromRecords(records, { ref: 'v1.1.0' }));
    expect(rows.map((r) => `${r.chip} ${r.scenario} ${r.verdict}`)).toEqual([
      'esp32c3 wifi-tcp-download slower',
      'esp32c3 wifi-tcp-updown slower',
      'esp32c3 wifi-tcp-upload slower',
      'esp32c6 wifi-tcp-download same',
      'esp32c6 wifi-tcp-updown same',
      'esp32c6 wifi-tcp-upload same',
    ]);
    const upload = rows.find((r) => r.chip === 'esp32c3' && r.scenario === 'wifi-tcp-upload')!;
    expect(upload.failed).toEqual({ baseline: 1, candidate: 0 });
    expect(upload.baseline.n).toBe(5); // the failed one is not in the statistics
    const updown = rows.find((r) => r.chip === 'esp32c3' && r.scenario === 'wifi-tcp-updown')!;
    expect(updown.failed.baseline).toBe(1); // not run because upload failed: counted with the failures
    expect(updown.baseline.n).toBe(5);
  });

  it('filters by chip and scenario and by any label', () => {
    const rows = compareRuns(
      samplesFromRecords(records, parseSelector(['ref=v1.0.0', 'rig=lab'], '--baseline'), { chips: ['esp32c6'], scenarios: ['wifi-tcp-upload'] }),
      samplesFromRecords(records, { ref: 'v1.1.0' }, { chips: ['esp32c6'], scenarios: ['wifi-tcp-upload'] }),
    );
    expect(rows).toHaveLength(1);
    expect(samplesFromRecords(records, { ref: 'v1.0.0', rig: 'elsewhere' })).toEqual([]);
    expect(() => parseSelector([], '--baseline')).toThrow(/--baseline needs at least one k=v/);
    expect(() => parseSelector(['ref'], '--baseline')).toThrow(/--baseline: label "ref" is not k=v/);
  });
});

describe('checkRuns', () => {
  it('judges the candidate against the trailing window of earlier runs on the rig', () => {
    const history = records.filter((r) => r.labels.ref === 'v1.0.0');
    const nightly = [run({ ref: 'nightly-1', rig: 'lab' }, 'esp32c3', 880, T0 + 20 * DAY), run({ ref: 'nightly-1', rig: 'lab' }, 'esp32c6', 1200.5, T0 + 20 * DAY)];
    const rows = checkRuns(samplesFromRecords([...history, ...nightly], {}), 'nightly-1', 14);
    expect(rows.map((r) => `${r.chip} ${r.scenario} ${r.verdict}`)).toEqual([
      'esp32c3 wifi-tcp-download slower',
      'esp32c3 wifi-tcp-updown slower',
      'esp32c3 wifi-tcp-upload slower',
      'esp32c6 wifi-tcp-download same',
      'esp32c6 wifi-tcp-updown same',
      'esp32c6 wifi-tcp-upload same',
    ]);
    expect(rows[2]!.runs).toEqual({ candidate: 1, history: 5 }); // the run whose upload failed is not history for upload
    // A window of 3 takes the latest three only; fewer than 5 is not enough to judge.
    expect(checkRuns(samplesFromRecords([...history, ...nightly], {}), 'nightly-1', 3)[0]!.verdict).toBe('not enough data');
  });
});

describe('the same comparison from InfluxDB', () => {
  let influxd: Influxd;
  beforeAll(async () => {
    influxd = await startInfluxd();
  }, 60_000);
  afterAll(async () => {
    await influxd?.dispose();
  });

  it('gives the same rows as the local store', async () => {
    await influxd.query('CREATE DATABASE "cmp"');
    const target = { url: influxd.url, api: 'v1' as const, db: 'cmp' };
    const writer = new InfluxWriter(target);
    for (const r of records) writer.write(pointsForRecord(r));
    await writer.close();
    const fromStore = compareRuns(samplesFromRecords(records, { ref: 'v1.0.0' }), samplesFromRecords(records, { ref: 'v1.1.0' }));
    const fromInflux = compareRuns(await samplesFromInflux(target, { ref: 'v1.0.0' }), await samplesFromInflux(target, { ref: 'v1.1.0' }));
    expect(fromInflux).toEqual(fromStore);
    const filtered = await samplesFromInflux(target, { ref: 'v1.0.0', rig: 'lab' }, { chips: ['esp32c6'], scenarios: ['wifi-tcp-upload', 'wifi-tcp-download'] });
    expect(filtered).toHaveLength(10);
    const checkStore = checkRuns(samplesFromRecords(records, {}), 'v1.1.0', 14);
    const checkInflux = checkRuns(await samplesFromInflux(target, {}), 'v1.1.0', 14);
    expect(checkInflux.map((r) => [r.chip, r.scenario, r.verdict, r.latest, r.runs])).toEqual(checkStore.map((r) => [r.chip, r.scenario, r.verdict, r.latest, r.runs]));
  }, 60_000);
});

describe('coexistence results', () => {
  it('are compared only with their like, never pooled with the same scenario alone', () => {
    const alone = run({ ref: 'c1', rig: 'lab' }, 'esp32c6', 160, T0 + 30 * DAY);
    const busy = { ...run({ ref: 'c1', rig: 'lab' }, 'esp32c6', 60, T0 + 30 * DAY + 1000) };
    busy.results = busy.results.map((r) => ({ ...r, coex: 'ble-notify' }));
    const samples = samplesFromRecords([alone, busy], { ref: 'c1' });
    expect([...new Set(samples.map((s) => s.scenario))].sort()).toEqual([
      'wifi-tcp-download',
      'wifi-tcp-download with ble-notify',
      'wifi-tcp-updown',
      'wifi-tcp-updown with ble-notify',
      'wifi-tcp-upload',
      'wifi-tcp-upload with ble-notify',
    ]);
    const rows = compareRuns(samples, samples);
    expect(rows.find((r) => r.scenario === 'wifi-tcp-upload')!.baseline.median).toBeLessThan(162);
    expect(rows.find((r) => r.scenario === 'wifi-tcp-upload with ble-notify')!.baseline.median).toBeLessThan(62);
  });
});
