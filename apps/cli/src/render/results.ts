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
    { header: 'scenario', value: (r) => r.result.scenario + (r.result.coex ? ` +${r.result.coex}` : '') },
    { header: 'status', value: (r) => (r.result.status === 'ok' ? c.green('ok') : c.red('failed')) },
    { header: 'host KiB/s', value: (r) => kib(r.result.hostKiBps), align: 'right' },
    { header: 'Mbit/s', value: (r) => mbit(r.result.hostKiBps), align: 'right' },
    { header: 'board KiB/s', value: (r) => (r.result.deviceKiBps === null ? '-' : Number.isInteger(r.result.deviceKiBps) ? String(r.result.deviceKiBps) : kib(r.result.deviceKiBps)), align: 'right' },
    { header: 'bytes', value: (r) => String(r.result.bytes), align: 'right' },
    { header: 'note', value: (r) => r.result.failure?.message ?? note(r.result) },
  ]);
}

/** Coexistence loss, UDP loss and BLE link facts, when the result has them. */
function note(r: Result): string {
  const parts: string[] = [];
  if (r.degradationPct !== undefined && r.degradationPct !== null) parts.push(`${r.degradationPct >= 0 ? '+' : ''}${r.degradationPct.toFixed(1)}% vs alone`);
  if (r.udp) parts.push(`loss ${r.udp.lossPct.toFixed(2)}%${r.udp.jitterMs !== null ? `, jitter ${r.udp.jitterMs.toFixed(2)} ms` : ''}`);
  const ble = r.boards?.find((b) => b.bleRole);
  if (ble) {
    const d = ble.details;
    parts.push([d.phy && `PHY ${d.phy}`, d.mtu && `MTU ${d.mtu}`, d.conn_interval_ms && `interval ${d.conn_interval_ms} ms`].filter(Boolean).join(', '));
  }
  return parts.join('; ');
}
