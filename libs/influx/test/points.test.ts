import { describe, expect, it } from 'vitest';
import { tagValue, toLine } from '../src/index.js';

describe('line protocol', () => {
  it('makes tag values safe and keeps string fields intact', () => {
    expect(tagValue('a\nb\\')).toBe('a b/');
    expect(toLine({ measurement: 'm', tags: { t: 'x y' }, fields: { s: { type: 'string', value: 'a"b' } }, timeMs: 1 })).toBe('m,t=x\\ y s="a\\"b" 1');
  });
});
