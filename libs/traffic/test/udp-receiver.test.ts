import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import {
  encodeUdpDatagram,
  encodeUdpHello,
  ListenError,
  parseUdpHello,
  PortInUseError,
  readUdpHeader,
  UDP_HEADER_BYTES,
  UDP_MAGIC,
  UdpReceiver,
  writeUdpHeader,
  type UdpDatagramInfo,
  type UdpIntervalSample,
  type UdpReceiverSummary,
} from '../src/index.js';
import { monoMs } from '../src/clock.js';
import { sleep, until } from './helpers.js';

const receivers: UdpReceiver[] = [];
const sockets: dgram.Socket[] = [];

async function receiver(opts: Parameters<typeof UdpReceiver.start>[0] = {}): Promise<UdpReceiver> {
  const r = await UdpReceiver.start({ host: '127.0.0.1', ...opts });
  receivers.push(r);
  return r;
}

afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

/** A stand-in for the board's sending socket. */
async function boardSocket(address = '127.0.0.1'): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  sockets.push(s);
  await new Promise<void>((resolve) => s.bind(0, address, () => resolve()));
  return s;
}

function send(s: dgram.Socket, port: number, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => s.send(data, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
}

/** Sends datagrams in the given order, 50 at a time with a pause, so that loopback drops none. */
async function sendAll(s: dgram.Socket, port: number, seqs: number[], size: number): Promise<void> {
  for (let i = 0; i < seqs.length; i++) {
    await send(s, port, encodeUdpDatagram(seqs[i]!, monoMs() * 1000, size));
    if (i % 50 === 49) await sleep(1);
  }
}

/** Deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** RFC 3550 §6.4.1 over the receiver's own timestamps, in arrival order, duplicates skipped; ms. */
function rfc3550JitterMs(events: UdpDatagramInfo[]): number {
  let j = 0;
  let prev: UdpDatagramInfo | null = null;
  for (const e of events) {
    if (e.duplicate) continue;
    if (prev) {
      const d = e.arrivalUs - prev.arrivalUs - (e.sendTimeUs - prev.sendTimeUs);
      j = j + (Math.abs(d) - j) / 16;
    }
    prev = e;
  }
  return j / 1000;
}

describe('datagram format', () => {
  it('writes and reads the 16-byte big-endian ESB1 header', () => {
    const sendTimeUs = 2 ** 40 + 123_456;
    const b = encodeUdpDatagram(0xfffffffe, sendTimeUs, 64);
    expect(b.length).toBe(64);
    expect(b.subarray(0, 4).toString('latin1')).toBe('ESB1');
    expect(b.readUInt32BE(0)).toBe(UDP_MAGIC);
    expect(b.readUInt32BE(4)).toBe(0xfffffffe);
    expect(b.readBigUInt64BE(8)).toBe(BigInt(sendTimeUs));
    expect(b.subarray(UDP_HEADER_BYTES).every((x) => x === 0)).toBe(true);
    expect(readUdpHeader(b)).toEqual({ seq: 0xfffffffe, sendTimeUs });
    expect(readUdpHeader(writeUdpHeader(Buffer.alloc(16), 7, 1.9))).toEqual({ seq: 7, sendTimeUs: 1 });
    expect(readUdpHeader(b.subarray(0, 15))).toBeNull();
    expect(readUdpHeader(Buffer.from('ESB0xxxxxxxxxxxxxxxx'))).toBeNull();
  });

  it('tells the download hello from scenario datagrams and junk', () => {
    expect(parseUdpHello(encodeUdpHello('r1'))).toBe('r1');
    expect(parseUdpHello(Buffer.from('{"id":"x","extra":1}'))).toBe('x');
    expect(parseUdpHello(Buffer.from('{"id":5}'))).toBeNull();
    expect(parseUdpHello(Buffer.from('["id"]'))).toBeNull();
    expect(parseUdpHello(Buffer.from('hello'))).toBeNull();
    expect(parseUdpHello(encodeUdpDatagram(0, 0, 32))).toBeNull();
    expect(parseUdpHello(Buffer.alloc(0))).toBeNull();
  });
});

describe('UdpReceiver', () => {
  it('counts drops, reordering and duplicates exactly', async () => {
    const N = 2000;
    const SIZE = 200;
    const r = await receiver();
    expect(r.port).toBeGreaterThan(0);
    // Order of sending: every 97th (from 13) dropped; pairs at k % 50 == 20 swapped (k+1 before k);
    // every 101st (from 7) sent twice in a row; seq 1000 sent after 1010 (one more out-of-order);
    // seq 5 sent again at the very end (a late duplicate: a duplicate, not out-of-order).
    const dropped = new Set<number>();
    for (let k = 13; k < N - 1; k += 97) dropped.add(k);
    const order: number[] = [];
    let dups = 0;
    let swaps = 0;
    for (let k = 0; k < N; k++) {
      if (dropped.has(k) || k === 1000) continue;
      if (k % 50 === 20 && !dropped.has(k + 1) && k + 1 < N && k + 1 !== 1000) {
        order.push(k + 1, k);
        swaps++;
        k++;
      } else {
        order.push(k);
      }
      if (k % 101 === 7) {
        order.push(k);
        dups++;
      }
      if (k === 1010) order.push(1000);
    }
    order.push(5);
    dups++;
    expect(swaps).toBeGreaterThan(30);

    const s = await boardSocket();
    await sendAll(s, r.port, order, SIZE);
    await until(() => r.summary().datagrams === order.length, 5000, 'all datagrams');
    const sum = r.summary();
    expect(sum.datagrams).toBe(order.length);
    expect(sum.bytes).toBe(order.length * SIZE);
    expect(sum.uniqueDatagrams).toBe(N - dropped.size);
    expect(sum.uniqueBytes).toBe((N - dropped.size) * SIZE);
    expect(sum.highestSeq).toBe(N - 1);
    expect(sum.expected).toBe(N);
    expect(sum.lost).toBe(dropped.size);
    expect(sum.duplicates).toBe(dups);
    expect(sum.outOfOrder).toBe(swaps + 1);
    expect(sum.lossPercent).toBeCloseTo((100 * dropped.size) / N, 10);
    expect(sum.remoteAddress).toBe('127.0.0.1');
    expect(sum.remotePort).toBe(s.address().port);
    expect(sum.ignored).toBe(0);
    expect(sum.invalid).toBe(0);
    // The sender's own count reveals datagrams lost after the last one received.
    const withTail = r.summary(N + 5);
    expect(withTail.expected).toBe(N + 5);
    expect(withTail.lost).toBe(dropped.size + 5);
  });

  it('reports loss % within tolerance for random drops', async () => {
    const N = 3000;
    const rand = prng(42);
    const sent = Array.from({ length: N }, (_, k) => k).filter((k) => k === N - 1 || rand() >= 0.03);
    const r = await receiver();
    const s = await boardSocket();
    await sendAll(s, r.port, sent, 100);
    await until(() => r.summary().datagrams === sent.length, 5000, 'all datagrams');
    const sum = r.summary();
    const exact = (100 * (N - sent.length)) / N;
    expect(sum.lost).toBe(N - sent.length);
    expect(sum.lossPercent).toBeCloseTo(exact, 10);
    expect(Math.abs(sum.lossPercent - 3)).toBeLessThan(1);
    expect(sum.outOfOrder).toBe(0);
    expect(sum.duplicates).toBe(0);
  });

  it('jitter (RFC 3550) is about 0 for evenly spaced datagrams and follows injected delay variation', async () => {
    const COUNT = 150;
    const run = async (delayUs: (i: number) => number) => {
      const r = await receiver();
      const events: UdpDatagramInfo[] = [];
      r.on('datagram', (e) => events.push(e));
      const s = await boardSocket();
      for (let i = 0; i < COUNT; i++) {
        // The send time is back-dated by the injected one-way delay: as if the datagram had left
        // that long ago and spent it in the network.
        await send(s, r.port, encodeUdpDatagram(i, monoMs() * 1000 - delayUs(i), 100));
        await sleep(2);
      }
      await until(() => events.length === COUNT, 5000, 'all datagrams');
      return { sum: await r.close(), events };
    };

    const even = await run(() => 0);
    expect(even.sum.jitterMs).toBeCloseTo(rfc3550JitterMs(even.events), 9);
    expect(even.sum.jitterMs).toBeLessThan(1);

    const rand = prng(7);
    const delays = Array.from({ length: COUNT }, () => Math.floor(rand() * 8000));
    const varied = await run((i) => delays[i]!);
    expect(varied.sum.jitterMs).toBeCloseTo(rfc3550JitterMs(varied.events), 9);
    // From the injected delays alone (a lossless, in-order network adds little of its own).
    let j = 0;
    for (let i = 1; i < COUNT; i++) j += (Math.abs(delays[i]! - delays[i - 1]!) - j) / 16;
    expect(varied.sum.jitterMs).toBeGreaterThan(1.5);
    expect(Math.abs(varied.sum.jitterMs - j / 1000)).toBeLessThan(even.sum.jitterMs + 0.5);
    expect(varied.sum.jitterMs).toBeGreaterThan(even.sum.jitterMs + 1);
  });

  it('emits interval samples from the first datagram whose sums equal the totals', async () => {
    const r = await receiver({ intervalMs: 100 });
    const samples: UdpIntervalSample[] = [];
    r.on('interval', (x) => samples.push(x));
    let closed: UdpReceiverSummary | null = null;
    r.on('close', (x) => (closed = x));
    await sleep(150); // nothing yet: no samples before the first datagram
    expect(samples).toHaveLength(0);
    const s = await boardSocket();
    const end = Date.now() + 350;
    let seq = 0;
    while (Date.now() < end) {
      await send(s, r.port, encodeUdpDatagram(seq++, monoMs() * 1000, 500));
      await sleep(2);
    }
    await until(() => r.summary().datagrams === seq, 5000, 'all datagrams');
    const sum = await r.close();
    expect(closed).toEqual(sum);
    expect(sum.intervals).toEqual(samples);
    expect(samples.length).toBeGreaterThanOrEqual(3);
    expect(samples.reduce((a, x) => a + x.bytes, 0)).toBe(sum.bytes);
    expect(samples.reduce((a, x) => a + x.datagrams, 0)).toBe(seq);
    for (let i = 1; i < samples.length; i++) expect(samples[i]!.t).toBeGreaterThanOrEqual(samples[i - 1]!.t);
    expect(samples[0]!.t).toBeGreaterThan(0.08);
    expect(samples[0]!.t).toBeLessThan(0.2);
    // The last, partial interval ends at the last arrival.
    expect(samples.at(-1)!.t).toBeCloseTo(sum.durationS, 9);
    expect(sum.durationS).toBeGreaterThan(0.3);
    expect(sum.kibps).toBeCloseTo(((sum.bytes - 500) / 1024) / sum.durationS, 9);
    expect(sum.lastArrivalAt! - sum.firstArrivalAt!).toBeCloseTo(sum.durationS * 1000, 3);
    expect(Math.abs(sum.firstArrivalAt! - (Date.now() - 400))).toBeLessThan(300);
  });

  it('counts only datagrams from the expected source, and ESB1 ones only', async () => {
    const r = await receiver({ host: '0.0.0.0', expectedSource: '::ffff:127.0.0.2' });
    const stranger = await boardSocket('127.0.0.1');
    const board = await boardSocket('127.0.0.2');
    await send(stranger, r.port, encodeUdpDatagram(0, 0, 100));
    await send(stranger, r.port, encodeUdpDatagram(1, 0, 100));
    await send(board, r.port, Buffer.from('not a scenario datagram'));
    await send(board, r.port, Buffer.alloc(8));
    await send(board, r.port, encodeUdpDatagram(0, 0, 100));
    await until(() => r.summary().datagrams === 1, 5000, 'the board datagram');
    await sleep(20);
    const sum = r.summary();
    expect(sum).toMatchObject({ datagrams: 1, ignored: 2, invalid: 2, remoteAddress: '127.0.0.2', remotePort: board.address().port });
  });

  it('sends from its own socket (a simulated board hello)', async () => {
    const r = await receiver();
    const host = await boardSocket();
    const got = new Promise<{ msg: Buffer; port: number }>((resolve) => host.once('message', (msg, rinfo) => resolve({ msg, port: rinfo.port })));
    await r.send(encodeUdpHello('r9'), host.address().port, '127.0.0.1');
    const { msg, port } = await got;
    expect(parseUdpHello(msg)).toBe('r9');
    expect(port).toBe(r.port);
  });

  it('names a taken port and other bind failures with typed errors', async () => {
    const first = await receiver();
    const taken = await UdpReceiver.start({ host: '127.0.0.1', port: first.port }).catch((e: unknown) => e);
    expect(taken).toBeInstanceOf(PortInUseError);
    expect((taken as PortInUseError).port).toBe(first.port);
    expect((taken as PortInUseError).message).toContain(String(first.port));

    const foreign = await UdpReceiver.start({ host: '192.0.2.1', port: 0 }).catch((e: unknown) => e);
    expect(foreign).toBeInstanceOf(ListenError);
    expect((foreign as ListenError).code).toBe('EADDRNOTAVAIL');
    expect((foreign as ListenError).message).toContain('not an address of this host');

    await expect(UdpReceiver.start({ intervalMs: 0 })).rejects.toThrow(RangeError);
    await expect(UdpReceiver.start({ port: 70000 })).rejects.toThrow(RangeError);
  });

  it('close is idempotent and a summary before any datagram is empty', async () => {
    const r = await UdpReceiver.start({ host: '127.0.0.1' });
    const a = r.close();
    expect(r.close()).toBe(a);
    const sum = await a;
    expect(sum).toMatchObject({ datagrams: 0, highestSeq: -1, expected: 0, lost: 0, lossPercent: 0, jitterMs: 0, kibps: 0, firstArrivalAt: null, intervals: [] });
  });
});
