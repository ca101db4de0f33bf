import { describe, expect, it } from 'vitest';
import { resultPoint, runContext, tagValue, toLine } from '../src/index.js';
import { sampleRecord } from './fixtures.js';

describe('line protocol', () => {
  it('makes tag values safe and keeps string fields intact', () => {
    expect(tagValue('a\nb\\')).toBe('a b/');
    expect(toLine({ measurement: 'm', tags: { t: 'x y' }, fields: { s: { type: 'string', value: 'a"b' } }, timeMs: 1 })).toBe('m,t=x\\ y s="a\\"b" 1');
  });
});

describe('result points: RSSI and channel', () => {
  const base = sampleRecord().results[0]!;
  const board = { uri: 'sim:esp32c3', role: 'sender', bleRole: null, bytes: 1024, ms: 1000, kibps: 1 };

  it("writes the device under test's rssi and channel when its report has them", () => {
    const ctx = runContext(sampleRecord());
    const p = resultPoint(ctx, { ...base, boards: [{ ...board, details: { rssi: -48, channel: 6 } }, { ...board, uri: 'peer', details: { rssi: -30, channel: 11 } }] });
    expect(p.fields.rssi).toEqual({ type: 'float', value: -48 });
    expect(p.fields.channel).toEqual({ type: 'integer', value: 6 });
    const line = toLine(p);
    expect(line).toMatch(/[ ,]rssi=-48[ ,]/);
    expect(line).toMatch(/[ ,]channel=6i[ ,]/);
  });

  it('writes neither without them (or when they are not numbers)', () => {
    const ctx = runContext(sampleRecord());
    for (const r of [base, { ...base, boards: [{ ...board, details: { rssi: 'n/a', channel: 'six' } }] }]) {
      const p = resultPoint(ctx, r);
      expect(p.fields.rssi ?? null).toBeNull();
      expect(p.fields.channel ?? null).toBeNull();
      expect(toLine(p)).not.toMatch(/rssi=|channel=/);
    }
  });
});
