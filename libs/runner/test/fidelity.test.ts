import { describe, expect, it } from 'vitest';
import { runBench } from '../src/index.js';
import { printed, result, TRUE_KIBPS } from './helpers.js';

let n = 0;
const ids = () => `fidelity-${n++}`;

describe('fidelity against the simulator', () => {
  it('measures 1,000,000 B/s within 1% for download and upload, and keeps the board figure exactly', async () => {
    const [record] = await runBench({
      devices: ['sim:esp32c3?rate=1000000&duration=2&pause=0.5'],
      iterations: 1,
      labels: { ref: 'test' },
      listen: '127.0.0.1',
      portBase: 0,
      newRunId: ids,
    });
    expect(record!.status, record!.error ?? '').toBe('ok');
    expect(record!.device).toMatchObject({ chip: 'esp32c3', ip: '127.0.0.2', resetReason: 'POWERON' });
    const truth = TRUE_KIBPS(1_000_000);
    for (const scenario of ['wifi-tcp-download', 'wifi-tcp-upload'] as const) {
      const r = result(record!, scenario);
      expect(r.status).toBe('ok');
      expect(Math.abs(r.hostKiBps! - truth) / truth, `${scenario} host ${r.hostKiBps} vs ${truth}`).toBeLessThan(0.01);
      expect(r.intervals.length).toBeGreaterThanOrEqual(1);
    }
    expect(result(record!, 'wifi-tcp-download').deviceKiBps).toBe(printed(record!, 'download')[0]);
    expect(result(record!, 'wifi-tcp-upload').deviceKiBps).toBe(printed(record!, 'upload')[0]);
    expect(result(record!, 'wifi-tcp-updown').deviceKiBps).toBe(printed(record!, 'upload+download')[0]);
    // The download figure is not the raw written count, which runs ahead by the socket buffers.
    const down = result(record!, 'wifi-tcp-download');
    expect(down.hostTxBytes).toBeGreaterThan(down.bytes);
    // Its interval series is what the board acknowledged, not the buffers filling.
    const sum = down.intervals.reduce((a, i) => a + i.bytes, 0);
    expect(sum / down.bytes).toBeGreaterThan(0.95);
    expect(sum / down.bytes).toBeLessThan(1.1);
    expect(down.intervals[0]!.bytes).toBeLessThan(1.3 * 1_000_000);
  });
});
