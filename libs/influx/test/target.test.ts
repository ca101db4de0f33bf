import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeTarget, InfluxConfigError, redact, resolveTarget, settingsFromConfigFile, settingsFromEnv, spoolKey } from '../src/index.js';

describe('InfluxDB settings', () => {
  it('is off without a URL anywhere', () => {
    expect(resolveTarget([{}, settingsFromEnv({}), {}])).toBeNull();
    expect(() => resolveTarget([{ db: 'x' }, {}, {}])).toThrow(/needs an InfluxDB URL/);
  });

  it('takes flags over environment over config file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'espbench-cfg-'));
    await writeFile(join(dir, 'espbench.config.json'), JSON.stringify({ influx: { url: 'http://file:8086', db: 'filedb', rp: 'week' } }));
    const file = settingsFromConfigFile(undefined, {}, dir);
    const env = settingsFromEnv({ ESPBENCH_INFLUX_URL: 'http://env:8086', ESPBENCH_INFLUX_DB: 'envdb' });
    expect(resolveTarget([{}, env, file])).toEqual({ url: 'http://env:8086', api: 'v1', db: 'envdb', rp: 'week' });
    expect(resolveTarget([{ db: 'flagdb' }, env, file])).toMatchObject({ url: 'http://env:8086', db: 'flagdb' });
    expect(resolveTarget([{}, {}, file])).toMatchObject({ url: 'http://file:8086', db: 'filedb' });
    expect(resolveTarget([{ url: 'http://h:8086' }, {}, {}])).toMatchObject({ db: 'espbench' });
  });

  it('rejects a named config file that is missing or malformed, with the file in the message', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'espbench-cfg-'));
    expect(() => settingsFromConfigFile('nope.json', {}, dir)).toThrow(InfluxConfigError);
    await writeFile(join(dir, 'bad.json'), JSON.stringify({ influx: { url: 'http://x', tokn: 'y' } }));
    expect(() => settingsFromConfigFile('bad.json', {}, dir)).toThrow(/bad\.json: unknown key influx\.tokn/);
  });

  it('chooses v2 with a bucket and needs a token for it', () => {
    expect(() => resolveTarget([{ url: 'http://h:8086', bucket: 'b' }])).toThrow(/needs a token/);
    expect(resolveTarget([{ url: 'http://h:8086/', bucket: 'b', org: 'o', token: 't' }])).toEqual({ url: 'http://h:8086', api: 'v2', bucket: 'b', org: 'o', token: 't' });
    expect(() => resolveTarget([{ url: 'http://h:8086', api: 'v3' }])).toThrow(/v1 or v2/);
    expect(() => resolveTarget([{ url: 'ftp://h' }])).toThrow(/http/);
  });

  it('moves user:password out of the URL and never shows a secret', () => {
    const t = resolveTarget([{ url: 'http://ann:pa%20ss@h:8086' }])!;
    expect(t).toEqual({ url: 'http://h:8086', api: 'v1', db: 'espbench', user: 'ann', password: 'pa ss' });
    expect(describeTarget(t)).toBe('http://h:8086 database espbench');
    const v2 = resolveTarget([{ url: 'http://h:8086', bucket: 'b', token: 'tok-123' }])!;
    expect(describeTarget(v2)).not.toContain('tok-123');
    expect(redact('bad token tok-123 here', v2)).toBe('bad token *** here');
    expect(() => resolveTarget([{ url: 'http://ann:secret@' }])).toThrow(/\*\*\*@/);
  });

  it('spools each target separately', () => {
    const a = spoolKey({ url: 'http://h:8086', api: 'v1', db: 'a' });
    expect(a).toMatch(/^a-[0-9a-f]{10}$/);
    expect(spoolKey({ url: 'http://h:8086', api: 'v1', db: 'b' })).not.toBe(a);
    expect(spoolKey({ url: 'http://other:8086', api: 'v1', db: 'a' })).not.toBe(a);
  });
});
