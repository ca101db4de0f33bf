export type Align = 'left' | 'right';

export interface Column<T> {
  header: string;
  value: (row: T) => string;
  align?: Align;
}

/** A plain aligned text table (no box drawing, so it pastes well into issues). */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => c.value(r)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i]!.length)));
  const fmt = (values: string[]) =>
    values
      .map((v, i) => (columns[i]!.align === 'right' ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [fmt(columns.map((c) => c.header)), ...cells.map(fmt)].join('\n');
}

export function kib(value: number | null | undefined): string {
  return value === null || value === undefined ? '-' : value.toFixed(1);
}

/** KiB/s to Mbit/s, the unit iperf users think in. */
export function mbit(kibps: number | null | undefined): string {
  return kibps === null || kibps === undefined ? '-' : ((kibps * 1024 * 8) / 1e6).toFixed(2);
}
