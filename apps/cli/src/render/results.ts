import type { Result, RunRecord } from '@espbench/schema';
import type { colours } from './style.js';
import { kib, mbit, table } from './table.js';

type Row = { record: RunRecord; result: Result };

export function resultsTable(records: RunRecord[], c: ReturnType<typeof colours>): string {
  const rows: Row[] = records.flatMap((record) => record.results.map((result) => ({ record, result })));
  if (!rows.length) return 'no results';
  const many = records.length > 1;
  return table(rows, [
    ...(many ? [{ header: 'device', value: (r: Row) => r.record.device.uri }] : []),
    { header: 'iter', value: (r) => String(r.result.iteration), align: 'right' },
    { header: 'scenario', value: (r) => r.result.scenario },
    { header: 'status', value: (r) => (r.result.status === 'ok' ? c.green('ok') : c.red('failed')) },
    { header: 'host KiB/s', value: (r) => kib(r.result.hostKiBps), align: 'right' },
    { header: 'Mbit/s', value: (r) => mbit(r.result.hostKiBps), align: 'right' },
    { header: 'board KiB/s', value: (r) => (r.result.deviceKiBps === null ? '-' : String(r.result.deviceKiBps)), align: 'right' },
    { header: 'bytes', value: (r) => String(r.result.bytes), align: 'right' },
    { header: 'note', value: (r) => r.result.failure?.message ?? '' },
  ]);
}
