import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, type TestContext } from 'vitest';
import { airFile } from './air.js';
import { V1SimProcess, v1SimMainPath } from './driver.js';
import { startTcpStub, startUdpStub, type TcpStub, type UdpStub } from './host-stub.js';
import { LossPattern } from './loss.js';
import type { Message } from './protocol.js';
import { encodeDatagram, nowMicros } from './wifi-udp.js';

type Cleanup = TestContext['onTestFinished'];

function airDir(cleanup: Cleanup): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'v1-sim-air-'));
  cleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function boot(uri: string, cleanup: Cleanup, air?: string): Promise<V1SimProcess> {
  const sim = V1SimProcess.spawn(uri, { airDir: air ?? airDir(cleanup) });
  cleanup(async () => {
    await sim.kill();
  });
  await sim.next('ready');
  return sim;
}

async function tcp(kind: 'sink' | 'source' | 'echo', cleanup: Cleanup): Promise<TcpStub> {
  const stub = await startTcpStub(kind);
  cleanup(() => stub.close());
  return stub;
}

async function udp(cleanup: Cleanup): Promise<UdpStub> {
  const stub = await startUdpStub();
  cleanup(() => stub.close());
  return stub;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `done()` (a loaded machine may take a while to deliver the last events); throws after `timeoutMs`. */
async function until(done: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
const within = (value: number, expected: number, fraction: number): void => {
  expect(Math.abs(value - expected) / expected, `${value} vs ${expected}`).toBeLessThanOrEqual(fraction);
};
const intervalsOf = (sim: V1SimProcess, id: string): Message[] => sim.messages.filter((m) => m.type === 'interval' && m.id === id);

const ALL_CAPS = [
  'wifi-tcp-download',
  'wifi-tcp-upload',
  'wifi-tcp-updown',
  'wifi-udp-download',
  'wifi-udp-upload',
  'ble-notify-peripheral',
  'ble-notify-central',
  'ble-write-central',
  'ble-write-peripheral',
  'coex',
];

describe.concurrent('v1-sim process: boot and commands', () => {
  it('boots like a board: ROM banner, bootloader and app log, then hello and ready', async ({ onTestFinished }) => {
    const spawnedAt = performance.now();
    const sim = await boot('sim:esp32c6?fw=v1&ip=127.0.0.41&mac=40:4C:CA:01:02:03', onTestFinished);
    const hello = await sim.next('hello');
    expect(hello.message).toEqual({
      type: 'hello',
      protocol: 1,
      chip: 'esp32c6',
      firmware: { name: 'espbench-fw', version: '0.3.0' },
      mac: '40:4c:ca:01:02:03',
      capabilities: ALL_CAPS,
    });
    expect(sim.messages[1]).toEqual({
      type: 'ready',
      wifi: { ip: '127.0.0.41', ssid: 'espbench-sim', channel: 6, rssi: expect.any(Number) },
      ble: { address: '40:4c:ca:01:02:05' },
    });
    expect(hello.at - spawnedAt).toBeGreaterThan(200); // boot=0.2 s
    expect(sim.lines[0]).toBe('ESP-ROM:esp32c6-20220919');
    expect(sim.lines[2]).toBe('rst:0x1 (POWERON),boot:0x8 (SPI_FAST_FLASH_BOOT)');
    const helloLine = sim.lines.findIndex((l) => l.startsWith('@espbench {"type":"hello"'));
    expect(sim.lines.slice(0, helloLine)).toEqual(
      expect.arrayContaining([
        'I (24) boot: ESP-IDF v5.5.1 2nd stage bootloader',
        'INFO - espbench-fw 0.3.0 (espbench protocol 1) on esp32c6',
        'INFO - WiFi: got IP 127.0.0.41/24',
        'INFO - BLE: controller up, address 40:4c:ca:01:02:05',
      ]),
    );
  });

  it('announces only the radios the chip has', async ({ onTestFinished }) => {
    const [h2, s2] = await Promise.all([
      boot('sim:esp32h2?fw=v1&boot=0', onTestFinished),
      boot('sim:esp32s2?fw=v1&boot=0&ip=127.0.0.42', onTestFinished),
    ]);
    expect(h2.messages[0]).toMatchObject({ chip: 'esp32h2', capabilities: ALL_CAPS.slice(5, 9) });
    expect(h2.messages[1]).toEqual({ type: 'ready', ble: { address: expect.stringMatching(/^74:4d:bd:/) } });
    expect(h2.lines[0]).toBe('ESP-ROM:esp32h2-20221101');
    expect(s2.messages[0]).toMatchObject({ chip: 'esp32s2', capabilities: ALL_CAPS.slice(0, 5) });
    expect(s2.messages[1]).toEqual({ type: 'ready', wifi: expect.objectContaining({ ip: '127.0.0.42' }) });
  });

  it('answers hello and status at any time, ignores log lines and unknown types, reports bad lines', async ({ onTestFinished }) => {
    const sink = await tcp('sink', onTestFinished);
    const sim = await boot('sim:esp32c3?fw=v1&boot=0.05&ip=127.0.0.43', onTestFinished);
    sim.write('some log line\r\n@espbench {"type":"future-thing","x":1}\n');
    sim.send({ type: 'status' });
    await sim.next('ready', undefined, 5000, 2);
    sim.write('@espbench {oops\n');
    const bad = await sim.next('error', undefined, 5000, 3);
    expect(bad.message).toEqual({ type: 'error', code: 'bad-command', message: expect.stringContaining('not JSON') });
    const mark = sim.received.length;
    // Long enough that the status and hello round trips below still find it running on a loaded machine.
    sim.send({ type: 'run', id: 'r1', scenario: 'wifi-tcp-upload', duration_ms: 3000, host: { ip: '127.0.0.1', port: sink.port } });
    await sim.next('start', 'r1', 5000, mark);
    sim.send({ type: 'status' });
    expect((await sim.next('status', undefined, 5000, mark)).message).toEqual({ type: 'status', state: 'running', ids: ['r1'] });
    const beforeHello = sim.received.length;
    sim.send({ type: 'hello' });
    await sim.next('hello', undefined, 5000, beforeHello);
    const reply = await sim.waitFor((m) => m.type === 'status' || m.type === 'ready', 5000, beforeHello);
    expect(reply.message.type).toBe('status');
    await sim.next('result', 'r1');
    await sim.next('ready', undefined, 5000, sim.messages.findIndex((m) => m.type === 'result'));
    expect(sim.messages.filter((m) => m.type === 'future-thing')).toEqual([]);
  });

  it('rejects runs it cannot take: unsupported, bad-command, busy, busy without coex, connect-failed', async ({ onTestFinished }) => {
    const air = airDir(onTestFinished);
    const sink = await tcp('sink', onTestFinished);
    const host = { ip: '127.0.0.1', port: sink.port };
    const sim = await boot('sim:esp32c6?fw=v1&boot=0&ip=127.0.0.44&caps=wifi-tcp-upload,wifi-tcp-download,ble-notify-peripheral', onTestFinished, air);
    const errorFor = async (id: string) => (await sim.next('error', id, 5000)).message;
    sim.send({ type: 'run', id: 'u1', scenario: 'wifi-udp-upload', duration_ms: 100, host });
    expect(await errorFor('u1')).toMatchObject({ code: 'unsupported', message: expect.stringContaining("'wifi-udp-upload'") });
    sim.send({ type: 'run', id: 'u2', scenario: 'wifi-teleport', duration_ms: 100, host });
    expect(await errorFor('u2')).toMatchObject({ code: 'unsupported' });
    sim.send({ type: 'run', id: 'u3', scenario: 'wifi-tcp-upload', host });
    expect(await errorFor('u3')).toMatchObject({ code: 'bad-command', message: expect.stringContaining('duration_ms') });
    // Long enough that the round trips below happen while it runs, however loaded the machine.
    sim.send({ type: 'run', id: 'r1', scenario: 'wifi-tcp-upload', duration_ms: 10_000, host });
    await sim.next('start', 'r1');
    sim.send({ type: 'run', id: 'r2', scenario: 'wifi-tcp-download', duration_ms: 100, host });
    expect(await errorFor('r2')).toMatchObject({ code: 'busy', message: expect.stringContaining('(r1)') });
    sim.send({ type: 'run', id: 'b1', scenario: 'ble-notify', role: 'peripheral', duration_ms: 100 });
    expect(await errorFor('b1')).toMatchObject({ code: 'busy', message: expect.stringContaining('coex') });
    // stop ends the run early with its result so far, then ready.
    sim.send({ type: 'stop', id: 'r1' });
    const result = (await sim.next('result', 'r1')).message;
    expect(result.ms as number).toBeLessThan(10_000);
    expect(result.bytes as number).toBeGreaterThan(0);
    await sim.waitFor((m) => m.type === 'ready', 5000, sim.received.findIndex((r) => r.message.type === 'result'));
    // Nothing listens on the port any more.
    const closed = await startTcpStub('sink');
    await closed.close();
    sim.send({ type: 'run', id: 'r3', scenario: 'wifi-tcp-download', duration_ms: 500, host: { ip: '127.0.0.1', port: closed.port } });
    expect(await errorFor('r3')).toMatchObject({ code: 'connect-failed', message: expect.stringContaining('refused') });
  });

  it('rejects a bad URI or bad arguments with exit code 2 and one line; SIGTERM ends it with 0', async () => {
    const bad = V1SimProcess.spawn('sim:esp32c6?fw=v1&loss=2');
    expect(await bad.exited).toBe(2);
    expect(bad.lines).toEqual([]);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain("'loss' must be a fraction in 0..1");
    const noUri = new V1SimProcess(spawn(process.execPath, [v1SimMainPath(), '--air', '/tmp/x']));
    expect(await noUri.exited).toBe(2);
    expect(noUri.stderr).toContain('usage: v1-sim [--air <dir>] <sim-uri>');
    const sim = V1SimProcess.spawn('sim:esp32c3?fw=v1&boot=0');
    await sim.next('ready');
    expect(await sim.kill()).toBe(0);
    expect(sim.stderr).toBe('');
  });
});

describe.concurrent('v1-sim process: WiFi scenarios', () => {
  it('wifi-tcp-upload moves `rate` bytes/s within 2 %, from its own ip, with start, intervals and result', async ({ onTestFinished }) => {
    const sink = await tcp('sink', onTestFinished);
    const sim = await boot('sim:esp32c6?fw=v1&boot=0&ip=127.0.0.51&rate=1000000', onTestFinished);
    const sentAt = performance.now();
    sim.send({ type: 'run', id: 'up', scenario: 'wifi-tcp-upload', duration_ms: 2000, host: { ip: '127.0.0.1', port: sink.port } });
    const start = await sim.next('start', 'up');
    expect(start.message).toEqual({ type: 'start', id: 'up', scenario: 'wifi-tcp-upload' });
    const result = (await sim.next('result', 'up', 6000)).message;
    expect(result).toEqual({
      type: 'result',
      id: 'up',
      scenario: 'wifi-tcp-upload',
      role: 'sender',
      bytes: expect.any(Number),
      ms: 2000,
      details: { rssi: expect.any(Number), channel: 6 },
    });
    within(result.bytes as number, 2_000_000, 0.02);
    const conn = sink.connections[0]!;
    // The board half-closes after its last write: once the host has seen the close it has every byte.
    await until(() => conn.closedAt !== null, 'the host to see the connection close');
    expect(conn.remoteAddress).toBe('127.0.0.51');
    expect(conn.rxBytes).toBe(result.bytes);
    // Paced on the wire: at no point had the host received more than `rate` × the time since the run command,
    // plus one 1024-byte write (a busy machine can only make bytes arrive, or be seen, later). And the bytes did
    // not trickle in long after the run.
    let received = 0;
    let ahead = -Infinity;
    for (const [at, bytes] of conn.rxLog) {
      received += bytes;
      ahead = Math.max(ahead, received - (1_000_000 * (at - sentAt)) / 1000);
    }
    expect(ahead).toBeLessThanOrEqual(1024);
    expect(conn.rxLog.at(-1)![0] - sentAt).toBeLessThan(2000 + 3000);
    const intervals = intervalsOf(sim, 'up');
    expect(intervals.map((m) => m.t_ms)).toEqual([expect.any(Number), 2000]);
    // A late tick (busy machine) covers more time: compare the rate over the sample.
    within(((intervals[0]!.bytes as number) * 1000) / (intervals[0]!.t_ms as number), 1_000_000, 0.02);
    expect(intervals.reduce((sum, m) => sum + (m.bytes as number), 0)).toBe(result.bytes);
    await sim.next('ready', undefined, 5000, 2);
  });

  it('wifi-tcp-download and wifi-tcp-updown pace their reads at the rate', async ({ onTestFinished }) => {
    const [source, echo] = await Promise.all([tcp('source', onTestFinished), tcp('echo', onTestFinished)]);
    const [dl, ud] = await Promise.all([
      boot('sim:esp32c3?fw=v1&boot=0&ip=127.0.0.52&download_rate=500000', onTestFinished),
      boot('sim:esp32c3?fw=v1&boot=0&ip=127.0.0.53&updown_rate=300000', onTestFinished),
    ]);
    dl.send({ type: 'run', id: 'd', scenario: 'wifi-tcp-download', duration_ms: 1500, host: { ip: '127.0.0.1', port: source.port } });
    ud.send({ type: 'run', id: 'e', scenario: 'wifi-tcp-updown', duration_ms: 1500, host: { ip: '127.0.0.1', port: echo.port } });
    const [d, e] = await Promise.all([dl.next('result', 'd', 6000), ud.next('result', 'e', 6000)]);
    expect(d.message).toMatchObject({ role: 'receiver', ms: 1500 });
    within(d.message.bytes as number, 750_000, 0.02);
    expect(e.message).toMatchObject({ role: 'echo', ms: 1500, details: { tx_bytes: expect.any(Number), rx_bytes: e.message.bytes } });
    within(e.message.bytes as number, 450_000, 0.03);
    within((e.message.details as { tx_bytes: number }).tx_bytes, 450_000, 0.02);
  });

  it('wifi-udp-upload: ESB1 datagrams at the rate, lost sequence numbers match `loss` within 0.5 pp', async ({ onTestFinished }) => {
    const sink = await udp(onTestFinished);
    const sim = await boot('sim:esp32c6?fw=v1&boot=0&ip=127.0.0.54&loss=0.1&seed=5&udp_upload_rate=2000000', onTestFinished);
    sim.send({
      type: 'run',
      id: 'u',
      scenario: 'wifi-udp-upload',
      duration_ms: 2000,
      payload: 200,
      rate: 1_000_000,
      host: { ip: '127.0.0.1', port: sink.port },
    });
    const result = (await sim.next('result', 'u', 6000)).message;
    const details = result.details as { sent: number; payload: number };
    const pattern = new LossPattern(5, 0.1);
    const expected = Array.from({ length: details.sent }, (_, i) => i).filter((i) => !pattern.isLost(i));
    // The last datagrams may still be on their way when `result` is read.
    await until(() => sink.datagrams.length >= expected.length, `${expected.length} datagrams at the host`, 5000).catch(() => {});
    expect(result).toMatchObject({ role: 'sender', ms: 2000, details: { payload: 200, channel: 6 } });
    within(details.sent, 10_000, 0.02); // min(run rate, udp_upload_rate) = 1 MB/s of 200-byte datagrams
    expect(result.bytes).toBe(details.sent * 200);
    const seqs = sink.datagrams.map((d) => d.seq);
    expect(new Set(sink.datagrams.map((d) => d.from))).toEqual(new Set(['127.0.0.54']));
    expect(new Set(sink.datagrams.map((d) => d.length))).toEqual(new Set([200]));
    const highest = Math.max(...seqs);
    const loss = 1 - seqs.length / (highest + 1);
    expect(Math.abs(loss - 0.1)).toBeLessThan(0.005);
    expect(seqs).toEqual(expected);
  });

  it('wifi-udp-download: registers with {"id"}, counts ESB1 datagrams after dropping `loss`, reports lost_seq', async ({ onTestFinished }) => {
    const host = await udp(onTestFinished);
    const sim = await boot('sim:esp32c6?fw=v1&boot=0&ip=127.0.0.55&loss=0.05&seed=9&udp_download_rate=10000000', onTestFinished);
    // Long enough for the test to send all 3000 datagrams (150 bursts, 2 ms apart) however loaded the machine.
    sim.send({ type: 'run', id: 'dl', scenario: 'wifi-udp-download', duration_ms: 5000, host: { ip: '127.0.0.1', port: host.port } });
    await sim.next('start', 'dl');
    const deadline = performance.now() + 3000;
    while (host.registrations.length === 0 && performance.now() < deadline) await sleep(5);
    expect(host.registrations[0]).toMatchObject({ id: 'dl', address: '127.0.0.55' });
    const to = host.registrations[0]!;
    const sender = dgram.createSocket('udp4');
    onTestFinished(() => {
      sender.close();
    });
    const total = 3000;
    for (let seq = 0; seq < total; seq += 20) {
      for (let i = seq; i < seq + 20; i++) sender.send(encodeDatagram(i, 200, nowMicros()), to.port, to.address);
      await sleep(2);
    }
    const result = (await sim.next('result', 'dl', 15_000)).message;
    const pattern = new LossPattern(9, 0.05);
    const kept = Array.from({ length: total }, (_, i) => i).filter((i) => !pattern.isLost(i));
    expect(result).toMatchObject({
      role: 'receiver',
      bytes: kept.length * 200,
      details: { received: kept.length, lost_seq: kept.at(-1)! + 1 - kept.length, out_of_order: 0, payload: 200 },
    });
    expect((result.details as Record<string, unknown>).sent).toBeUndefined();
    expect((result.details as { jitter_ms: number }).jitter_ms).toBeGreaterThanOrEqual(0);
  });
});

describe('air registry', () => {
  it('a peripheral registers its address while advertising and removes it on stop', async ({ onTestFinished }) => {
    const air = airDir(onTestFinished);
    const sim = await boot('sim:esp32c6?fw=v1&boot=0&ip=127.0.0.56&mac=40:4c:ca:00:00:10', onTestFinished, air);
    sim.send({ type: 'run', id: 'p', scenario: 'ble-write', role: 'peripheral', duration_ms: 1000 });
    const file = airFile(air, '40:4c:ca:00:00:12');
    const deadline = performance.now() + 3000;
    while (!existsSync(file) && performance.now() < deadline) await sleep(10);
    expect(existsSync(file)).toBe(true);
    expect(path.basename(file)).toBe('40-4c-ca-00-00-12');
    sim.send({ type: 'stop' });
    expect((await sim.next('result', 'p')).message).toMatchObject({ bytes: 0, ms: 0, role: 'receiver' });
    await sim.next('ready', undefined, 5000, 2);
    // The registration is removed asynchronously as advertising stops.
    await until(() => !existsSync(file), `${file} to be removed`, 5000);
  });
});
