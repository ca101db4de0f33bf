import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, type TestContext } from 'vitest';
import { V1SimProcess } from './driver.js';
import { startTcpStub, type TcpStub } from './host-stub.js';
import type { Message } from './protocol.js';

type Cleanup = TestContext['onTestFinished'];

function airDir(cleanup: Cleanup): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'v1-sim-air-'));
  cleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function boot(uri: string, cleanup: Cleanup, air = airDir(cleanup)): Promise<V1SimProcess> {
  const sim = V1SimProcess.spawn(uri, { airDir: air });
  cleanup(async () => {
    await sim.kill();
  });
  await sim.next('ready');
  return sim;
}

async function sink(cleanup: Cleanup): Promise<TcpStub> {
  const stub = await startTcpStub('sink');
  cleanup(() => stub.close());
  return stub;
}

const upload = (id: string, port: number, durationMs: number) => ({
  type: 'run',
  id,
  scenario: 'wifi-tcp-upload',
  duration_ms: durationMs,
  host: { ip: '127.0.0.1', port },
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `done()` (a loaded machine may take a while to deliver the last events); throws after `timeoutMs`. */
async function until(done: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
const indexOf = (sim: V1SimProcess, match: (m: Message) => boolean): number => sim.messages.findIndex(match);

describe.concurrent('faults', () => {
  it('malformed@1: a broken protocol line half-way through run 1, which still ends normally', async ({ onTestFinished }) => {
    const host = await sink(onTestFinished);
    const sim = await boot('sim:esp32c3?fw=v1&boot=0&ip=127.0.0.81&fault=malformed@1', onTestFinished);
    sim.send(upload('r1', host.port, 1000));
    await sim.next('result', 'r1');
    const broken = sim.lines.filter((l) => l.startsWith('@espbench ') && !isJson(l.slice(10)));
    expect(broken).toEqual(['@espbench {"type":"interval","id":"r1","t_ms":']);
  });

  it('unknown-type@1: an unknown message type before start; the run goes on', async ({ onTestFinished }) => {
    const host = await sink(onTestFinished);
    const sim = await boot('sim:esp32c3?fw=v1&boot=0&ip=127.0.0.82&fault=unknown-type@1', onTestFinished);
    sim.send(upload('r1', host.port, 300));
    await sim.next('result', 'r1');
    await sim.next('ready', undefined, 5000, 3);
    expect(sim.messages.slice(2).map((m) => m.type)).toEqual(['sim-debug', 'start', 'interval', 'result', 'ready']);
    expect(sim.messages[2]).toMatchObject({ type: 'sim-debug', id: 'r1' });
  });

  it('claim-then-error@1: announces the capability but answers run 1 with error internal; run 2 works', async ({ onTestFinished }) => {
    const host = await sink(onTestFinished);
    const sim = await boot('sim:esp32c3?fw=v1&boot=0&ip=127.0.0.83&fault=claim-then-error@1', onTestFinished);
    expect(sim.messages[0]!.capabilities).toContain('wifi-tcp-upload');
    sim.send(upload('r1', host.port, 300));
    expect((await sim.next('error', 'r1')).message).toMatchObject({ code: 'internal' });
    await sim.next('ready', undefined, 5000, 3);
    sim.send(upload('r2', host.port, 300));
    expect((await sim.next('result', 'r2')).message).toMatchObject({ role: 'sender', ms: 300 });
    expect(host.connections).toHaveLength(1);
  });

  it('peer-silent@1 (central): never connects nor starts, hangs until stopped', async ({ onTestFinished }) => {
    const air = airDir(onTestFinished);
    const dut = await boot('sim:esp32c6?fw=v1&boot=0&ip=127.0.0.84', onTestFinished, air);
    const peer = await boot('sim:esp32c3?fw=v1&boot=0&ip=127.0.0.85&fault=peer-silent@1', onTestFinished, air);
    const address = (dut.messages[1]!.ble as { address: string }).address;
    dut.send({ type: 'run', id: 'b', scenario: 'ble-notify', role: 'peripheral', duration_ms: 300 });
    peer.send({ type: 'run', id: 'b', scenario: 'ble-notify', role: 'central', peer: address, duration_ms: 300 });
    await sleep(800); // well past duration_ms
    peer.send({ type: 'status' });
    expect((await peer.next('status')).message).toEqual({ type: 'status', state: 'running', ids: ['b'] });
    expect(dut.messages.some((m) => m.type === 'start') || peer.messages.some((m) => m.type === 'start')).toBe(false);
    peer.send({ type: 'stop', id: 'b' });
    expect((await peer.next('result', 'b')).message).toMatchObject({ bytes: 0, ms: 0, role: 'receiver' });
    await peer.next('ready', undefined, 5000, 2);
    dut.send({ type: 'stop' });
    await dut.next('result', 'b');
    // The peripheral removes its registration asynchronously as it stops advertising.
    await until(() => readdirSync(air).length === 0, 'an empty air registry', 5000).catch(() => {});
    expect(readdirSync(air)).toEqual([]);
  });

  it('ble-disconnect@1: the link drops half-way, both boards report error disconnected, then ready', async ({ onTestFinished }) => {
    const air = airDir(onTestFinished);
    const dut = await boot('sim:esp32c6?fw=v1&boot=0&ip=127.0.0.86&fault=ble-disconnect@1', onTestFinished, air);
    const peer = await boot('sim:esp32c3?fw=v1&boot=0&ip=127.0.0.87', onTestFinished, air);
    const address = (dut.messages[1]!.ble as { address: string }).address;
    const sentAt = performance.now();
    peer.send({ type: 'run', id: 'b', scenario: 'ble-notify', role: 'central', peer: address, duration_ms: 3000 });
    dut.send({ type: 'run', id: 'b', scenario: 'ble-notify', role: 'peripheral', duration_ms: 3000 });
    const start = await dut.next('start', 'b');
    const [dutError, peerError] = await Promise.all([dut.next('error', 'b'), peer.next('error', 'b')]);
    expect(dutError.message).toMatchObject({ code: 'disconnected', message: expect.stringContaining('ble-disconnect@1') });
    expect(peerError.message).toMatchObject({ code: 'disconnected' });
    // Half-way: 1.5 s after the start, which came after the commands (a busy machine only delays what we see)...
    expect(dutError.at - sentAt).toBeGreaterThanOrEqual(1500);
    // ...and before the 3 s run would have ended (no result, below; generous for a loaded machine).
    expect(dutError.at - start.at).toBeLessThan(2700);
    await Promise.all([dut.next('ready', undefined, 5000, 2), peer.next('ready', undefined, 5000, 2)]);
    expect(dut.messages.some((m) => m.type === 'result') || peer.messages.some((m) => m.type === 'result')).toBe(false);
  });

  it('reset@1: ROM banner with the software reset reason half-way, then hello and ready again; run 2 works', async ({ onTestFinished }) => {
    const host = await sink(onTestFinished);
    const sim = await boot('sim:esp32c6?fw=v1&boot=0.05&ip=127.0.0.88&fault=reset@1', onTestFinished);
    const sentAt = performance.now();
    sim.send(upload('r1', host.port, 1000));
    await sim.next('start', 'r1');
    const hello = await sim.next('hello', undefined, 5000, 2);
    // The reset comes half-way (500 ms after the start, which came after the command), then 50 ms of boot.
    expect(hello.at - sentAt).toBeGreaterThanOrEqual(500);
    await sim.next('ready', undefined, 5000, indexOf(sim, (m) => m === hello.message));
    const banner = sim.lines.lastIndexOf('ESP-ROM:esp32c6-20220919');
    expect(banner).toBeGreaterThan(0);
    expect(sim.lines[banner + 2]).toBe('rst:0xc (SW_CPU),boot:0x8 (SPI_FAST_FLASH_BOOT)');
    expect(sim.lines[banner + 3]).toMatch(/^Saved PC:0x408[0-9a-f]{5}$/);
    await until(() => host.connections[0]!.closedAt !== null, 'the host to see the connection dropped', 5000).catch(() => {});
    expect(host.connections[0]!.closedAt).not.toBeNull();
    expect(sim.messages.some((m) => m.type === 'result')).toBe(false);
    sim.send(upload('r2', host.port, 300));
    expect((await sim.next('result', 'r2')).message).toMatchObject({ ms: 300 });
  });

  it('panic@1: esp-backtrace block, silence, watchdog reset about 1 s later, hello and ready again', async ({ onTestFinished }) => {
    const host = await sink(onTestFinished);
    const sim = await boot('sim:esp32c6?fw=v1&boot=0&ip=127.0.0.89&fault=panic@1&colors=0', onTestFinished);
    const sentAt = performance.now();
    sim.send(upload('r1', host.port, 1000));
    await sim.next('start', 'r1');
    const hello = await sim.next('hello', undefined, 5000, 2);
    expect(hello.at - sentAt).toBeGreaterThanOrEqual(1500); // 500 ms from the start to the fault, 1000 ms hang
    const panic = sim.lines.indexOf('====================== PANIC ======================');
    expect(panic).toBeGreaterThan(0);
    expect(sim.lines[panic + 1]).toMatch(/^panicked at src\/bin\/espbench_fw\.rs:\d+:\d+:$/);
    expect(sim.lines[panic + 2]).toBe('espbench simulated panic (fault panic@1)');
    const after = sim.lines.slice(panic);
    expect(after).toContain('rst:0x7 (TG0WDT_HPSYS),boot:0x8 (SPI_FAST_FLASH_BOOT)');
    const panicToBanner = after.slice(0, after.indexOf('ESP-ROM:esp32c6-20220919'));
    expect(panicToBanner.filter((l) => l.startsWith('@espbench'))).toEqual([]);
    expect(sim.messages.some((m) => m.type === 'result')).toBe(false);
    await sim.next('ready', undefined, 5000, indexOf(sim, (m) => m === hello.message));
  });

  it('version: hello announces protocol 2', async ({ onTestFinished }) => {
    const sim = await boot('sim:esp32c3?fw=v1&boot=0&ip=127.0.0.90&fault=version', onTestFinished);
    expect(sim.messages[0]).toMatchObject({ type: 'hello', protocol: 2 });
    sim.send({ type: 'hello' });
    expect((await sim.next('hello', undefined, 5000, 2)).message).toMatchObject({ protocol: 2 });
  });
});

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
