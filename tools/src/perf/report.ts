import type { PerfEndpoint } from './load.js';

export interface Cell {
  endpoint: PerfEndpoint;
  connections: number;
  espbenchMBps: number;
  socatMBps: number | null;
  /** espbench / socat. */
  ratio: number | null;
}

export function cell(endpoint: PerfEndpoint, connections: number, espbenchMBps: number, socatMBps: number | null): Cell {
  return { endpoint, connections, espbenchMBps, socatMBps, ratio: socatMBps ? espbenchMBps / socatMBps : null };
}

export function formatTable(cells: Cell[]): string {
  const head = ['endpoint', 'connections', 'espbench MB/s', 'socat MB/s', 'ratio'];
  const rows = cells.map((c) => [
    c.endpoint,
    String(c.connections),
    c.espbenchMBps.toFixed(0),
    c.socatMBps === null ? '-' : c.socatMBps.toFixed(0),
    c.ratio === null ? '-' : c.ratio.toFixed(2),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}
