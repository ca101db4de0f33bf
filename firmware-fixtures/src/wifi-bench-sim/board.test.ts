import { spawn } from 'node:child_process';
import net from 'node:net';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, type TestContext } from 'vitest';
import { SimulatedBoard } from './board.js';
import { firmwareKbps, type TestPhase } from './firmware.js';
import type { TestResult } from './round.js';

// --- A minimal bench-server stand-in: download streams zeros, upload sinks, upload+download echoes. ---

interface HostConnection {
  endpoint: TestPhase;
  remoteAddress: string;
  acceptedAt: number;
  closedAt: number | null;
  /** When the host read the end of the board's data: its FIN, or its RST arriving with data still unread. */
  endedAt: number | null;
  rxBytes: number;
  txBytes: number;
}

interface BenchHost {
  portBase: number;
  connections: HostConnection[];
  close(): Promise<void>;
}

function listen(port: number, onSocket: (socket: net.Socket) => void): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer({ allowHalfOpen: true }, onSocket);
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function startBenchHost(): Promise<BenchHost> {
  const connections: HostConnection[] = [];
  const sockets = new Set<net.Socket>();
  const zeros = Buffer.alloc(1024);
  const endpoint = (name: TestPhase) => (socket: net.Socket) => {
    const conn: HostConnection = {
      endpoint: name,
      remoteAddress: socket.remoteAddress ?? '',
      acceptedAt: performance.now(),
      closedAt: null,
      endedAt: null,
      rxBytes: 0,
      txBytes: 0,
    };
    connections.push(conn);
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('end', () => {
      conn.endedAt = performance.now();
    });
    socket.on('close', () => {
      conn.closedAt = performance.now();
      sockets.delete(socket);
    });
    if (name === 'download') {
      const fill = (): void => {
        while (!socket.destroyed && socket.write(zeros)) conn.txBytes += zeros.length;
      };
      socket.on('drain', fill);
      fill();
    }
    socket.on('data', (data: Buffer) => {
      conn.rxBytes += data.length;
      if (name === 'updown') {
        conn.txBytes += data.length;
        socket.write(data);
      }
    });
  };
  for (let attempt = 0; attempt < 50; attempt++) {
    const portBase = 20_000 + Math.floor(Math.random() * 40_000);
    const servers: net.Server[] = [];
    try {
      servers.push(await listen(portBase, endpoint('download')));
      servers.push(await listen(portBase + 1, endpoint('upload')));
      servers.push(await listen(portBase + 2, endpoint('updown')));
    } catch {
      servers.forEach((s) => s.close());
      continue;
    }
    return {
      portBase,
      connections,
      close: async () => {
        sockets.forEach((s) => s.destroy());
        await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
      },
    };
  }
  throw new Error('no three consecutive free ports');
}

/** A port base with nothing listening on it. */
async function closedPortBase(): Promise<number> {
  const server = await listen(0, () => {});
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// --- Running a board and capturing its serial output. ---

interface Run {
  board: SimulatedBoard;
  bytes: () => Buffer;
  text: () => string;
  lines: string[];
  lineTimes: number[];
  results: TestResult[];
  /** performance.now() of each injected fault. */
  faultTimes: number[];
  /** Resolves when a line matching `pattern` has been printed (the nth one, 1-based). */
  line: (pattern: RegExp, nth?: number, timeoutMs?: number) => Promise<number>;
  idle: Promise<void>;
}

type Cleanup = TestContext['onTestFinished'];

function runBoard(uri: string, portBase: number, cleanup: Cleanup): Run {
  const chunks: Buffer[] = [];
  const serial = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  const board = SimulatedBoard.fromUri(uri, { host: '127.0.0.1', portBase, serial });
  const lines: string[] = [];
  const lineTimes: number[] = [];
  const results: TestResult[] = [];
  const faultTimes: number[] = [];
  const waiters: Array<() => void> = [];
  board.on('line', (line) => {
    lines.push(line);
    lineTimes.push(performance.now());
    waiters.splice(0).forEach((w) => w());
  });
  board.on('result', (r) => results.push(r));
  board.on('fault', () => faultTimes.push(performance.now()));
  const idle = new Promise<void>((resolve) => board.once('idle', resolve));
  const line = (pattern: RegExp, nth = 1, timeoutMs = 15_000): Promise<number> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no line ${pattern} (#${nth}) in:\n${lines.join('\n')}`)), timeoutMs);
      const check = (): void => {
        let seen = 0;
        const index = lines.findIndex((l) => pattern.test(l) && ++seen === nth);
        if (index >= 0) {
          clearTimeout(timer);
          resolve(index);
        } else waiters.push(check);
      };
      check();
    });
  cleanup(() => board.stop());
  board.start();
  return {
    board,
    bytes: () => Buffer.concat(chunks),
    text: () => Buffer.concat(chunks).toString('latin1'),
    lines,
    lineTimes,
    results,
    faultTimes,
    line,
    idle,
  };
}

async function withHost(cleanup: Cleanup): Promise<BenchHost> {
  const host = await startBenchHost();
  cleanup(() => host.close());
  return host;
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

const expectedKbps = (rate: number, durationS: number): number => firmwareKbps(rate * durationS, durationS);

/** The app's lines after the ROM and bootloader, up to and including `Got IP`. */
function appLines(lines: string[]): string[] {
  const start = lines.findIndex((l) => l.endsWith('boot: Disabling RNG early entropy source...')) + 1;
  const end = lines.findIndex((l) => l.startsWith('Got IP: '));
  return lines.slice(start, end + 1);
}

function roundLines(host: string, portBase: number, n: { download: number; upload: number; updown: number }): string[] {
  return [
    'Testing download...',
    `connecting to ${host}:${portBase}...`,
    'connected, testing...',
    `download: ${n.download} kB/s`,
    'Testing upload...',
    `connecting to ${host}:${portBase + 1}...`,
    'connected, testing...',
    `upload: ${n.upload} kB/s`,
    'Testing upload+download...',
    `connecting to ${host}:${portBase + 2}...`,
    'connected, testing...',
    `upload+download: ${n.updown} kB/s`,
  ];
}

describe.concurrent('SimulatedBoard against a bench host', () => {
  it('prints the legacy line sequence round after round, CRLF from the ROM and LF from the app', async ({ onTestFinished }) => {
    const host = await withHost(onTestFinished);
    const run = runBoard('sim:esp32c3?variant=legacy&rate=200000&duration=1&pause=0.5&rounds=2&boot=0.1', host.portBase, onTestFinished);
    await run.idle;

    const text = run.text();
    const appStart = text.indexOf('start connection task');
    const rom = text.slice(0, appStart);
    expect(rom.endsWith('I (121) boot: Disabling RNG early entropy source...\r\n')).toBe(true);
    expect(rom.split('\r\n').every((l) => !l.includes('\n') && !l.includes('\r'))).toBe(true);
    expect(text.slice(appStart)).not.toContain('\r');
    expect(text.endsWith('upload+download: ' + run.results.at(-1)!.kbps + ' kB/s\n')).toBe(true);
    expect(text.startsWith('ESP-ROM:esp32c3-api1-20210207\r\nBuild:Feb  7 2021\r\nrst:0x1 (POWERON),boot:0xc (SPI_FAST_FLASH_BOOT)\r\n')).toBe(true);
    expect(appLines(run.lines)).toEqual([
      'start connection task',
      'Device capabilities: Ok(EnumSet(Station | AccessPoint | AccessPointStation))',
      'Starting wifi',
      'Wifi started!',
      'About to connect...',
      'Wifi connected!',
      'Waiting to get IP address...',
      'Got IP: 127.0.0.2/24',
    ]);

    const afterIp = run.lines.slice(run.lines.indexOf('Got IP: 127.0.0.2/24') + 1);
    expect(afterIp).toHaveLength(24);
    const n = Object.fromEntries(run.results.slice(0, 3).map((r) => [r.phase, r.kbps])) as Record<TestPhase, number>;
    expect(afterIp).toEqual([
      ...roundLines('127.0.0.1', host.portBase, n),
      ...roundLines('127.0.0.1', host.portBase, Object.fromEntries(run.results.slice(3).map((r) => [r.phase, r.kbps])) as Record<TestPhase, number>),
    ]);
    for (const r of run.results) expect(Math.abs(r.kbps - expectedKbps(200_000, 1))).toBeLessThanOrEqual(1);

    // The connection of a test is aborted when the next test starts, not when its own test ends: the
    // upload+download connection of round 1 lives through the 0.5 s pause.
    const updown = host.connections.filter((c) => c.endpoint === 'updown');
    expect(updown).toHaveLength(2);
    const first = updown[0]!;
    const firstEnd = first.closedAt ?? first.endedAt;
    expect(firstEnd).not.toBeNull();
    expect(firstEnd! - first.acceptedAt).toBeGreaterThan(1000 + 400);
    // ...and the last one stays open while the board idles.
    expect(updown[1]!.closedAt).toBeNull();
    expect(updown[1]!.endedAt).toBeNull();
  });

  it('prints the esp-wifi (upstream.md) line sequence, every line ending CRLF with eol=crlf', async ({ onTestFinished }) => {
    const host = await withHost(onTestFinished);
    const run = runBoard('sim:esp32?variant=current&eol=crlf&rate=100000&duration=1&pause=0&rounds=1&boot=0.1&ip=127.0.0.9', host.portBase, onTestFinished);
    await run.idle;
    expect(run.text().startsWith('ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\nconfigsip: 0, SPIWP:0xee\r\n')).toBe(true);
    expect(run.lines).toContain('entry 0x4008064c');
    const app = appLines(run.lines);
    expect(app.slice(0, 4)).toEqual(['Starting wifi', 'Wifi configured and started!', 'start connection task', 'About to connect...']);
    expect(app[4]).toMatch(
      /^Wifi connected to ConnectedInfo \{ ssid: "espbench-sim", bssid: \[\d+(, \d+){5}\], channel: 6, authmode: Wpa2Personal, aid: 1 \}$/,
    );
    expect(app.slice(5)).toEqual(['Got IP: 127.0.0.9/24']);
    const n = Object.fromEntries(run.results.map((r) => [r.phase, r.kbps])) as Record<TestPhase, number>;
    expect(run.lines.slice(run.lines.indexOf('Got IP: 127.0.0.9/24') + 1)).toEqual(roundLines('127.0.0.1', host.portBase, n));
    expect(run.text().endsWith('\r\n')).toBe(true);
    expect(run.text().split('\r\n').every((l) => !l.includes('\n') && !l.includes('\r'))).toBe(true);
    expect(run.text()).toContain('\r\nGot IP: 127.0.0.9/24\r\nTesting download...\r\n');
  });

  it('supports bare LF line endings', async ({ onTestFinished }) => {
    const host = await withHost(onTestFinished);
    const run = runBoard('sim:esp32s3?eol=lf&boot=0&duration=0.3&pause=0&rounds=1', host.portBase, onTestFinished);
    await run.idle;
    expect(run.text()).not.toContain('\r');
    expect(run.text()).toContain('\nGot IP: 127.0.0.2/24\nTesting download...\n');
  });

  it('moves bytes at the configured rate: board count and host count within 0.5 %, kB/s within 1', async ({ onTestFinished }) => {
    const host = await withHost(onTestFinished);
    const rate = 1_000_000;
    const duration = 2;
    const run = runBoard(`sim:esp32c6?rate=${rate}&duration=${duration}&pause=0&rounds=1&boot=0`, host.portBase, onTestFinished);
    await run.idle;
    const expected = rate * duration;
    const byPhase = Object.fromEntries(run.results.map((r) => [r.phase, r])) as Record<TestPhase, TestResult>;
    const upload = host.connections.find((c) => c.endpoint === 'upload')!;
    // The board reset the upload connection when upload+download began; once the host has seen that (as an
    // error, or as the end of the data when the RST found bytes still unread), it has read every byte.
    await until(() => upload.closedAt !== null || upload.endedAt !== null, 'the host to see the upload connection end');
    const figures = {
      boardDownload: byPhase.download.totalBytes,
      boardUpload: byPhase.upload.totalBytes,
      hostUploadReceived: upload.rxBytes,
      boardUpdownReceived: byPhase.updown.totalBytes,
      kbps: run.results.map((r) => r.kbps),
      expectedKbps: expectedKbps(rate, duration),
    };
    console.log('accuracy at 1 MB/s for 2 s:', JSON.stringify(figures));

    expect(Math.abs(byPhase.download.totalBytes - expected) / expected).toBeLessThan(0.005);
    expect(Math.abs(upload.rxBytes - expected) / expected).toBeLessThan(0.005);
    expect(Math.abs(byPhase.upload.totalBytes - expected) / expected).toBeLessThan(0.005);
    expect(Math.abs(byPhase.updown.totalBytes - expected) / expected).toBeLessThan(0.005);
    for (const r of run.results) {
      expect(Math.abs(r.kbps - expectedKbps(rate, duration))).toBeLessThanOrEqual(1);
      expect(r.kbps).toBe(firmwareKbps(r.totalBytes, duration));
    }
  });

  it('honours per-direction rates', async ({ onTestFinished }) => {
    const host = await withHost(onTestFinished);
    const run = runBoard('sim:esp32c2?rate=300000&upload_rate=100000&updown_rate=50000&duration=1&pause=0&rounds=1&boot=0', host.portBase, onTestFinished);
    await run.idle;
    const kbps = Object.fromEntries(run.results.map((r) => [r.phase, r.kbps]));
    expect(Math.abs(kbps.download! - expectedKbps(300_000, 1))).toBeLessThanOrEqual(1);
    expect(Math.abs(kbps.upload! - expectedKbps(100_000, 1))).toBeLessThanOrEqual(1);
    expect(Math.abs(kbps.updown! - expectedKbps(50_000, 1))).toBeLessThanOrEqual(1);
  });

  it('connects from its own 127.0.0.N source address, so boards are told apart', async ({ onTestFinished }) => {
    const host = await withHost(onTestFinished);
    const a = runBoard('sim:esp32c3?ip=127.0.0.21&duration=0.3&pause=0&rounds=1&boot=0', host.portBase, onTestFinished);
    const b = runBoard('sim:esp32s3?ip=127.0.0.22&duration=0.3&pause=0&rounds=1&boot=0', host.portBase, onTestFinished);
    await Promise.all([a.idle, b.idle]);
    const addresses = host.connections.map((c) => c.remoteAddress).sort();
    expect(addresses).toEqual(['127.0.0.21', '127.0.0.21', '127.0.0.21', '127.0.0.22', '127.0.0.22', '127.0.0.22']);
    expect(a.lines).toContain('Got IP: 127.0.0.21/24');
    expect(b.lines).toContain('Got IP: 127.0.0.22/24');
  });

  it('reports refused connections as connect errors without result lines', async ({ onTestFinished }) => {
    const portBase = await closedPortBase();
    const run = runBoard('sim:esp32c3?duration=0.3&pause=0&rounds=1&boot=0', portBase, onTestFinished);
    await run.idle;
    const tail = run.lines.slice(run.lines.indexOf('Got IP: 127.0.0.2/24') + 1);
    expect(tail).toEqual([
      'Testing download...',
      `connecting to 127.0.0.1:${portBase}...`,
      'connect error: ConnectionReset',
      'Testing upload...',
      `connecting to 127.0.0.1:${portBase + 1}...`,
      'connect error: ConnectionReset',
      'Testing upload+download...',
      `connecting to 127.0.0.1:${portBase + 2}...`,
      'connect error: ConnectionReset',
    ]);
    expect(run.results).toEqual([]);
  });

  it('prints read EOF and the result at once when the host closes the download', async ({ onTestFinished }) => {
    const server = await listen(0, (socket) => socket.on('error', () => {}).end(Buffer.alloc(20_000)));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const run = runBoard('sim:esp32c3?duration=5&pause=0&rounds=1&boot=0', port, onTestFinished);
      const eof = await run.line(/^read EOF$/);
      await run.line(/^download: /);
      expect(run.lines[eof - 1]).toBe('connected, testing...');
      // The divisor stays TEST_DURATION even though the test ended early.
      expect(run.lines[eof + 1]).toBe(`download: ${firmwareKbps(20_000, 5)} kB/s`);
      // Ends at the EOF (20 kB at 1 MB/s: ~20 ms), not at the 5 s test timeout; the bound leaves room for a
      // loaded machine.
      expect(run.lineTimes[eof + 1]! - run.lineTimes[eof - 1]!).toBeLessThan(2500);
    } finally {
      server.close();
    }
  });
});

describe.concurrent('fault injection', () => {
  it('reset: a fresh ROM banner mid-test, then boots again and carries on', async ({ onTestFinished }) => {
    const host = await withHost(onTestFinished);
    const run = runBoard('sim:esp32c3?fault=reset@1:download&duration=0.6&pause=0&rounds=2&boot=0', host.portBase, onTestFinished);
    await run.idle;
    const banners = run.lines.flatMap((l, i) => (l.startsWith('ESP-ROM:') ? [i] : []));
    expect(banners).toHaveLength(2);
    const second = banners[1]!;
    expect(run.lines.slice(second - 2, second)).toEqual([`connecting to 127.0.0.1:${host.portBase}...`, 'connected, testing...']);
    expect(run.lines[second + 2]).toBe('rst:0xc (RTC_SW_CPU_RST),boot:0xc (SPI_FAST_FLASH_BOOT)');
    expect(run.lines[second + 3]).toMatch(/^Saved PC:0x403[0-9a-f]{5}$/);
    expect(run.lines.slice(0, second).some((l) => l.startsWith('download:'))).toBe(false);
    expect(run.lines.slice(second)).toContain('Got IP: 127.0.0.2/24');
    expect(run.results.map((r) => `${r.round}:${r.phase}`)).toEqual(['2:download', '2:upload', '2:updown']);
    // The interrupted connection was dropped at the reset, half-way (0.3 s) into the download: not before it,
    // and long before round 2's download (0.6 s) ended.
    const dropped = host.connections[0]!;
    expect(dropped.closedAt).not.toBeNull();
    expect(dropped.closedAt! - run.lineTimes[second - 1]!).toBeGreaterThanOrEqual(295);
    expect(dropped.closedAt!).toBeLessThan(run.lineTimes[run.lines.findIndex((l) => l.startsWith('download:'))]!);
  });

  it('panic: an esp-backtrace block in colour, a watchdog reset about 1 s later, then carries on', async ({ onTestFinished }) => {
    const host = await withHost(onTestFinished);
    const run = runBoard('sim:esp32?fault=panic@1:upload&colors=1&duration=0.6&pause=0&rounds=2&boot=0', host.portBase, onTestFinished);
    await run.idle;
    const text = run.text();
    const panicAt = text.indexOf('====================== PANIC ======================');
    expect(panicAt).toBeGreaterThan(0);
    expect(text.slice(0, panicAt).endsWith('connected, testing...\n\u001b[31m\n\n')).toBe(true);
    expect(text.slice(panicAt)).toMatch(
      /^====================== PANIC ======================\npanicked at src\/bin\/embassy_wifi_bench\.rs:\d+:\d+:\nespbench simulated panic \(fault panic@1:upload\)\n\u001b\[0m\n\nBacktrace:\n\n(0x400d[0-9a-f]{4}\n){3,8}\n\n\nets Jun {2}8 2016 00:22:57\r\n\r\nrst:0x7 \(TG0WDT_SYS_RESET\),boot:0x13 \(SPI_FAST_FLASH_BOOT\)\r\n/,
    );
    const panicLine = run.lines.indexOf('====================== PANIC ======================');
    const reboot = run.lines.lastIndexOf('ets Jun  8 2016 00:22:57');
    expect(run.lineTimes[reboot]! - run.lineTimes[panicLine]!).toBeGreaterThanOrEqual(900);
    expect(run.results.map((r) => `${r.round}:${r.phase}`)).toEqual(['1:download', '2:download', '2:upload', '2:updown']);
  });

  it('panic on RISC-V prints 0x4200xxxx frames or the frame-pointer note, without colours when colors=0', async ({ onTestFinished }) => {
    const host = await withHost(onTestFinished);
    const run = runBoard('sim:esp32c6?fault=panic@1:download&colors=0&duration=0.4&pause=0&rounds=1&boot=0', host.portBase, onTestFinished);
    await run.line(/^rst:0x7 \(TG0WDT_HPSYS\)/);
    expect(run.text()).not.toContain('\u001b');
    const i = run.lines.indexOf('Backtrace:');
    const body = run.lines.slice(i + 2, run.lines.indexOf('', i + 2));
    expect(body.length).toBeGreaterThan(0);
    expect(
      body.every((l) => /^0x4200[0-9a-f]{4}$/.test(l)) ||
        (body.length === 1 && body[0]!.startsWith('No backtrace available - make sure to force frame-pointers.')),
    ).toBe(true);
  });

  it('connect-error: prints ConnectionReset and goes on to the next test without a result', async ({ onTestFinished }) => {
    const host = await withHost(onTestFinished);
    const run = runBoard('sim:esp32c3?fault=connect-error@1:upload&duration=0.3&pause=0&rounds=1&boot=0', host.portBase, onTestFinished);
    await run.idle;
    const i = run.lines.indexOf('Testing upload...');
    expect(run.lines.slice(i, i + 4)).toEqual([
      'Testing upload...',
      `connecting to 127.0.0.1:${host.portBase + 1}...`,
      'connect error: ConnectionReset',
      'Testing upload+download...',
    ]);
    expect(run.results.map((r) => r.phase)).toEqual(['download', 'updown']);
    expect(host.connections.map((c) => c.endpoint)).toEqual(['download', 'updown']);
  });

  it('garbage: NULs, invalid UTF-8 and a line over 64 KiB mid-test, then carries on', async ({ onTestFinished }) => {
    const host = await withHost(onTestFinished);
    const run = runBoard('sim:esp32c3?fault=garbage@1:download&duration=0.6&pause=0&rounds=1&boot=0', host.portBase, onTestFinished);
    await run.idle;
    const bytes = run.bytes();
    expect(bytes.includes(0)).toBe(true);
    expect(Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes)).toBe(false);
    const longest = Math.max(...run.text().split(/\r?\n/).map((l) => l.length));
    expect(longest).toBeGreaterThan(64 * 1024);
    const text = run.text();
    const garbageAt = text.indexOf('\u0000');
    expect(garbageAt).toBeGreaterThan(text.indexOf('connected, testing...'));
    expect(text.indexOf('download: ')).toBeGreaterThan(garbageAt);
    expect(run.results.map((r) => r.phase)).toEqual(['download', 'upload', 'updown']);
  });

  it('stall (default): goes silent and stops all I/O for good', async ({ onTestFinished }) => {
    const host = await withHost(onTestFinished);
    const run = runBoard('sim:esp32c3?fault=stall@1:download&duration=0.4&pause=0&boot=0', host.portBase, onTestFinished);
    await run.line(/^connected, testing\.\.\.$/);
    await sleep(300);
    const download = host.connections[0]!;
    const sentAtStall = download.txBytes;
    const printed = run.bytes().length;
    await sleep(1200);
    expect(run.bytes().length).toBe(printed);
    expect(run.lines.at(-1)).toBe('connected, testing...');
    expect(host.connections).toHaveLength(1);
    expect(download.closedAt).toBeNull();
    // The board stopped reading, so the host could only fill socket buffers.
    expect(download.txBytes - sentAtStall).toBeLessThan(8 * 1024 * 1024);
  });

  it('stall=0.5: goes silent for 0.5 s, then prints the result and carries on', async ({ onTestFinished }) => {
    const host = await withHost(onTestFinished);
    const run = runBoard('sim:esp32c3?fault=stall@1:download&stall=0.5&rate=200000&duration=0.4&pause=0&rounds=1&boot=0', host.portBase, onTestFinished);
    await run.idle;
    const connected = run.lines.indexOf('connected, testing...');
    const result = run.lines.findIndex((l) => l.startsWith('download: '));
    expect(result).toBe(connected + 1);
    // Stalled at 0.2 s for 0.5 s: the result comes at ~0.7 s, with about half the bytes.
    expect(run.lineTimes[result]! - run.lineTimes[connected]!).toBeGreaterThan(650);
    const download = run.results.find((r) => r.phase === 'download')!;
    expect(download.totalBytes).toBeGreaterThan(200_000 * 0.2 * 0.8);
    // Nothing is credited for the stall: the count stops where the stall began (0.2 s in, or later when the
    // fault's timer runs late on a loaded machine), give or take one bucket (4096 B) and one read.
    expect(run.faultTimes).toHaveLength(1);
    const stalledAfterS = (run.faultTimes[0]! - run.lineTimes[connected]!) / 1000;
    expect(stalledAfterS).toBeGreaterThanOrEqual(0.195);
    expect(download.totalBytes).toBeLessThanOrEqual(200_000 * stalledAfterS + 4096 + 1024);
    expect(run.results.map((r) => r.phase)).toEqual(['download', 'upload', 'updown']);
  });
});

describe('standalone entry (dist/wifi-bench-sim/main.js)', () => {
  const mainJs = fileURLToPath(new URL('../../dist/wifi-bench-sim/main.js', import.meta.url));

  function spawnMain(args: string[]) {
    const child = spawn(process.execPath, [mainJs, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('latin1').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, out: () => stdout, err: () => stderr, exited };
  }

  it('runs the bench as a child process, ignores stdin and ends quietly on SIGTERM', async ({ onTestFinished }) => {
    const host = await withHost(onTestFinished);
    const main = spawnMain(['--host', '127.0.0.1', '--port-base', String(host.portBase), 'sim:esp32c3?rate=500000&duration=0.5&pause=0.2&boot=0.05&ip=127.0.0.33']);
    main.child.stdin.write('some keystrokes\r\n');
    const deadline = Date.now() + 15_000;
    while (!main.out().includes('upload+download: ') && Date.now() < deadline) await sleep(50);
    main.child.kill('SIGTERM');
    expect(await main.exited).toBe(0);
    expect(main.err()).toBe('');
    expect(main.out()).toMatch(/^ESP-ROM:esp32c3-api1-20210207\r\n/);
    expect(main.out()).toMatch(/\nGot IP: 127\.0\.0\.33\/24\nTesting download\.\.\.\n/);
    expect(main.out()).toMatch(/\nupload\+download: \d+ kB\/s\n/);
    expect(host.connections.map((c) => c.remoteAddress)).toContain('127.0.0.33');
  });

  it('rejects a bad sim URI with a one-line message naming the parameter', async ({ onTestFinished }) => {
    const main = spawnMain(['--host', '127.0.0.1', 'sim:esp32c3?rate=fast']);
    expect(await main.exited).toBe(2);
    expect(main.out()).toBe('');
    expect(main.err().trim().split('\n')).toHaveLength(1);
    expect(main.err()).toContain("'rate'");
    expect(main.err()).toContain('valid parameters: rate, download_rate');
  });

  it('rejects esp32h2 and a missing --host', async ({ onTestFinished }) => {
    const h2 = spawnMain(['--host', '127.0.0.1', 'sim:esp32h2']);
    expect(await h2.exited).toBe(2);
    expect(h2.err()).toContain('esp32h2 has no WiFi radio');
    const noHost = spawnMain(['sim:esp32c3']);
    expect(await noHost.exited).toBe(2);
    expect(noHost.err()).toContain('--host is required');
    expect(noHost.err()).toContain('usage: wifi-bench-sim --host <host ip> [--port-base 4321] <sim-uri>');
  });
});
