import { describe, expect, it } from 'vitest';
import { runBench } from '../src/index.js';
import { result } from './helpers.js';

let n = 0;
const ids = () => `faults-${n++}`;
const sim = (params: string) => `sim:esp32c3?rate=400000&duration=1&pause=0.3&boot=0.2&${params}`;
const run = (device: string, iterations = 2, extra: Partial<Parameters<typeof runBench>[0]> = {}) =>
  runBench({ devices: [device], iterations, labels: {}, listen: '127.0.0.1', portBase: 0, newRunId: ids, ...extra }).then((r) => r[0]!);

describe('faults during a run', () => {
  it('a reset mid-test fails that test with the reset reason, skips the rest of the round, and the next round runs', async () => {
    const record = await run(sim('fault=reset@1:upload'));
    expect(result(record, 'wifi-tcp-download', 1).status).toBe('ok');
    const up = result(record, 'wifi-tcp-upload', 1);
    expect(up).toMatchObject({ status: 'failed', hostKiBps: null, deviceKiBps: null });
    expect(up.failure).toMatchObject({ kind: 'reset' });
    expect(up.failure!.resetReason).toBeTruthy();
    expect(result(record, 'wifi-tcp-updown', 1).failure?.kind).toBe('not-run');
    for (const s of ['wifi-tcp-download', 'wifi-tcp-upload', 'wifi-tcp-updown'] as const) {
      expect(result(record, s, 2).status).toBe('ok');
    }
    expect(record.status).toBe('failed');
    expect(record.error).toMatch(/2 of 6 results failed/);
  });

  it('a panic fails the test with its message and backtrace', async () => {
    const record = await run(sim('fault=panic@1:download'));
    const down = result(record, 'wifi-tcp-download', 1);
    expect(down.status).toBe('failed');
    expect(down.hostKiBps).toBeNull();
    expect(down.failure?.kind).toBe('panic');
    expect(down.failure?.panic?.backtrace.length).toBeGreaterThan(0);
    expect(down.failure?.panic?.location).toMatch(/\.rs:\d+:\d+/);
    expect(result(record, 'wifi-tcp-download', 2).status).toBe('ok');
  });

  it('a connect error fails only that test', async () => {
    const record = await run(sim('fault=connect-error@1:upload'), 1);
    expect(result(record, 'wifi-tcp-upload').failure?.kind).toBe('connect-error');
    expect(result(record, 'wifi-tcp-download').status).toBe('ok');
    expect(result(record, 'wifi-tcp-updown').status).toBe('ok');
  });

  it('garbage on the line changes nothing', async () => {
    const record = await run(sim('fault=garbage@1:download'), 1);
    expect(record.status, record.error ?? '').toBe('ok');
    expect(record.results.every((r) => r.status === 'ok')).toBe(true);
  });

  it('a stalled board times out with a clear reason and the run ends failed, keeping what it had', async () => {
    const record = await run(sim('fault=stall@1:upload'), 2, { timeouts: { resultMarginS: 1, recoverS: 2 } });
    expect(result(record, 'wifi-tcp-download', 1).status).toBe('ok');
    expect(result(record, 'wifi-tcp-upload', 1).failure).toMatchObject({ kind: 'timeout' });
    expect(result(record, 'wifi-tcp-upload', 1).failure!.message).toMatch(/upload: N kB\/s/);
    expect(record.status).toBe('failed');
    expect(record.error).toMatch(/did not start a new round/);
  });

  it('Ctrl-C (abort) ends the run as aborted with the results so far', async () => {
    const ac = new AbortController();
    const pending = run(sim(''), 5, {
      signal: ac.signal,
      onProgress: (p) => {
        if (p.iteration === 1 && p.scenario === 'wifi-tcp-upload' && p.phase === 'testing') ac.abort();
      },
    });
    const record = await pending;
    expect(record.status).toBe('aborted');
    expect(record.error).toMatch(/interrupted/);
    expect(result(record, 'wifi-tcp-download', 1).status).toBe('ok');
  });

  it('a board that never starts a round fails the attach with what to check', async () => {
    const record = await run('exec:printf "ESP-ROM:esp32c3-api1-20210207\\r\\n"; sleep 5', 1, { timeouts: { attachS: 0.5 } });
    expect(record.status).toBe('failed');
    expect(record.error).toMatch(/no "Testing download..."/);
    expect(record.device.chip).toBe('esp32c3');
  });
});
