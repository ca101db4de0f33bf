/**
 * ESP-IDF's BLE throughput examples print their rate every few seconds. Seen upstream:
 * - bluedroid `ble_throughput` client: `I (6438) GATTC_DEMO_PHY: Notify Bit rate = 97642 Byte/s, = 781136 bit/s, time = 0s`,
 *   and before data flows `Notify Bit rate = 0 Byte/s, = 0 bit/s` (no time);
 * - the multi-connection demos: `gatts notify Bit rate = N Byte/s, = N bit/s, time = Ns.` and
 *   `gattc write Bit rate = N Byte/s, = N bit/s, time = Ns.`
 */
export interface IdfBleThroughput {
  kind: 'notify' | 'write';
  bytesPerS: number;
  bitsPerS: number;
  /** Seconds since the transfer began; null when the line does not say. */
  timeS: number | null;
}

const LINE = /\b(?:gatt[cs] )?(notify|write) Bit rate = (\d+) Byte\/s, = (\d+) bit\/s(?:, time = (\d+)s)?/i;

export function parseIdfBleThroughput(line: string): IdfBleThroughput | null {
  const m = LINE.exec(line);
  if (!m) return null;
  return {
    kind: m[1]!.toLowerCase() === 'notify' ? 'notify' : 'write',
    bytesPerS: Number(m[2]),
    bitsPerS: Number(m[3]),
    timeS: m[4] === undefined ? null : Number(m[4]),
  };
}
