import { endianness } from 'node:os';
import { describe, expect, it } from 'vitest';
import { normalizeAddress, procKey } from '../src/address.js';
import { lowerEnvelope, SampleLog } from '../src/estimator.js';
import { parseTxQueue } from '../src/tcp-queue.js';

const le = endianness() === 'LE';

describe('addresses', () => {
  it('normalises IPv4-mapped IPv6 addresses', () => {
    expect(normalizeAddress('::ffff:127.0.0.2')).toBe('127.0.0.2');
    expect(normalizeAddress('::FFFF:192.168.1.20')).toBe('192.168.1.20');
    expect(normalizeAddress('192.168.1.20')).toBe('192.168.1.20');
    expect(normalizeAddress('::1')).toBe('::1');
    expect(normalizeAddress(undefined)).toBe('');
  });

  it('encodes sockets the way /proc/net/tcp prints them', () => {
    expect(procKey('127.0.0.1', 4321, '192.168.1.20', 50000)).toEqual({
      key: le ? '0100007F:10E1 1401A8C0:C350' : '7F000001:10E1 C0A80114:C350',
      file: 'tcp',
    });
    expect(procKey('::ffff:127.0.0.1', 4321, '::ffff:127.0.0.2', 0x1234)).toEqual({
      key: le
        ? '0000000000000000FFFF00000100007F:10E1 0000000000000000FFFF00000200007F:1234'
        : '00000000000000000000FFFF7F000001:10E1 00000000000000000000FFFF7F000002:1234',
      file: 'tcp6',
    });
    expect(procKey('::1', 80, 'fe80::1:2', 1)?.key).toBe(
      le ? '00000000000000000000000001000000:0050 000080FE000000000000000002000100:0001' : '00000000000000000000000000000001:0050 FE800000000000000000000000010002:0001',
    );
    expect(procKey('not-an-ip', 1, '1.2.3.4', 2)).toBeNull();
  });

  it('reads tx_queue from a /proc/net/tcp line', () => {
    const text = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 00000000:10E1 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1591 1 0 100 0 0 10 0',
      '   1: 0100007F:10E1 0200007F:C351 06 00000000:00000000 03:00001722 00000000     0        0 0 3 0',
      '   2: 0100007F:10E1 0200007F:C351 01 00000400:00000000 01:00000014 00000000     0        0 1713 1 0 20 4 30 10 -1',
      '   3: 0100007F:10E1 0200007F:C350 01 003D0900:00000000 01:00000014 00000000     0        0 1712 1 0 20 4 30 10 -1',
    ].join('\n');
    expect(parseTxQueue(text, '0100007F:10E1 0200007F:C350')).toBe(0x3d0900);
    expect(parseTxQueue(text, '0100007F:10E1 0300007F:C350')).toBeNull();
    expect(parseTxQueue(text, '0100007F:10E1 0200007F:C351')).toBe(0x400); // not the TIME_WAIT line
  });
});

function log(points: [number, number][]): SampleLog {
  const l = new SampleLog();
  for (const [t, v] of points) l.push(t, v);
  return l;
}

describe('lower envelope', () => {
  it('recovers a steady rate under a sawtooth backlog within backlog/duration', () => {
    const rate = 1_000_000;
    const points: [number, number][] = [];
    // Reader at `rate` for 10 s; the unread backlog cycles 0..64 KiB every 70 ms, then stays full.
    for (let t = 0.005; t <= 12; t += 0.005) {
      const read = rate * Math.min(t, 10);
      const backlog = t < 10 ? ((t % 0.07) / 0.07) * 65536 : 65536;
      points.push([t, Math.min(read + backlog, rate * 10 + 65536)]);
    }
    const r = lowerEnvelope(log(points));
    expect(r.rate).toBeGreaterThanOrEqual(rate * (1 - 1e-9));
    expect(r.rate / rate - 1).toBeLessThan(0.001);
    expect(r.tEnd).toBeGreaterThan(9.9);
    expect(r.tEnd).toBeLessThanOrEqual(10.005);
  });

  it('uses the latest time a value was current, and ends at the last progress', () => {
    // Steps of 1000 B every 0.1 s sampled every 0.01 s: the best point is just before each step.
    const points: [number, number][] = [];
    for (let i = 1; i <= 300; i++) {
      const t = i * 0.01;
      points.push([t, 1000 * Math.min(Math.floor(t / 0.1 + 1e-9) + 1, 21)]);
    }
    const r = lowerEnvelope(log(points));
    expect(r.tEnd).toBeCloseTo(2.0, 6);
    expect(r.final).toBe(21000);
    // value k*1000 holds until just before t = k*0.1; the minimum of v/t is ~1000 B / 0.1 s.
    expect(r.rate).toBeGreaterThan(10_000);
    expect(r.rate).toBeLessThan(10_600);
  });

  it('ignores the warm-up and takes the minimum of value/time', () => {
    const r = lowerEnvelope(
      log([
        [0.1, 1], // inside the warm-up (the first half of the 4 s transfer): ignored
        [2, 5000],
        [3, 4500], // a later sample below an earlier one (samples are upper bounds with some slack)
        [4, 8000],
        [5, 8000],
      ]),
    );
    expect(r.tEnd).toBe(4);
    expect(r.rate).toBeCloseTo(4500 / 3, 6);
  });

  it('does not divide the final value by a sample taken well after the reader stopped', () => {
    // 1000 B/s until 2.0 s, sampled every 0.5 s: the final value first shows at 2.5 s.
    const r = lowerEnvelope(log([[0.5, 500], [1, 1000], [1.5, 1500], [2.5, 2000], [3, 2000]]));
    expect(r.tEnd).toBe(2.5);
    expect(r.rate).toBeCloseTo(1000, 6); // not 2000 / 2.5
  });

  it('ignores samples after untilS (the board had stopped reading)', () => {
    const points: [number, number][] = [
      [1, 1000],
      [2, 2000],
      [3, 3000],
      [4, 9000], // acknowledged after the board's result line: not read by its application
      [5, 9000],
    ];
    const r = lowerEnvelope(log(points), { untilS: 3.5 });
    expect(r.tEnd).toBe(3);
    expect(r.final).toBe(3000);
    expect(r.rate).toBeCloseTo(1000, 6);
    expect(lowerEnvelope(log(points)).tEnd).toBe(4);
  });

  it('is zero without progress', () => {
    expect(lowerEnvelope(new SampleLog())).toEqual({ rate: 0, tEnd: 0, final: 0 });
    expect(lowerEnvelope(log([[1, 0], [2, 0]])).rate).toBe(0);
  });
});

describe('sample log', () => {
  it('halves itself when full, keeping the latest sample', () => {
    const l = new SampleLog(8);
    for (let i = 1; i <= 9; i++) l.push(i, i * 10);
    expect(l.length).toBe(5);
    expect(Array.from({ length: l.length }, (_, i) => l.time(i))).toEqual([2, 4, 6, 8, 9]);
    expect(l.value(4)).toBe(90);
  });
});
