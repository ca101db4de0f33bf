/**
 * Constants and arithmetic of esp-hal's `qa-test/src/bin/embassy_wifi_bench.rs`, reproduced (not copied)
 * so the simulator's numbers line up with a real board's.
 */

export const TEST_PHASES = ['download', 'upload', 'updown'] as const;
export type TestPhase = (typeof TEST_PHASES)[number];

/** Text used in `Testing <label>...` and `<label>: N kB/s`. */
export const PHASE_LABEL: Record<TestPhase, string> = {
  download: 'download',
  upload: 'upload',
  updown: 'upload+download',
};

/** DOWNLOAD_PORT 4321, UPLOAD_PORT 4322, UPLOAD_DOWNLOAD_PORT 4323, as offsets from the port base. */
export const PHASE_PORT_OFFSET: Record<TestPhase, number> = { download: 0, upload: 1, updown: 2 };
export const DEFAULT_PORT_BASE = 4321;

/** IO_BUFFER_SIZE: every read and write of the firmware moves at most this many bytes. */
export const IO_BUFFER_SIZE = 1024;
/** `socket.set_timeout(Some(Duration::from_secs(10)))` before each connect. */
export const CONNECT_TIMEOUT_MS = 10_000;
/** TEST_DURATION. */
export const UPSTREAM_TEST_DURATION_S = 15;
/** `Timer::after(Duration::from_millis(10000))` between rounds. */
export const UPSTREAM_ROUND_PAUSE_S = 10;

/**
 * The firmware's `(total + 512) / 1024 / TEST_DURATION` in integer arithmetic (KiB/s, truncated).
 * For a fractional simulated duration it is floor((total + 512) / 1024 / duration).
 */
export function firmwareKbps(totalBytes: number, durationS: number): number {
  if (Number.isInteger(durationS)) return Math.floor(Math.floor((totalBytes + 512) / 1024) / durationS);
  return Math.floor((totalBytes + 512) / 1024 / durationS);
}
