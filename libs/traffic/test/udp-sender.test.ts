import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConnectionTimeoutError,
  encodeUdpHello,
  PortInUseError,
  readUdpHeader,
  UdpReceiver,
  UdpSender,
  type UdpIntervalSample,
  type UdpPeer,
  type UdpSenderSummary,
} from '../src/index.js';
import { sleep, until } from './helpers.js';

const senders: UdpSender[] = [];
const receivers: UdpReceiver[] = [];
const sockets: dgram.Socket[] = [];

async function sender(opts: Partial<Parameters<typeof UdpSender.start>[0]> = {}): Promise<UdpSender> {
  const s = await UdpSender.start({ host: '127.0.0.1', rate: 100_000, ...opts });
  senders.push(s);
  return s;
}

async function boardSocket(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  sockets.push(s);
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
  return s;
}

function send(s: dgram.Socket, port: number, data: Buffer | string): Promise<void> {
  return new Promise((resolve, reject) => s.send(data, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
}

afterEach(async () => {
  await Promise.all(senders.splice(0).map((s) => s.close()));
  await Promise.all(receivers.splice(0).map((r) => r.close()));
  for (const s of sockets.splice(0)) s.close();
});

describe('UdpSender', () => {
  it('learns the board address from its hello and sends ESB1 datagrams there', async () => {
    const tx = await sender({ rate: 200_000, payload: 300, expectedId: 'r7' });
    expect(tx.port).toBeGreaterThan(0);
    const board = await boardSocket();
    const got: Buffer[] = [];
    board.on('message', (m) => got.push(m));
    const peers: UdpPeer[] = [];
    tx.on('peer', (p) => peers.push(p));
    const waiting = tx.waitForPeer(5000);

    await send(board, tx.port, 'not json');
    await send(board, tx.port, encodeUdpHello('other-run'));
    await sleep(30);
    expect(tx.peer).toBeNull();
    expect(got).toHaveLength(0);

    const before = Date.now();
    await send(board, tx.port, encodeUdpHello('r7'));
    const peer = await waiting;
    expect(peer).toMatchObject({ id: 'r7', address: '127.0.0.1', port: board.address().port });
    expect(peer.at).toBeGreaterThanOrEqual(before - 1);
    expect(peers).toEqual([peer]);
    expect(await tx.waitForPeer(10)).toBe(peer);

    await until(() => got.length >= 20, 5000, '20 datagrams');
    await send(board, tx.port, encodeUdpHello('r7')); // a repeated hello changes nothing
    const s = await tx.stop();
    await sleep(20);
    expect(s.state).toBe('stopped');
    expect(s.peer).toEqual(peer);
    expect(s.hellos).toBeGreaterThanOrEqual(1);
    expect(s.ignored).toBe(2);
    expect(s.errors).toBe(0);
    expect(s.datagrams).toBe(got.length);
    expect(s.bytes).toBe(got.length * 300);
    const headers = got.map((m) => readUdpHeader(m));
    expect(got.every((m) => m.length === 300)).toBe(true);
    expect(headers.map((h) => h!.seq)).toEqual(got.map((_, i) => i));
    for (let i = 1; i < headers.length; i++) expect(headers[i]!.sendTimeUs).toBeGreaterThanOrEqual(headers[i - 1]!.sendTimeUs);
  });

  it('holds 1,000,000 B/s within 2% over 2 s as measured by the receiver', async () => {
    const RATE = 1_000_000;
    const run = async () => {
      const rx = await UdpReceiver.start({ host: '127.0.0.1', intervalMs: 500 });
      receivers.push(rx);
      const tx = await sender({ rate: RATE, payload: 1400, durationMs: 2000, expectedSource: '127.0.0.1' });
      const samples: UdpIntervalSample[] = [];
      rx.on('interval', (x) => samples.push(x));
      await rx.send(encodeUdpHello('u1'), tx.port, '127.0.0.1');
      const s = await tx.finished;
      await until(() => rx.summary().datagrams === s.datagrams, 2000, 'the last datagrams');
      return { s, r: await rx.close(), samples };
    };
    // The token bucket keeps 10 ms of credit; a loop stalled longer than that (an overloaded
    // machine) spills credit and the run says nothing about the pacing: repeat it once.
    let { s, r, samples } = await run();
    if (s.spilledBytes > 0.005 * RATE * 2) ({ s, r, samples } = await run());
    const info = JSON.stringify({ sender: { ...s, errorCodes: undefined }, receiver: { ...r, intervals: undefined } });

    expect(s.state, info).toBe('duration');
    expect(s.durationS).toBeCloseTo(2, 9);
    expect(s.errors).toBe(0);
    // Within 2% as sent; and the pacing itself (what was sent plus credit a stalled loop had to drop)
    // within 1%, so a loaded machine cannot hide a pacing error.
    expect(Math.abs(s.rateError), info).toBeLessThan(0.02);
    expect(Math.abs((s.bytes + s.spilledBytes) / (RATE * s.durationS) - 1), info).toBeLessThan(0.01);
    expect(r.lost, info).toBe(0);
    expect(r.uniqueDatagrams).toBe(s.datagrams);
    expect(r.bytes).toBe(s.bytes);
    expect(r.outOfOrder).toBe(0);
    expect(r.durationS).toBeGreaterThan(1.95);
    expect(Math.abs((r.kibps * 1024) / RATE - 1), info).toBeLessThan(0.02);
    // Each full 500 ms interval carries about 500,000 bytes.
    const full = samples.filter((x, i) => i < samples.length - 1 && x.t <= r.durationS);
    expect(full.length).toBeGreaterThanOrEqual(3);
    for (const x of full) expect(Math.abs(x.bytes / (RATE / 2) - 1), info).toBeLessThan(0.05);
  });

  it('waitForPeer times out, aborts, and rejects on close', async () => {
    const tx = await sender({ expectedSource: '127.0.0.3' });
    const t0 = Date.now();
    const err = await tx.waitForPeer(100).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionTimeoutError);
    expect((err as Error).message).toContain(`port ${tx.port}`);
    expect((err as Error).message).toContain('from 127.0.0.3');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(95);

    // A hello from another address than the expected one is not the board's.
    const board = await boardSocket();
    await send(board, tx.port, encodeUdpHello('x'));
    await sleep(30);
    expect(tx.peer).toBeNull();
    expect(tx.summary().ignored).toBe(1);

    const ac = new AbortController();
    const aborted = tx.waitForPeer(5000, ac.signal);
    ac.abort(new Error('cancelled'));
    await expect(aborted).rejects.toThrow('cancelled');

    const pending = tx.waitForPeer(5000);
    await tx.close();
    await expect(pending).rejects.toThrow('closed');
    const s = await tx.finished;
    expect(s).toMatchObject({ state: 'closed', datagrams: 0, peer: null, durationS: 0, achievedRate: 0 });
  });

  it('counts send errors instead of failing when the board goes away', async () => {
    const tx = await sender({ rate: 200_000, payload: 200, durationMs: 300 });
    const board = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => board.bind(0, '127.0.0.1', () => resolve()));
    await new Promise<void>((resolve) => board.send(encodeUdpHello('gone'), tx.port, '127.0.0.1', () => resolve()));
    await tx.waitForPeer(2000);
    board.close(); // ICMP port unreachable from now on: the connected socket's sends fail with ECONNREFUSED
    const s = await tx.finished;
    expect(s.state).toBe('duration');
    expect(s.errors).toBeGreaterThan(0);
    expect(s.errorCodes['ECONNREFUSED']).toBeGreaterThan(0);
    expect(s.datagrams + s.errors).toBeGreaterThan(100);
  });

  it('stopped before the hello, it never sends', async () => {
    const tx = await sender();
    let finished: UdpSenderSummary | null = null;
    tx.on('finish', (s) => (finished = s));
    const s = await tx.stop();
    expect(finished).toBe(s);
    expect(s.state).toBe('stopped');
    const board = await boardSocket();
    const got: Buffer[] = [];
    board.on('message', (m) => got.push(m));
    await send(board, tx.port, encodeUdpHello('late'));
    await until(() => tx.peer !== null, 2000, 'the hello');
    await sleep(50);
    expect(got).toHaveLength(0);
    expect(tx.summary()).toMatchObject({ state: 'stopped', datagrams: 0 });
  });

  it('rejects bad options and a taken port with typed errors', async () => {
    await expect(UdpSender.start({ rate: 0 })).rejects.toThrow(RangeError);
    await expect(UdpSender.start({ rate: 1000, payload: 15 })).rejects.toThrow(RangeError);
    await expect(UdpSender.start({ rate: 1000, payload: 65508 })).rejects.toThrow(RangeError);
    await expect(UdpSender.start({ rate: 1000, durationMs: -1 })).rejects.toThrow(RangeError);
    const first = await sender();
    const err = await UdpSender.start({ host: '127.0.0.1', port: first.port, rate: 1000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PortInUseError);
    expect((err as PortInUseError).port).toBe(first.port);
  });
});
