import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseIperf2Csv, type Iperf2Report } from '../src/index.js';

// Every fixture is output of the real iperf 2.1.8 (Debian 12's `iperf` 2.1.8+dfsg-1) over loopback.
function fixture(name: string): Iperf2Report[] {
  const text = readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const r = parseIperf2Csv(line);
      if (!r) throw new Error(`fixture line did not parse: ${line}`);
      return r;
    });
}

const sum = (rs: Iperf2Report[], f: (r: Iperf2Report) => number) => rs.reduce((a, r) => a + f(r), 0);

describe('parseIperf2Csv', () => {
  it('reads a TCP server line: source is the connecting client, raw bytes and bits/s', () => {
    const [first] = fixture('iperf2-tcp-server.csv');
    expect(first).toEqual({
      timestamp: '20261122102841',
      time: new Date(2026, 10, 22, 10, 28, 41),
      source: { address: '127.0.0.1', port: 54800 },
      destination: { address: '127.0.0.1', port: 5201 },
      transferId: 1,
      startS: 0,
      endS: 1,
      bytes: 2347606247,
      bitsPerSecond: 18780849976,
      udp: null,
    });
  });

  it('TCP server intervals add up to the total line, which equals what the client sent', () => {
    const server = fixture('iperf2-tcp-server.csv');
    const client = fixture('iperf2-tcp-client.csv');
    const total = server.at(-1)!;
    expect(total).toMatchObject({ startS: 0, endS: 3, bytes: 5702156348 });
    expect(sum(server.slice(0, -1), (r) => r.bytes)).toBe(total.bytes);
    expect(client.at(-1)!.bytes).toBe(total.bytes);
    // Both ends name the traffic the same way round: client's socket first.
    expect(client.at(-1)!.source).toEqual(total.source);
    expect(client.at(-1)!.destination).toEqual(total.destination);
    // bits/s = bytes * 8 / duration (1 kbit = 1000 bits), truncated.
    expect(total.bitsPerSecond).toBeCloseTo((total.bytes * 8) / 3, -9);
  });

  it('reads the UDP server columns: jitter, lost, datagrams, loss %, out-of-order', () => {
    const server = fixture('iperf2-udp-server.csv');
    expect(server[1]!.udp).toEqual({ jitterMs: 0, lost: 316, datagrams: 1064, lostPercent: 29.699, outOfOrder: 0 });
    const total = server.at(-1)!;
    expect(total.udp).toEqual({ jitterMs: 0.002, lost: 408, datagrams: 2650, lostPercent: 15.396, outOfOrder: 0 });
    // Received bytes are the datagrams that arrived, 1470 bytes each (iperf's IPv4 default -l).
    expect(total.bytes).toBe((2650 - 408) * 1470);
    expect(sum(server.slice(0, -1), (r) => r.udp!.datagrams)).toBeLessThanOrEqual(total.udp!.datagrams);
  });

  it('UDP client lines: datagrams sent per interval, and a total line whose datagram column is not a count', () => {
    const client = fixture('iperf2-udp-client.csv');
    expect(client[0]!.udp).toEqual({ jitterMs: 0, lost: 0, datagrams: 694, lostPercent: 0, outOfOrder: 0 });
    expect(client[0]!.bytes).toBe(694 * 1470);
    expect(client.at(-1)!.udp).toEqual({ jitterMs: 0, lost: 0, datagrams: -1, lostPercent: 0, outOfOrder: 0 });
  });

  it('reads partial last intervals (1.0-1.5) before the total', () => {
    const tcp = fixture('iperf2-tcp-server-partial.csv');
    expect(tcp.map((r) => [r.startS, r.endS])).toEqual([[0, 1], [1, 1.5], [0, 1.5]]);
    expect(tcp[0]!.bytes + tcp[1]!.bytes).toBe(tcp[2]!.bytes);
    const udp = fixture('iperf2-udp-server-partial.csv');
    expect(udp.map((r) => [r.startS, r.endS])).toEqual([[0, 1], [1, 1.5], [0, 1.5]]);
    expect(udp[0]!.bytes + udp[1]!.bytes).toBe(udp[2]!.bytes);
  });

  it('reads IPv6 addresses and -e millisecond timestamps', () => {
    const [server] = fixture('iperf2-ipv6-server.csv');
    expect(server!.source).toEqual({ address: '::1', port: 53178 });
    expect(server!.destination).toEqual({ address: '::1', port: 5211 });
    const [enhanced] = fixture('iperf2-ipv6-client-enhanced.csv');
    expect(enhanced!.timestamp).toBe('20261122103321.144');
    expect(enhanced!.time).toEqual(new Date(2026, 10, 22, 10, 33, 21, 144));
  });

  it('keeps timestamps iperf left at the epoch (client without -i, UDP client without a server)', () => {
    const [noInterval] = fixture('iperf2-tcp-client-no-interval.csv');
    expect(noInterval).toMatchObject({ timestamp: '19700101000000', startS: 0, endS: 1.2, bytes: 3145788 });
    const [noServer] = fixture('iperf2-udp-client-no-server.csv');
    expect(noServer!.time).toEqual(new Date(1970, 0, 1, 0, 0, 0));
  });

  it('returns null for anything that is not a report line', () => {
    for (const line of [
      '',
      'read failed: Connection refused',
      '------------------------------------------------------------',
      'Server listening on TCP port 5001',
      '[  1] 0.0000-1.0000 sec  2.19 GBytes  18.8 Gbits/sec',
      // 2.2's enhanced CSV header and its split start,end columns
      'time,srcaddress,srcport,dstaddr,dstport,transferid,istart,iend,bytes,speed,writecnt,writeerr,tcpretry,tcpcwnd,tcppcwnd,tcprtt,tcprttvar',
      '20261122102841,127.0.0.1,54800,127.0.0.1,5201,1,0.0,1.0,2347606247',
      '20261122102841,127.0.0.1,54800,127.0.0.1,5201,1,0.0-1.0,2347606247',
      '20261122102841,127.0.0.1,x,127.0.0.1,5201,1,0.0-1.0,2347606247,18780849976',
    ]) {
      expect(parseIperf2Csv(line), line).toBeNull();
    }
  });

  it('tolerates CRLF and surrounding spaces', () => {
    expect(parseIperf2Csv(' 20261122102841,127.0.0.1,54800,127.0.0.1,5201,1,0.0-1.0,10,80\r\n')).toMatchObject({ bytes: 10, bitsPerSecond: 80 });
  });
});
