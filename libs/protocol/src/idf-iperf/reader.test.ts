import { describe, expect, it } from 'vitest';
import { idfIperf } from '../index.js';

function feed(reader: idfIperf.IdfIperfReportReader, lines: string[]): idfIperf.IdfIperfTestResult[] {
  return lines.flatMap((line) => {
    const r = reader.push(line);
    return r ? [r] : [];
  });
}

describe('IdfIperfReportReader', () => {
  it('generation 1: intervals then the 0-N summary; the first 0-1 line is an interval', () => {
    const reader = new idfIperf.IdfIperfReportReader();
    const results = feed(reader, [
      'I (1) cmd_wifi: mode=tcp-client sip=192.168.1.50:5001, dip=192.168.1.2:5001, interval=1, time=3',
      '        Interval Bandwidth',
      '   0-   1 sec       20.00 Mbits/sec',
      '   1-   2 sec       22.00 Mbits/sec',
      'I (2) wifi:some unrelated log',
      '   2-   3 sec       21.00 Mbits/sec',
      '   0-   3 sec       21.00 Mbits/sec',
      'I (3) iperf: iperf exit',
    ]);
    expect(results).toHaveLength(1);
    const [r] = results;
    expect(r).toMatchObject({ generation: 1, protocol: 'tcp', role: 'client', seconds: 3, complete: true, bitsPerSecond: 21_000_000, bytesEstimated: true });
    expect(r!.bytes).toBe(Math.round((20e6 + 22e6 + 21e6) / 8));
    expect(r!.intervals.map((i) => i.startS)).toEqual([0, 1, 2]);
    expect(r!.summaries).toHaveLength(1);
    expect(reader.inProgress).toBe(false);
  });

  it('a single-interval test (t equal to i) prints 0-1 twice: interval, then summary', () => {
    const reader = new idfIperf.IdfIperfReportReader();
    const results = feed(reader, ['        Interval Bandwidth', '   0-   1 sec       5.00 Mbits/sec', '   0-   1 sec       5.00 Mbits/sec']);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ seconds: 1, complete: true, bitsPerSecond: 5e6, intervals: [{ startS: 0 }] });
  });

  it('generation 1 after an abort: seconds come from the intervals, not the configured time in the summary label', () => {
    const reader = new idfIperf.IdfIperfReportReader();
    const results = feed(reader, [
      '        Interval Bandwidth',
      '   0-   1 sec       35.00 Mbits/sec',
      '   1-   2 sec       36.00 Mbits/sec',
      'I (1) iperf: wait current iperf to stop ...',
      '   0-  30 sec       35.50 Mbits/sec',
      'I (2) iperf: iperf exit',
    ]);
    expect(results).toEqual([expect.objectContaining({ seconds: 2, bitsPerSecond: 35_500_000, complete: true })]);
  });

  it('generation 3: bytes come from the Transfer column, with unit switches between lines', () => {
    const reader = new idfIperf.IdfIperfReportReader();
    const results = feed(reader, [
      '[ ID] Interval\t\tTransfer\tBandwidth',
      '[  0]  0.0- 1.0 sec\t900.00 KBytes\t7200.00 Kbits/sec',
      '[  0]  1.0- 2.0 sec\t1.10 MBytes\t8.80 Mbits/sec',
      '[  0]  2.0- 3.0 sec\t1000.00 KBytes\t1000.00 KBytes/sec',
      '[  0]  3.0- 4.0 sec\t1.00 MBytes\t1.00 MBytes/sec',
    ]);
    expect(results).toEqual([]);
    expect(reader.inProgress).toBe(true);
    const r = reader.push('[  0]  0.0- 4.0 sec\t4.05 MBytes\t8.10 Mbits/sec');
    expect(r).toMatchObject({ generation: 3, seconds: 4, bytes: 4_050_000, bytesEstimated: false, bitsPerSecond: 8_100_000, complete: true });
    expect(r!.intervals.map((i) => i.bytes)).toEqual([900_000, 1_100_000, 1_024_000, 1_048_576]);
    expect(r!.intervals.map((i) => i.bitsPerSecond)).toEqual([7_200_000, 8_800_000, 8_192_000, 8_388_608]);
  });

  it('generation 3 with parallel instances: done when every instance has its summary; totals are summed', () => {
    const reader = new idfIperf.IdfIperfReportReader();
    const results = feed(reader, [
      '[  0] local 192.168.1.53:62001 connected to 192.168.1.2:5001',
      '[ ID] Interval\t\tTransfer\tBandwidth',
      '[  1] local 192.168.1.53:62002 connected to 192.168.1.2:5001',
      '[ ID] Interval\t\tTransfer\tBandwidth',
      '[  0]  0.0- 1.0 sec\t1.00 MBytes\t8.00 Mbits/sec',
      '[  1]  0.0- 1.0 sec\t2.00 MBytes\t16.00 Mbits/sec',
      '[  0]  1.0- 2.0 sec\t1.00 MBytes\t8.00 Mbits/sec',
      '[  1]  1.0- 2.0 sec\t2.00 MBytes\t16.00 Mbits/sec',
      '[  0]  0.0- 2.0 sec\t2.00 MBytes\t8.00 Mbits/sec',
    ]);
    expect(results).toEqual([]);
    const r = reader.push('[  1]  0.0- 2.0 sec\t4.00 MBytes\t16.00 Mbits/sec');
    expect(r).toMatchObject({ seconds: 2, bytes: 6_000_000, bitsPerSecond: 24_000_000, complete: true });
    expect(r!.summaries.map((s) => s.id)).toEqual([0, 1]);
  });

  it('ends a test without a summary at iperf exit, at the next test\'s header, or on flush', () => {
    const reader = new idfIperf.IdfIperfReportReader();
    expect(feed(reader, ['Interval       Bandwidth', ' 0.0- 1.0 sec  10.00 Mbits/sec', ' 1.0- 2.0 sec  10.00 Mbits/sec', 'I (1) iperf: iperf exit'])).toEqual([
      expect.objectContaining({ generation: 2, complete: false, seconds: 2, bytes: 2 * 10 * 1_048_576 / 8, bitsPerSecond: 10 * 1_048_576 }),
    ]);
    const next = feed(reader, [
      '   0-   1 sec       1.00 Mbits/sec',
      // The `mode=` line alone does not end the test (iperf may still refuse: `iperf is running`) ...
      'I (1) cmd_wifi: mode=udp-client sip=192.168.1.50:5001, dip=192.168.1.2:5001, interval=1, time=2',
    ]);
    expect(next).toEqual([]);
    // ... the next test's header does, and the `mode=` line describes that next test.
    expect(reader.push('        Interval Bandwidth')).toMatchObject({ generation: 1, complete: false, seconds: 1, protocol: null });
    feed(reader, ['   0-   1 sec       3.00 Mbits/sec']);
    expect(reader.flush()).toMatchObject({ protocol: 'udp', complete: false, bitsPerSecond: 3e6 });
    expect(reader.flush()).toBeNull();
    expect(reader.push('I (1) iperf: iperf exit')).toBeNull();
  });

  it('a report from an instance that already finished starts a new test (lost header)', () => {
    const reader = new idfIperf.IdfIperfReportReader();
    feed(reader, ['[  0]  0.0- 1.0 sec\t1.00 MBytes\t8.00 Mbits/sec']);
    expect(reader.push('[  0]  0.0- 1.0 sec\t1.00 MBytes\t8.00 Mbits/sec')).toMatchObject({ complete: true });
    expect(reader.push('[  0]  0.0- 1.0 sec\t3.00 MBytes\t24.00 Mbits/sec')).toBeNull();
    expect(reader.flush()).toMatchObject({ complete: false, bytes: 3_000_000 });
  });

  it('ignores garbled lines between reports', () => {
    const reader = new idfIperf.IdfIperfReportReader();
    const results = feed(reader, [
      '[ ID] Interval\t\tTransfer\tBandwidth',
      '[  0]  0.0- 1.0 sec\t1.00 MBytes\t8.00 Mbits/sec',
      '[  0]  1.0- 2.0 sec\t1.0',
      '0 MBytes\t8.00 Mbits/sec',
      '[  0]  2.0- 3.0 sec\t1.00 MBytes\t8.00 Mbits/secI (5) wifi:bcn_timeout',
      '[  0]  0.0- 3.0 sec\t3.00 MBytes\t8.00 Mbits/sec',
    ]);
    expect(results).toEqual([expect.objectContaining({ seconds: 3, bytes: 3_000_000, complete: true, intervals: [expect.objectContaining({ endS: 1 })] })]);
  });

  it('a refused start (`iperf is running`) does not relabel the running test', () => {
    const reader = new idfIperf.IdfIperfReportReader();
    feed(reader, [
      'I (1) cmd_wifi: mode=tcp-server sip=192.168.1.50:5001, dip=0.0.0.0:5001, interval=1, time=2',
      'accept: 192.168.1.2,50432',
      '        Interval Bandwidth',
      '   0-   1 sec       1.00 Mbits/sec',
      'I (2) cmd_wifi: mode=udp-client sip=192.168.1.50:5001, dip=192.168.1.2:5001, interval=1, time=9',
      'W (3) iperf: iperf is running',
      '   1-   2 sec       1.00 Mbits/sec',
    ]);
    expect(reader.push('   0-   2 sec       1.00 Mbits/sec')).toMatchObject({ protocol: 'tcp', role: 'server', complete: true });
  });

  it('uses the binary legacy unit when told to', () => {
    const reader = new idfIperf.IdfIperfReportReader({ legacyMegabit: 'binary' });
    const [r] = feed(reader, ['   0-   1 sec       1.00 Mbits/sec', '   0-   1 sec       1.00 Mbits/sec']);
    expect(r).toMatchObject({ bitsPerSecond: 1_048_576, bytes: 131_072 });
  });
});
