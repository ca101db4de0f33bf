import type { DeviceSpec } from '@espbench/link';
import { parseSimUri } from '@espbench/firmware-fixtures';

/**
 * A simulated board's own TEST_DURATION, pause and source address. Boards without `ip=` get
 * 127.0.0.2, .3, ... in order, so several on one host are told apart like boards on a WiFi network.
 */
export function simDevice(spec: DeviceSpec & { kind: 'sim' }, index: number) {
  const sim = parseSimUri(spec.uri);
  let uri = spec.uri;
  let ip = sim.ip;
  if (!/[?&]ip=/.test(uri)) {
    ip = `127.0.0.${2 + index}`;
    uri += `${uri.includes('?') ? '&' : '?'}ip=${ip}`;
  }
  return { spec: { kind: 'sim' as const, uri }, testDurationS: sim.durationS, pauseS: sim.pauseS, ip };
}
