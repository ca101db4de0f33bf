import { describe, expect, it } from 'vitest';
import { parseBandwidth, parseIperfArgs, splitArgv } from './args.js';
import { gen1Line, gen2Line, gen2Value, gen3Line, reportHeader } from './format.js';
import { parseIdfIperfSimUri } from './options.js';
import { encodeIperfDatagram } from './traffic.js';

describe('report formats', () => {
  it('generation 1: "%16s %s" header and "%4d-%4d sec       %.2f Mbits/sec"', () => {
    expect(reportHeader(1)).toEqual(['', '        Interval Bandwidth']);
    expect(gen1Line(0, 1, 2_500_000, 1)).toBe('   0-   1 sec       20.00 Mbits/sec');
    expect(gen1Line(9, 10, 125_000, 1)).toBe('   9-  10 sec       1.00 Mbits/sec');
  });

  it('generation 2: "%2d.0-%2d.0 sec  %.2f %cbits/sec", 2^20-based', () => {
    expect(reportHeader(2)).toEqual(['', 'Interval       Bandwidth']);
    expect(gen2Line(0, 1, gen2Value(1 << 20, 1, 'm'), 'm')).toBe(' 0.0- 1.0 sec  8.00 Mbits/sec');
    expect(gen2Line(10, 12, gen2Value(1024 * 500, 2, 'k'), 'k')).toBe('10.0-12.0 sec  2000.00 Kbits/sec');
  });

  it('generation 3: iperf-cmd "[ ID] Interval\\t\\tTransfer\\tBandwidth", units chosen by -f', () => {
    expect(reportHeader(3)).toEqual(['', '[ ID] Interval\t\tTransfer\tBandwidth']);
    expect(gen3Line(1, 0, 1, 2_410_000, 'm')).toBe('[  1]  0.0- 1.0 sec\t2.41 MBytes\t19.28 Mbits/sec');
    expect(gen3Line(1, 0, 10, 500_000, 'k')).toBe('[  1]  0.0-10.0 sec\t500.00 KBytes\t400.00 Kbits/sec');
    expect(gen3Line(1, 1, 2, 2048, 'K')).toBe('[  1]  1.0- 2.0 sec\t2.00 KBytes\t2.00 KBytes/sec');
    expect(gen3Line(12, 0, 2, 3 << 20, 'M')).toBe('[ 12]  0.0- 2.0 sec\t3.00 MBytes\t1.50 MBytes/sec');
    expect(gen3Line(1, 0, 1, 1000, 'b')).toBe('[  1]  0.0- 1.0 sec\t1000.00 \0Bytes\t8000.00 \0bits/sec');
  });
});

describe('console arguments', () => {
  it('splits like esp_console_split_argv', () => {
    expect(splitArgv('  sta_connect "my ap" pa\\ ss ')).toEqual(['sta_connect', 'my ap', 'pa ss']);
  });

  it('parses iperf options per generation, with argtable-style errors', () => {
    const ok = parseIperfArgs(splitArgv('iperf -c 10.0.0.2 -p5002 --time=3 -i 1 -u -b 20m'), 3);
    expect(ok).toMatchObject({ ok: true, args: { client: '10.0.0.2', port: 5002, time: 3, interval: 1, udp: true, bandwidth: 20e6 } });
    expect(parseIperfArgs(['iperf', '-b', '20'], 2)).toMatchObject({ ok: true, args: { bandwidth: 20e6 } });
    expect(parseIperfArgs(['iperf', '-a'], 1)).toMatchObject({ ok: true, args: { abort: true } });
    expect(parseIperfArgs(['iperf', '-a'], 3)).toEqual({ ok: false, error: 'iperf: invalid option "-a"' });
    expect(parseIperfArgs(['iperf', '-b', '5'], 1)).toEqual({ ok: false, error: 'iperf: invalid option "-b"' });
    expect(parseIperfArgs(['iperf', '-t', 'x'], 3)).toEqual({ ok: false, error: 'iperf: invalid argument "x" to option -t' });
    expect(parseIperfArgs(['iperf', '-c'], 3)).toEqual({ ok: false, error: 'iperf: option "-c" requires an argument' });
    expect(parseBandwidth('1K')).toBe(1024);
  });

  it('iperf 2 UDP header: int32 id, uint32 tv_sec, uint32 tv_usec, big-endian', () => {
    const d = encodeIperfDatagram(-7, 1470, 1_700_000_000_123.456);
    expect(d.length).toBe(1470);
    expect(d.readInt32BE(0)).toBe(-7);
    expect(d.readUInt32BE(4)).toBe(1_700_000_000);
    expect(d.readUInt32BE(8)).toBe(123_456);
  });
});

describe('sim URI', () => {
  it('defaults and errors', () => {
    expect(parseIdfIperfSimUri('sim:esp32c3?fw=idf-iperf')).toMatchObject({ chip: 'esp32c3', report: 3, rate: 1_000_000, ip: '127.0.0.2', eol: 'crlf' });
    expect(() => parseIdfIperfSimUri('sim:esp32c3?report=4')).toThrow(/'report'/);
    expect(() => parseIdfIperfSimUri('sim:esp32c3?fault=explode')).toThrow(/'fault'/);
    expect(() => parseIdfIperfSimUri('sim:esp32c3?fw=v1')).toThrow(/'fw'/);
    expect(() => parseIdfIperfSimUri('sim:esp32h2')).toThrow(/unknown chip/);
  });
});
