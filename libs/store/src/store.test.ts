import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN_RECORD_VERSION, type RunRecord } from '@espbench/schema';
import { describe, expect, it } from 'vitest';
import { LocalStore, newRunId, resolveResultsDir, StoreError } from './store.js';

function record(runId: string, startedAt: string, failed = 0): RunRecord {
  const result = (status: 'ok' | 'failed') => ({
    scenario: 'wifi-tcp-download' as const,
    iteration: 1,
    status,
    failure: status === 'ok' ? null : { kind: 'reset', message: 'board reset (SW_CPU_RESET)' },
    deviceKiBps: status === 'ok' ? 976 : null,
    hostKiBps: status === 'ok' ? 976.4 : null,
    bytes: 2_000_000,
    durationS: 2,
    startedAt,
    endedAt: startedAt,
    hostTxBytes: 0,
    hostRxBytes: 0,
    intervals: [{ t: 1, bytes: 1_000_000 }],
  });
  return {
    version: RUN_RECORD_VERSION,
    runId,
    startedAt,
    endedAt: startedAt,
    status: failed ? 'failed' : 'ok',
    error: null,
    device: { uri: 'sim:esp32c3', chip: 'esp32c3', ip: '127.0.0.2', resetReason: 'POWERON' },
    labels: { ref: 'v1' },
    host: { hostname: 'h', platform: 'linux', espbenchVersion: '0.1.0', listen: '0.0.0.0', portBase: 4321 },
    testDurationS: 2,
    iterations: 1,
    results: [result('ok'), ...Array.from({ length: failed }, () => result('failed'))],
    log: [{ t: 0, line: 'Testing download...' }],
  };
}

const tempStore = () => new LocalStore(mkdtempSync(join(tmpdir(), 'espbench-store-')));

describe('LocalStore', () => {
  it('saves, reads back and lists runs oldest first', async () => {
    const store = tempStore();
    await store.save(record('b-run', '2026-01-02T00:00:00.000Z', 1));
    await store.save(record('a-run', '2026-01-03T00:00:00.000Z'));
    expect((await store.get('b-run')).results).toHaveLength(2);
    const { runs, unreadable } = await store.list();
    expect(runs.map((r) => [r.runId, r.failures])).toEqual([
      ['b-run', 1],
      ['a-run', 0],
    ]);
    expect(unreadable).toEqual([]);
    expect(readdirSync(store.dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('finds a run by unique prefix and explains ambiguity or absence', async () => {
    const store = tempStore();
    await store.save(record('20260101-000000-aaaaaa', '2026-01-01T00:00:00.000Z'));
    await store.save(record('20260101-000000-abbbbb', '2026-01-01T00:00:00.000Z'));
    expect((await store.get('20260101-000000-aa')).runId).toBe('20260101-000000-aaaaaa');
    await expect(store.get('20260101-000000-a')).rejects.toThrow(/matches 2 runs .*give more of the id/);
    await expect(store.get('nope')).rejects.toThrow(StoreError);
    await expect(store.get('nope')).rejects.toThrow(/espbench runs/);
  });

  it('reports unreadable files instead of failing the listing', async () => {
    const store = tempStore();
    await store.save(record('good', '2026-01-01T00:00:00.000Z'));
    writeFileSync(join(store.dir, 'broken.json'), '{"version": 1');
    writeFileSync(join(store.dir, 'future.json'), JSON.stringify({ ...record('future', 'x'), version: 7 }));
    const { runs, unreadable } = await store.list();
    expect(runs.map((r) => r.runId)).toEqual(['good']);
    expect(unreadable.map((u) => u.reason).join('\n')).toMatch(/JSON[\s\S]*version 7 is not supported/);
  });

  it('lists an empty, missing store as empty', async () => {
    expect(await new LocalStore(join(tmpdir(), 'espbench-none-' + Date.now())).list()).toEqual({ runs: [], unreadable: [] });
  });

  it('refuses run ids that would escape the directory', () => {
    expect(() => tempStore().fileFor('../etc/passwd')).toThrow(StoreError);
  });
});

describe('resolveResultsDir', () => {
  it('prefers the option, then ESPBENCH_RESULTS, then ./espbench-results', () => {
    expect(resolveResultsDir('/x', { ESPBENCH_RESULTS: '/y' })).toBe('/x');
    expect(resolveResultsDir(undefined, { ESPBENCH_RESULTS: '/y' })).toBe('/y');
    expect(resolveResultsDir(undefined, {})).toBe(join(process.cwd(), 'espbench-results'));
  });
});

describe('newRunId', () => {
  it('is sortable by time and valid as a file name', () => {
    const a = newRunId(new Date('2026-11-22T04:30:15Z'));
    expect(a).toMatch(/^20261122-043015-[0-9a-f]{6}$/);
    expect(newRunId(new Date('2026-11-22T04:30:16Z')) > a).toBe(true);
  });
});
