import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bleLinkModel } from '@espbench/firmware-fixtures/v1-sim';
import { SCENARIOS, type Result, type RunRecord } from '@espbench/schema';
import { ptyForCommand, type PtyBridge } from '@espbench/tools/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { parsePlan, runV1Bench, type PlanItem } from '../src/index.js';

const simMain = fileURLToPath(import.meta.resolve('@espbench/firmware-fixtures/v1-sim/main'));
const bridges: PtyBridge[] = [];
afterEach(async () => {
  await Promise.all(bridges.splice(0).map((b) => b.close()));
});

let n = 0;
/** A simulated protocol-v1 board behind a real pty, read through the serialport bindings. */
async function board(uri: string, air: string): Promise<string> {
  const b = await ptyForCommand(process.execPath, [simMain, '--air', air, uri]);
  bridges.push(b);
  return b.path;
}

async function run(dut: string, plan: PlanItem[], opts: { peer?: string; iterations?: number; durationS?: number; air?: string } = {}): Promise<RunRecord> {
  const air = opts.air ?? mkdtempSync(join(tmpdir(), 'espbench-air-'));
  const device = await board(dut, air);
  const peer = opts.peer ? await board(opts.peer, air) : undefined;
  const { record } = await runV1Bench({
    device,
    peer,
    plan,
    iterations: opts.iterations ?? 1,
    durationS: opts.durationS ?? 2,
    labels: {},
    hostIp: '127.0.0.1',
    listen: '127.0.0.1',
    portBase: 0,
    runId: `v1-${n++}`,
  });
  return record;
}

const plan = (scenarios: string[], coex: string[] = []) => parsePlan(scenarios, coex, SCENARIOS);
const near = (value: number | null | undefined, truth: number, tolerance: number) => Math.abs((value ?? -1) - truth) / truth <= tolerance;
const one = (r: RunRecord, scenario: string, coex: string | null = null): Result => r.results.find((x) => x.scenario === scenario && (x.coex ?? null) === coex)!;
// The simulator's default BLE link: 1M PHY, MTU 247 (244-byte notifications), 7.5 ms interval.
const BLE_KIBPS = bleLinkModel({ phy: '1M', payload: 244, connIntervalMs: 7.5, ppe: 6, marginUs: 150, scale: 1 }).bytesPerS / 1024;

describe('protocol-v1 firmware over real ptys', () => {
  it('TCP upload and download at the rate the board holds, and its hello in the record', async () => {
    const r = await run('sim:esp32c6?fw=v1&rate=800000&ip=127.0.0.31', plan(['wifi-tcp-upload', 'wifi-tcp-download']));
    expect(r.status, r.error ?? '').toBe('ok');
    expect(r.firmware).toMatchObject({ name: 'espbench-fw', protocol: 1 });
    expect(r.device).toMatchObject({ chip: 'esp32c6', ip: '127.0.0.31' });
    expect(r.labels.ref).toBe(r.firmware!.version); // no ref label: the firmware's version
    for (const s of ['wifi-tcp-upload', 'wifi-tcp-download']) {
      const x = one(r, s);
      expect(near(x.hostKiBps, 800_000 / 1024, 0.02), `${s} ${x.hostKiBps}`).toBe(true);
      expect(x.boards?.[0]?.role).toBe(s.endsWith('upload') ? 'sender' : 'receiver');
    }
  }, 60_000);

  it('UDP upload: loss, reordering and jitter counted by sequence number', async () => {
    const r = await run('sim:esp32c3?fw=v1&rate=600000&loss=0.05&seed=3&ip=127.0.0.32', plan(['wifi-udp-upload']), { durationS: 3 });
    expect(r.status, r.error ?? '').toBe('ok');
    const x = one(r, 'wifi-udp-upload');
    expect(x.udp!.datagrams).toBeGreaterThan(1000);
    expect(Math.abs(x.udp!.lossPct - 5)).toBeLessThanOrEqual(0.5);
    expect(x.udp!.jitterMs).not.toBeNull();
  }, 60_000);

  it('UDP download: the host sends at the rate asked, the board counts, loss from what never arrived', async () => {
    const r = await run('sim:esp32c3?fw=v1&loss=0.04&seed=5&ip=127.0.0.46', plan(['wifi-udp-download']), { durationS: 3 });
    expect(r.status, r.error ?? '').toBe('ok');
    const x = one(r, 'wifi-udp-download');
    expect(Math.abs(x.udp!.lossPct - 4)).toBeLessThanOrEqual(0.5);
    // 1,000,000 B/s sent, 4% dropped by the board: 960,000 B/s counted.
    expect(near(x.hostKiBps, (1_000_000 * 0.96) / 1024, 0.03), `${x.hostKiBps}`).toBe(true);
    expect(x.hostTxBytes).toBeGreaterThan(2_900_000);
  }, 60_000);

  it('BLE write: the board is the central and writes, the peer counts', async () => {
    const r = await run('sim:esp32c6?fw=v1&ip=127.0.0.47', plan(['ble-write']), { peer: 'sim:esp32c6?fw=v1&ip=127.0.0.48' });
    expect(r.status, r.error ?? '').toBe('ok');
    const x = one(r, 'ble-write');
    expect(near(x.hostKiBps, BLE_KIBPS, 0.02), `${x.hostKiBps} vs ${BLE_KIBPS}`).toBe(true);
    expect(x.boards?.map((b) => [b.role, b.bleRole])).toEqual([
      ['sender', 'central'],
      ['receiver', 'peripheral'],
    ]);
  }, 60_000);

  it('BLE notify between the board and a peer at the link model rate, both sides kept', async () => {
    const r = await run('sim:esp32c6?fw=v1&ip=127.0.0.33', plan(['ble-notify']), { peer: 'sim:esp32c3?fw=v1&ip=127.0.0.34' });
    expect(r.status, r.error ?? '').toBe('ok');
    const x = one(r, 'ble-notify');
    expect(near(x.hostKiBps, BLE_KIBPS, 0.02), `${x.hostKiBps} vs ${BLE_KIBPS}`).toBe(true);
    expect(x.boards?.map((b) => [b.role, b.bleRole])).toEqual([
      ['sender', 'peripheral'],
      ['receiver', 'central'],
    ]);
    expect(x.boards?.[1]?.details).toMatchObject({ phy: '1M', mtu: 247 });
    expect(r.peer).toMatchObject({ chip: 'esp32c3' });
  }, 60_000);

  it('coexistence: each alone, then both; the degradation follows the airtime model', async () => {
    const r = await run('sim:esp32c6?fw=v1&rate=600000&coex_wifi=0.7&ip=127.0.0.35', plan([], ['wifi-tcp-upload+ble-notify']), {
      peer: 'sim:esp32c6?fw=v1&ip=127.0.0.36',
      durationS: 3,
    });
    expect(r.status, r.error ?? '').toBe('ok');
    expect(r.results.map((x) => `${x.scenario}${x.coex ? `+${x.coex}` : ''}`)).toEqual(['wifi-tcp-upload', 'ble-notify', 'wifi-tcp-upload+ble-notify', 'ble-notify+wifi-tcp-upload']);
    const wifi = one(r, 'wifi-tcp-upload', 'ble-notify');
    const ble = one(r, 'ble-notify', 'wifi-tcp-upload');
    // WiFi keeps 70% of its airtime, BLE 30%: -30% and -70% within 2 points.
    expect(Math.abs(wifi.degradationPct! - -30)).toBeLessThanOrEqual(2);
    expect(Math.abs(ble.degradationPct! - -70)).toBeLessThanOrEqual(2);
  }, 90_000);

  it('skips what a chip cannot do, with the reason, instead of failing', async () => {
    const r = await run('sim:esp32s2?fw=v1&ip=127.0.0.37', plan(['wifi-tcp-upload', 'ble-notify']), { durationS: 1 });
    expect(r.status, r.error ?? '').toBe('ok');
    expect(r.results.map((x) => x.scenario)).toEqual(['wifi-tcp-upload']);
    expect(r.skipped).toEqual([{ scenario: 'ble-notify', reason: 'esp32s2 has no Bluetooth LE radio' }]);
    const h2 = await run('sim:esp32h2?fw=v1&ip=127.0.0.38', plan(['wifi-tcp-upload']), { durationS: 1 });
    expect(h2.status).toBe('failed');
    expect(h2.error).toBe('nothing could run: wifi-tcp-upload: esp32h2 has no WiFi radio');
  }, 60_000);
});

describe('protocol-v1 faults: a failed iteration with the reason, never a number, and the run goes on', () => {
  const cases: [string, string, RegExp][] = [
    ['malformed@1', 'malformed', /malformed protocol line \(not JSON/],
    ['unknown-type@1', 'unknown-message', /message type this espbench does not know/],
    ['claim-then-error@1', 'internal', /.+/],
  ];
  for (const [fault, kind, message] of cases) {
    it(fault, async () => {
      const r = await run(`sim:esp32c3?fw=v1&rate=500000&fault=${fault}&ip=127.0.0.40`, plan(['wifi-tcp-upload']), { iterations: 2, durationS: 2 });
      const [first, second] = r.results;
      expect(first).toMatchObject({ status: 'failed', hostKiBps: null, failure: { kind } });
      expect(first!.failure!.message).toMatch(message);
      expect(second, JSON.stringify(r.results)).toMatchObject({ status: 'ok' });
      // A 2 s test on a loaded 2-core machine: the figure is only checked to be the board's, roughly.
      expect(near(second!.hostKiBps, 500_000 / 1024, 0.05), `${second!.hostKiBps}`).toBe(true);
    }, 60_000);
  }

  it('a run cut short by a bad line is stopped on the board, so a long next one is not refused as busy', async () => {
    const r = await run('sim:esp32c3?fw=v1&rate=500000&fault=malformed@1&ip=127.0.0.49', plan(['wifi-tcp-upload']), { iterations: 2, durationS: 12 });
    expect(r.results.map((x) => x.status)).toEqual(['failed', 'ok']);
  }, 60_000);

  it('a peer that never connects and a BLE link that drops', async () => {
    const silent = await run('sim:esp32c6?fw=v1&ip=127.0.0.41', plan(['ble-notify']), { peer: 'sim:esp32c6?fw=v1&fault=peer-silent@1&ip=127.0.0.42', iterations: 2, durationS: 1 });
    expect(silent.results[0]).toMatchObject({ status: 'failed', hostKiBps: null });
    expect(silent.results[1], JSON.stringify(silent.results)).toMatchObject({ status: 'ok' });
    const dropped = await run('sim:esp32c6?fw=v1&fault=ble-disconnect@1&ip=127.0.0.43', plan(['ble-notify']), { peer: 'sim:esp32c6?fw=v1&ip=127.0.0.44', iterations: 2, durationS: 1 });
    expect(dropped.results[0]).toMatchObject({ status: 'failed', hostKiBps: null, failure: { kind: 'disconnected' } });
    expect(dropped.results[1], JSON.stringify(dropped.results)).toMatchObject({ status: 'ok' });
  }, 90_000);

  it('a board that speaks another protocol version ends the run with both versions named', async () => {
    const r = await run('sim:esp32c3?fw=v1&fault=version&ip=127.0.0.45', plan(['wifi-tcp-upload']), { durationS: 1 });
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/speaks espbench protocol 2; this espbench speaks 1 \(update espbench\)$/);
    expect(r.results).toEqual([]);
  }, 30_000);
});
