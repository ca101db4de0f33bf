import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { idfIperf } from '../index.js';

/** Splits a transcript on LF only (as the line framer does); CRs, colours and NULs stay for the parser. */
function lines(name: string): string[] {
  return readFileSync(new URL(`../../../../firmware-fixtures/transcripts/idf-iperf/${name}`, import.meta.url), 'utf8').split('\n');
}

function run(name: string, opts: idfIperf.IdfIperfParseOptions = {}) {
  const all = lines(name);
  const events = all.flatMap((l) => {
    const e = idfIperf.parseIdfIperfLine(l, opts);
    return e ? [e] : [];
  });
  const reader = new idfIperf.IdfIperfReportReader(opts);
  const results = all.flatMap((l) => {
    const r = reader.push(l);
    return r ? [r] : [];
  });
  const tail = reader.flush();
  return { events, results: tail ? [...results, tail] : results };
}

const ofType = <T extends idfIperf.IdfIperfEventType>(events: idfIperf.IdfIperfEvent[], type: T) =>
  events.filter((e): e is idfIperf.IdfIperfEventOf<T> => e.type === type);

describe('idf-iperf transcripts', () => {
  it('esp-idf-v4-gen1-tcp.log: sta, scan, heap, upload, busy, download aborted, connect error, bad commands', () => {
    const { events, results } = run('esp-idf-v4-gen1-tcp.log');
    expect(ofType(events, 'sta-connecting')).toEqual([{ type: 'sta-connecting', ssid: 'espbench' }]);
    expect(ofType(events, 'sta-connected')).toEqual([{ type: 'sta-connected', ip: '192.168.1.50', mask: '255.255.255.0', gw: '192.168.1.1' }]);
    expect(ofType(events, 'scan-entry').map((e) => [e.ssid, e.rssi])).toEqual([['espbench', -45], ['neighbour [2.4G]', -71], ['', -88]]);
    expect(ofType(events, 'scan-done')).toHaveLength(1);
    expect(ofType(events, 'min-heap')).toEqual([{ type: 'min-heap', bytes: 183456 }]);
    expect(ofType(events, 'report-header').map((e) => e.generation)).toEqual([1, 1]);
    expect(ofType(events, 'accept')).toEqual([{ type: 'accept', host: '192.168.1.2', port: 50432 }]);
    expect(ofType(events, 'error').map((e) => e.code)).toEqual(['iperf-running', 'socket', 'invalid-argument', 'unknown-command']);
    expect(ofType(events, 'iperf-stopped')).toHaveLength(3);
    expect(ofType(events, 'disconnected')).toEqual([{ type: 'disconnected', reason: null, reconnecting: true }]);
    expect(ofType(events, 'prompt').map((e) => e.command)).toContain('iperf -c 192.168.1.2 -i 1 -t 5');

    expect(results).toHaveLength(2);
    const [upload, download] = results;
    expect(upload).toMatchObject({ generation: 1, protocol: 'tcp', role: 'client', seconds: 5, bitsPerSecond: 21_960_000, complete: true });
    expect(upload!.intervals).toHaveLength(5);
    // The second `iperf -c` was refused (`iperf is running`); its `mode=` line must not split the running test.
    expect(download).toMatchObject({ protocol: 'tcp', role: 'server', seconds: 4, bitsPerSecond: 35_700_000, complete: true });
    expect(download!.summaries[0]).toMatchObject({ startS: 0, endS: 30 });
  });

  it('iperf-cmd-0.1-gen2-udp.log: wifi-cmd connect and scan, UDP download in Mbits, UDP upload in Kbits', () => {
    const { events, results } = run('iperf-cmd-0.1-gen2-udp.log');
    expect(ofType(events, 'sta-associated')).toHaveLength(1);
    expect(ofType(events, 'sta-connected')).toEqual([
      { type: 'sta-connected', ip: '192.168.1.52', mask: '255.255.255.0', gw: '192.168.1.1' },
      { type: 'sta-connected', ip: '192.168.1.52', mask: null, gw: null },
    ]);
    expect(ofType(events, 'scan-entry')).toEqual([
      { type: 'scan-entry', ssid: 'espbench', rssi: -47, channel: 6, bssid: 'a4:2b:b0:11:22:33' },
      { type: 'scan-entry', ssid: 'guest net', rssi: -80, channel: 11, bssid: '02:11:22:aa:bb:cc' },
    ]);
    expect(ofType(events, 'scan-done')).toEqual([{ type: 'scan-done', count: 2 }]);
    expect(ofType(events, 'min-heap')).toEqual([{ type: 'min-heap', bytes: 201844 }]);
    expect(ofType(events, 'disconnected')).toEqual([{ type: 'disconnected', reason: 8, reconnecting: false }]);

    expect(results).toHaveLength(2);
    expect(results[0]).toMatchObject({ generation: 2, protocol: 'udp', role: 'server', seconds: 5, complete: true, bitsPerSecond: 52.8 * 1_048_576 });
    expect(results[1]).toMatchObject({ generation: 2, protocol: 'udp', role: 'client', seconds: 3, complete: true, bitsPerSecond: 20_000_000 });
  });

  it('iperf-cmd-1.0-gen3-tcp-udp.log: -f m, -f K, -f k, a server test aborted, garbled and split lines', () => {
    const { events, results } = run('iperf-cmd-1.0-gen3-tcp-udp.log');
    expect(ofType(events, 'sta-connected').map((e) => e.ip)).toEqual(['192.168.1.53']);
    expect(ofType(events, 'connect-info').map((e) => [e.id, e.remote, e.remotePort])).toEqual([
      [0, '192.168.1.2', 5001], [1, '192.168.1.2', 5001], [2, '192.168.1.2', 5001], [3, '192.168.1.2', 50522],
    ]);
    expect(ofType(events, 'iperf-stopping')).toHaveLength(1);
    expect(ofType(events, 'iperf-stopped')).toHaveLength(1);
    expect(ofType(events, 'error').map((e) => e.code)).toEqual(['invalid-argument', 'invalid-argument', 'command-failed']);

    expect(results.map((r) => [r.protocol, r.role, r.seconds, r.bytes, r.bitsPerSecond, r.complete, r.intervals.length])).toEqual([
      ['tcp', 'client', 3, 7_440_000, 19_850_000, true, 3],
      // the 1.0-2.0 line was split across two reads and is lost; the summary still carries the total
      ['tcp', 'client', 3, 4896 * 1024, 1632 * 1024 * 8, true, 2],
      ['udp', 'client', 2, 2_500_960, 10_003_840, true, 2],
      // the 3.0-4.0 line was glued to a Wi-Fi log line; generation 3's summary gives the true span
      ['tcp', 'server', 4, 12_980_000, 25_950_000, true, 3],
    ]);
  });
});
