import type { DeviceSpec } from '@espbench/link';
import { parseSimUri } from '@espbench/firmware-fixtures';

/**
 * A simulated board's own TEST_DURATION, pause and source address. Boards without `ip=` get
 * 127.0.0.2, .3, ... in order, so several on one host are told apart like boards on a WiFi network.
 */
export function simDevice(spec: DeviceSpec & { kind: 'sim' }, index: number) {
  const sim = parseSimUri(spec.uri);
  const named = /[?&]ip=/.test(spec.uri);
  const ip = named ? sim.ip : `127.0.0.${2 + index}`;
  return { spec: { kind: 'sim' as const, uri: spec.uri, ip: named ? undefined : ip }, testDurationS: sim.durationS, pauseS: sim.pauseS, ip };
}
