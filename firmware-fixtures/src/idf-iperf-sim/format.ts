import type { ReportGeneration } from './options.js';

/** iperf-cmd's `-f` formats (generation 3: b k m K M; generation 2: k m; generation 1 has no `-f`). */
export type OutputFormat = 'b' | 'k' | 'm' | 'K' | 'M';

/** C's `%Nd` (right-aligned, at least N wide). */
const padInt = (n: number, width: number): string => String(Math.trunc(n)).padStart(width, ' ');
/** C's `%.2f`. */
const f2 = (x: number): string => x.toFixed(2);

/** The lines printed when a test starts, before the first interval (each without terminator). */
export function reportHeader(gen: ReportGeneration): string[] {
  switch (gen) {
    case 1:
      // printf("\n%16s %s\n", "Interval", "Bandwidth")
      return ['', `${'Interval'.padStart(16, ' ')} Bandwidth`];
    case 2:
      // printf("\nInterval       Bandwidth\n")
      return ['', 'Interval       Bandwidth'];
    case 3:
      // printf("\n[ ID] Interval\t\tTransfer\tBandwidth\n")
      return ['', '[ ID] Interval\t\tTransfer\tBandwidth'];
  }
}

/** Generation 1: `%4d-%4d sec       %.2f Mbits/sec`, bandwidth in 10^6 bits/s. */
export function gen1Line(startS: number, endS: number, bytes: number, seconds: number): string {
  const mbps = seconds > 0 ? (bytes * 8) / seconds / 1e6 : 0;
  return `${padInt(startS, 4)}-${padInt(endS, 4)} sec       ${f2(mbps)} Mbits/sec`;
}

/** Generation 2: `%2d.0-%2d.0 sec  %.2f %cbits/sec`, 2^20 (M, default) or 2^10 (K, `-f k`) based. */
export function gen2Value(bytes: number, seconds: number, format: OutputFormat): number {
  const divisor = format === 'k' ? 1024 : 1024 * 1024;
  return seconds > 0 ? ((bytes / divisor) * 8) / seconds : 0;
}

export function gen2Line(startS: number, endS: number, value: number, format: OutputFormat): string {
  return `${padInt(startS, 2)}.0-${padInt(endS, 2)}.0 sec  ${f2(value)} ${format === 'k' ? 'K' : 'M'}bits/sec`;
}

/**
 * Generation 3 (iperf-cmd 1.0.x): `[%3d] %2u.0-%2u.0 sec\t%2.2f %cBytes\t%.2f %c%ss/sec`. `-f m` (default):
 * MBytes = 10^6 B and Mbits/sec; `-f k`: 10^3 and Kbits/sec; `-f M` / `-f K`: 2^20 / 2^10 bytes and
 * MBytes/sec / KBytes/sec; `-f b`: bytes with a NUL unit character, as the C code prints it.
 */
export function gen3Line(id: number, startS: number, endS: number, bytes: number, format: OutputFormat): string {
  const seconds = endS - startS;
  let transfer = bytes;
  let unit = '\0';
  let isByte = false;
  switch (format) {
    case 'k':
      transfer = bytes / 1000;
      unit = 'K';
      break;
    case 'm':
      transfer = bytes / 1e6;
      unit = 'M';
      break;
    case 'K':
      transfer = bytes / 1024;
      unit = 'K';
      isByte = true;
      break;
    case 'M':
      transfer = bytes / 1024 / 1024;
      unit = 'M';
      isByte = true;
      break;
    case 'b':
      break;
  }
  const bandwidth = seconds > 0 ? (isByte ? transfer / seconds : (transfer / seconds) * 8) : 0;
  return `[${padInt(id, 3)}] ${padInt(startS, 2)}.0-${padInt(endS, 2)}.0 sec\t${f2(transfer)} ${unit}Bytes\t${f2(bandwidth)} ${unit}${isByte ? 'Byte' : 'bit'}s/sec`;
}

/** ESP-IDF log line `L (ms) tag: message` (colours off). */
export function logLine(level: 'E' | 'W' | 'I', ms: number, tag: string, message: string): string {
  return `${level} (${Math.max(0, Math.round(ms))}) ${tag}: ${message}`;
}
