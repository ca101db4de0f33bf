import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
// From the source, not '@espbench/tools/testing': tools depends on this package, so importing its
// build here would be a dependency cycle (and nothing would build tools before this package's tests).
import { requireCommand } from '../../../tools/src/testing/require-command.js';
import {
  findIperf2,
  Iperf2Error,
  Iperf2MissingError,
  Iperf2VersionError,
  parseIperf2Csv,
  pickFreePort,
  runIperf2Client,
  startIperf2Server,
  type Iperf2Report,
  type Iperf2Server,
} from '../src/index.js';
import { portIsBound } from '../src/iperf2.js';
import { sleep } from './helpers.js';

const HOST = '127.0.0.1';
const UDP_LEN = 1470; // iperf 2's default -l for UDP over IPv4

const servers: Iperf2Server[] = [];
const children: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), 'espbench-iperf2-'));

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every test needs the real iperf 2: missing, it fails with the install hint (never skipped). */
function iperf(): string {
  return requireCommand('iperf', 'iperf');
}

async function server(opts: Parameters<typeof startIperf2Server>[0]): Promise<Iperf2Server> {
  const s = await startIperf2Server({ host: HOST, ...opts });
  servers.push(s);
  return s;
}

interface RealRun {
  code: number | null;
  reports: Iperf2Report[];
  stderr: string;
  /** Date.now() when it exited. */
  exitedAt: number;
}

/** The real iperf, started by the test itself, with -y C. */
function realIperf(args: string[]): { child: ChildProcess; result: Promise<RealRun> } {
  const child = spawn(iperf(), [...args, '-y', 'C'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const result = new Promise<RealRun>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) =>
      resolve({
        code,
        reports: out.split('\n').map(parseIperf2Csv).filter((r): r is Iperf2Report => r !== null),
        stderr: err,
        exitedAt: Date.now(),
      }),
    );
  });
  return { child, result };
}

/** A real one-connection `iperf -s` on a free port, bound when this resolves. */
async function realServer(udp: boolean): Promise<{ port: number; result: Promise<RealRun> }> {
  const port = await pickFreePort(HOST, udp);
  const { result } = realIperf(['-s', '-P', '1', '-B', HOST, '-p', String(port), '-i', '1', ...(udp ? ['-u'] : [])]);
  const deadline = Date.now() + 5000;
  while (!(await portIsBound(port, udp))) {
    if (Date.now() > deadline) throw new Error(`iperf -s did not bind port ${port}`);
    await sleep(20);
  }
  return { port, result };
}

const sum = (rs: Iperf2Report[], f: (r: Iperf2Report) => number) => rs.reduce((a, r) => a + f(r), 0);

/**
 * Intervals are back to back from 0, end no later than the total, and their bytes add up to it,
 * short of at most the tail after the last interval that iperf found too small to report.
 */
function expectIntervalsAddUp(intervals: Iperf2Report[], total: Iperf2Report, slackBytes = 0): void {
  expect(intervals.length).toBeGreaterThan(0);
  expect(total.startS).toBe(0);
  let t = 0;
  for (const r of intervals) {
    expect(r.startS).toBeCloseTo(t, 5);
    expect(r.endS).toBeGreaterThan(r.startS);
    t = r.endS;
  }
  expect(t).toBeLessThanOrEqual(total.endS);
  const summed = sum(intervals, (r) => r.bytes);
  expect(summed).toBeLessThanOrEqual(total.bytes);
  const tail = ((total.endS - t + 0.1) * total.bitsPerSecond) / 8;
  expect(total.bytes - summed).toBeLessThanOrEqual(tail + slackBytes);
}

describe('findIperf2', () => {
  it('finds iperf 2 on PATH and reads its version', async () => {
    const path = iperf();
    const bin = await findIperf2();
    expect(bin.path).toBe(path);
    expect(bin.version).toMatch(/^2\.\d+\.\d+$/);
    expect(bin.versionText).toMatch(/^iperf version 2\./);
  });

  it('without iperf on PATH: Iperf2MissingError with the fix', async () => {
    iperf();
    const err = await findIperf2({ path: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Iperf2MissingError);
    const missing = err as Iperf2MissingError;
    expect(missing.fix).toContain('apt-get install iperf');
    expect(missing.fix).toContain('brew install iperf');
    expect(missing.message).toContain('apt-get install iperf');
    expect(missing.message).toContain(dir);
    // The same error from the functions that run it.
    await expect(startIperf2Server({ binary: join(dir, 'iperf') })).rejects.toBeInstanceOf(Iperf2MissingError);
    await expect(runIperf2Client({ host: HOST, port: 5001, binary: join(dir, 'nope') })).rejects.toBeInstanceOf(Iperf2MissingError);
  });

  it('refuses iperf 3 with a clear message', async () => {
    const fake = join(dir, 'iperf3-as-iperf');
    writeFileSync(fake, '#!/bin/sh\necho "iperf 3.12 (cJSON 1.7.15)"\necho "Linux box 6.1.0 #1 SMP x86_64"\n');
    chmodSync(fake, 0o755);
    const err = await findIperf2({ command: fake }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Iperf2VersionError);
    expect((err as Error).message).toMatch(/is iperf 3 .*iperf 2.*apt-get install iperf/);
  });
});

describe('startIperf2Server (host is the server, a real iperf -c the board)', () => {
  it('TCP: streams intervals, names the peer, and its total equals what the client sent', async () => {
    iperf();
    const s = await server({ port: 0, intervalS: 1 });
    expect(s.port).toBeGreaterThan(0);
    expect(await portIsBound(s.port, false)).toBe(true);
    const peers: unknown[] = [];
    s.on('peer', (p) => peers.push(p));

    const client = realIperf(['-c', HOST, '-p', String(s.port), '-t', '3', '-i', '1', '-b', '40m']);
    const seen: { r: Iperf2Report; at: number }[] = [];
    for await (const r of s) seen.push({ r, at: Date.now() });
    const summary = await s.done;
    const sent = await client.result;
    expect(sent.code).toBe(0);
    const sentTotal = sent.reports.at(-1)!;

    // As they come: the first interval arrived well before the client finished.
    expect(seen[0]!.at).toBeLessThan(sent.exitedAt - 1000);
    expect(seen.map((x) => x.r)).toEqual(s.intervals);
    expect(s.summary).toBe(summary);
    // Peer = the client's socket, as the client itself reports it.
    expect(s.peer).toEqual(sentTotal.source);
    expect(peers).toEqual([sentTotal.source]);
    expect(summary.destination).toEqual({ address: HOST, port: s.port });
    // TCP: every byte sent was received.
    expect(summary.bytes).toBe(sentTotal.bytes);
    expect(summary.bytes).toBeGreaterThan(10_000_000); // ~40 Mbit/s for 3 s
    expect(summary.endS).toBeCloseTo(3, 0);
    expect(summary.bitsPerSecond).toBeGreaterThan(0.9 * ((summary.bytes * 8) / (summary.endS + 0.1)));
    expect(summary.bitsPerSecond).toBeLessThan(1.1 * ((summary.bytes * 8) / (summary.endS - 0.1)));
    expectIntervalsAddUp(s.intervals, summary);
    expect(summary.udp).toBeNull();
  });

  it('UDP with -b: jitter/loss columns, total consistent with the datagrams that arrived', async () => {
    iperf();
    const s = await server({ port: 0, udp: true, intervalS: 1 });
    const intervals: Iperf2Report[] = [];
    s.on('interval', (r) => intervals.push(r));
    const client = realIperf(['-c', HOST, '-u', '-p', String(s.port), '-t', '3', '-i', '1', '-b', '2m']);
    const summary = await s.done;
    const sent = await client.result;
    expect(sent.code).toBe(0);
    const sentTotal = sent.reports.at(-1)!;

    expect(intervals).toEqual(s.intervals);
    expect(s.peer).toEqual(sentTotal.source);
    const udp = summary.udp!;
    expect(udp).not.toBeNull();
    expect(udp.jitterMs).toBeGreaterThanOrEqual(0);
    expect(udp.datagrams).toBeGreaterThan(400); // 2 Mbit/s of 1470-byte datagrams: ~170/s
    expect(summary.bytes).toBeLessThanOrEqual(sentTotal.bytes);
    if (udp.outOfOrder === 0) expect(summary.bytes).toBe((udp.datagrams - udp.lost) * UDP_LEN);
    if (udp.lost === 0) expect(summary.bytes).toBe(sentTotal.bytes);
    expect(summary.bytes).toBeGreaterThan(0.5 * sentTotal.bytes);
    expectIntervalsAddUp(s.intervals, summary, 4 * UDP_LEN);
    expect(sum(s.intervals, (r) => r.udp!.datagrams)).toBeLessThanOrEqual(udp.datagrams);
  });

  it('a port already taken: Iperf2Error naming it', async () => {
    iperf();
    const first = await server({ port: 0 });
    const err = await startIperf2Server({ host: HOST, port: first.port }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Iperf2Error);
    expect((err as Error).message).toMatch(new RegExp(`could not listen on TCP port ${first.port}.*Address already in use`));
  });

  it('abort kills the process group and rejects done with the reason', async () => {
    iperf();
    const ac = new AbortController();
    const s = await server({ port: 0, signal: ac.signal });
    const pid = s.pid!;
    const exited = new Promise<void>((r) => s.once('exit', () => r()));
    const reason = new Error('test over');
    ac.abort(reason);
    await expect(s.done).rejects.toBe(reason);
    await exited;
    expect(() => process.kill(-pid, 0)).toThrow(/ESRCH/);
    expect(await portIsBound(s.port, false)).toBe(false);
  });

  it('close() before any connection rejects done', async () => {
    iperf();
    const s = await server({ port: 0, udp: true });
    await s.close();
    await expect(s.done).rejects.toThrow(/was closed before a transfer ended/);
    const it = s[Symbol.asyncIterator]();
    await expect(it.next()).rejects.toThrow(Iperf2Error);
  });
});

describe('runIperf2Client (host is the client, a real iperf -s the board)', () => {
  it('TCP with -b: its total equals what the server received', async () => {
    iperf();
    const srv = await realServer(false);
    const res = await runIperf2Client({ host: HOST, port: srv.port, durationS: 2, intervalS: 0.5, bandwidth: 40e6 });
    const received = await srv.result;
    expect(received.code).toBe(0);
    const receivedTotal = received.reports.at(-1)!;

    expect(res.remote).toEqual({ address: HOST, port: srv.port });
    expect(res.local).toEqual(receivedTotal.source);
    expect(res.summary.bytes).toBe(receivedTotal.bytes);
    expect(res.summary.endS).toBeCloseTo(2, 0);
    expect(res.intervals.length).toBeGreaterThanOrEqual(3);
    expect(res.intervals[0]!.endS).toBeCloseTo(0.5, 5);
    expectIntervalsAddUp(res.intervals, res.summary, 2 * 128 * 1024); // -l 128K writes
    expect(res.command).toEqual(expect.arrayContaining(['-c', HOST, '-y', 'C', '-b', '40000000']));
  });

  it('UDP with -b: sends at about the rate, the server counts what arrived', async () => {
    iperf();
    const srv = await realServer(true);
    const res = await runIperf2Client({ host: HOST, port: srv.port, durationS: 2, udp: true, bandwidth: '2m' });
    const received = await srv.result;
    expect(received.code).toBe(0);
    const receivedTotal = received.reports.at(-1)!;

    expect(res.summary.udp).not.toBeNull();
    expect(res.summary.bytes % UDP_LEN).toBe(0);
    expect(receivedTotal.bytes).toBeLessThanOrEqual(res.summary.bytes);
    expect(receivedTotal.bytes).toBeGreaterThan(0.5 * res.summary.bytes);
    expect(res.local).toEqual(receivedTotal.source);
    // 2 Mbit/s (10^6-based `m`) for 2 s
    expect(res.summary.bitsPerSecond).toBeGreaterThan(1.6e6);
    expect(res.summary.bitsPerSecond).toBeLessThan(2.4e6);
    expectIntervalsAddUp(res.intervals, res.summary, 4 * UDP_LEN);
    for (const r of res.intervals) expect(r.bytes).toBe(r.udp!.datagrams * UDP_LEN);
  });

  it('nobody listening: Iperf2Error, not an empty result', async () => {
    iperf();
    const port = await pickFreePort(HOST);
    await expect(runIperf2Client({ host: HOST, port, durationS: 1 })).rejects.toThrow(/no iperf 2 server answered at TCP 127\.0\.0\.1:\d+.*Connection refused/);
  });

  it('abort stops it at once and kills its process group', async () => {
    iperf();
    const srv = await realServer(false);
    const ac = new AbortController();
    const started = Date.now();
    const run = runIperf2Client({ host: HOST, port: srv.port, durationS: 30, bandwidth: 10e6, signal: ac.signal });
    setTimeout(() => ac.abort(new Error('enough')), 500);
    await expect(run).rejects.toThrow('enough');
    expect(Date.now() - started).toBeLessThan(5000);
    // The server saw its client go away and finished with what it got.
    const received = await srv.result;
    expect(received.reports.at(-1)!.bytes).toBeGreaterThan(0);
  });

  it('rejects bad options before starting anything', async () => {
    await expect(runIperf2Client({ host: HOST, port: 0 })).rejects.toThrow(RangeError);
    await expect(runIperf2Client({ host: HOST, port: 5001, bandwidth: '10 Mbit' })).rejects.toThrow(/not iperf's/);
    await expect(runIperf2Client({ host: HOST, port: 5001, durationS: 0 })).rejects.toThrow(RangeError);
  });
});
