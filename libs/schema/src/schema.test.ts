import { describe, expect, it } from 'vitest';
import { LabelError, parseLabels, parseRunRecord, RecordFormatError, RUN_RECORD_VERSION, kibps } from './index.js';

const record = {
  version: RUN_RECORD_VERSION,
  runId: 'r1',
  startedAt: '2026-01-01T00:00:00.000Z',
  endedAt: '2026-01-01T00:01:00.000Z',
  status: 'ok',
  error: null,
  device: { uri: 'sim:esp32c3', chip: 'esp32c3', ip: '127.0.0.2', resetReason: 'POWERON' },
  labels: { ref: 'v1.0.0' },
  host: { hostname: 'h', platform: 'linux', espbenchVersion: '0.1.0', listen: '0.0.0.0', portBase: 4321 },
  testDurationS: 15,
  iterations: 1,
  results: [],
  log: [],
};

describe('RunRecord', () => {
  it('accepts a valid record', () => {
    expect(parseRunRecord(record).runId).toBe('r1');
  });
  it('names the field that is wrong', () => {
    expect(() => parseRunRecord({ ...record, status: 'great' })).toThrow(/at status/);
  });
  it('rejects an unknown version clearly', () => {
    expect(() => parseRunRecord({ ...record, version: 99 })).toThrow(RecordFormatError);
    expect(() => parseRunRecord({ ...record, version: 99 })).toThrow(/version 99 is not supported/);
  });
});

describe('parseLabels', () => {
  it('splits on the first =', () => {
    expect(parseLabels(['ref=v1', 'note=a=b'])).toEqual({ ref: 'v1', note: 'a=b' });
  });
  it('rejects items without a key', () => {
    expect(() => parseLabels(['=x'])).toThrow(LabelError);
    expect(() => parseLabels(['novalue'])).toThrow(/not k=v/);
    expect(() => parseLabels(['a b=c'])).toThrow(/label key/);
    expect(() => parseLabels(['ref=v1', 'ref=v2'])).toThrow(/"ref" is given twice/);
  });
});

describe('kibps', () => {
  it('is bytes per second in KiB', () => {
    expect(kibps(2_000_000, 2)).toBeCloseTo(976.5625, 6);
    expect(kibps(5, 0)).toBe(0);
  });
});
