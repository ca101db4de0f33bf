import { pointsForRecord, toLine } from '@espbench/influx';
import { parsePlan, runV1Bench } from '@espbench/runner';
import { SCENARIOS } from '@espbench/schema';
import { rows, startInfluxd, type Influxd } from '@espbench/tools/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboards, dashboardQueries, interpolate } from '../src/index.js';

/** The Coexistence dashboard on a real coexistence run of the protocol-v1 simulators, not copies. */
let influxd: Influxd;
beforeAll(async () => {
  influxd = await startInfluxd();
  await influxd.query('CREATE DATABASE coex');
}, 60_000);
afterAll(async () => {
  await influxd?.dispose();
});

describe('Coexistence dashboard with a real coexistence run', () => {
  it('shows each scenario alone and with the other radio busy, and the loss the run measured', async () => {
    const { record } = await runV1Bench({
      device: 'sim:esp32c6?fw=v1&rate=500000&coex_wifi=0.6&ip=127.0.0.61',
      peer: 'sim:esp32c6?fw=v1&ip=127.0.0.62',
      plan: parsePlan([], ['wifi-tcp-upload+ble-notify'], SCENARIOS),
      iterations: 1,
      durationS: 2,
      labels: { ref: 'v0.3.0', rig: 'lab' },
      hostIp: '127.0.0.1',
      listen: '127.0.0.1',
      portBase: 0,
      runId: 'coex-real',
    });
    expect(record.status, record.error ?? '').toBe('ok');
    const res = await fetch(`${influxd.url}/write?db=coex&precision=ms`, { method: 'POST', body: pointsForRecord(record).map(toLine).join('\n') });
    expect(res.status).toBe(204);

    const dashboard = buildDashboards().find((d) => d.uid === 'espbench-coex')!;
    const table = dashboardQueries(dashboard.json).find((q) => q.kind === 'panel' && q.name === 'Alone vs other radio busy')!;
    const vars = { chip: ['esp32c6'], rig: ['lab'], scenario: ['wifi-tcp-upload', 'ble-notify'] };
    const got = rows(await influxd.query(interpolate(table.query, vars, { range: { from: 'now-1h' }, interval: '1m' }), 'coex'));
    expect(got.map((r) => r.scenario).sort()).toEqual(['ble-notify', 'wifi-tcp-upload']);
    for (const row of got) {
      const alone = record.results.find((x) => x.scenario === row.scenario && !x.coex)!;
      const busy = record.results.find((x) => x.scenario === row.scenario && x.coex)!;
      expect(row.alone as number).toBeCloseTo(alone.hostKiBps!, 3);
      expect(row.busy as number).toBeCloseTo(busy.hostKiBps!, 3);
      expect(row.delta_pct as number).toBeCloseTo(busy.degradationPct!, 1);
    }
    // The airtime model: WiFi keeps 60%, BLE 40%.
    expect(got.find((r) => r.scenario === 'wifi-tcp-upload')!.delta_pct as number).toBeGreaterThan(-42);
    expect(got.find((r) => r.scenario === 'wifi-tcp-upload')!.delta_pct as number).toBeLessThan(-38);
  }, 60_000);
});
