import { z } from 'zod';

/** Bump when a RunRecord changes shape; readers reject versions they do not know. */
export const RUN_RECORD_VERSION = 1;

/** esp-hal's WiFi bench loop runs the first three; protocol-v1 firmware (docs/protocol-v1.md) runs all. */
export const SCENARIOS = ['wifi-tcp-download', 'wifi-tcp-upload', 'wifi-tcp-updown', 'wifi-udp-download', 'wifi-udp-upload', 'ble-notify', 'ble-write'] as const;
export const Scenario = z.enum(SCENARIOS);
export type Scenario = z.infer<typeof Scenario>;
/** The scenarios of esp-hal's qa-test WiFi bench loop, in the order it runs them. */
export const UPSTREAM_SCENARIOS = ['wifi-tcp-download', 'wifi-tcp-upload', 'wifi-tcp-updown'] as const;
export type UpstreamScenario = (typeof UPSTREAM_SCENARIOS)[number];

export const RunStatus = z.enum(['ok', 'failed', 'aborted']);
export type RunStatus = z.infer<typeof RunStatus>;

export const ResultStatus = z.enum(['ok', 'failed']);
export type ResultStatus = z.infer<typeof ResultStatus>;

/** One interval sample: seconds since the test's connection was accepted, bytes moved in that interval. */
export const Interval = z.object({
  t: z.number().nonnegative(),
  bytes: z.number().int().nonnegative(),
});
export type Interval = z.infer<typeof Interval>;

export const PanicInfo = z.object({
  message: z.string(),
  location: z.string().nullable(),
  backtrace: z.array(z.string()),
});
export type PanicInfo = z.infer<typeof PanicInfo>;

export const Failure = z.object({
  /** Machine-readable cause: reset, panic, connect-error, read-error, write-error, eof, timeout, no-connection, ... */
  kind: z.string(),
  message: z.string(),
  resetReason: z.string().nullable().optional(),
  panic: PanicInfo.optional(),
});
export type Failure = z.infer<typeof Failure>;

/** What one board reported about a protocol-v1 run (its own count and link details). */
export const BoardReport = z.object({
  /** Device URI of the board that reported it. */
  uri: z.string(),
  /** `sender`, `receiver` or `echo` (what the board did), and its BLE role when there is one. */
  role: z.string(),
  bleRole: z.enum(['central', 'peripheral']).nullable().optional(),
  bytes: z.number().int().nonnegative(),
  ms: z.number().nonnegative(),
  kibps: z.number().nonnegative(),
  /** RSSI, channel, PHY, MTU, connection interval, packets, ... as the board printed them. */
  details: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
});
export type BoardReport = z.infer<typeof BoardReport>;

/** UDP datagram accounting by sequence number. */
export const UdpStats = z.object({
  datagrams: z.number().int().nonnegative(),
  lost: z.number().int().nonnegative(),
  lossPct: z.number().nonnegative(),
  outOfOrder: z.number().int().nonnegative(),
  duplicates: z.number().int().nonnegative(),
  /** RFC 3550 interarrival jitter, ms (null when the receiver is the board). */
  jitterMs: z.number().nonnegative().nullable(),
});
export type UdpStats = z.infer<typeof UdpStats>;

export const Result = z.object({
  scenario: Scenario,
  iteration: z.number().int().positive(),
  status: ResultStatus,
  failure: Failure.nullable(),
  /** What the board printed (upstream's truncated integer kB/s, which is KiB/s), or null. */
  deviceKiBps: z.number().nonnegative().nullable(),
  /** What the host measured in the scenario's direction, or null when the iteration failed. */
  hostKiBps: z.number().nonnegative().nullable(),
  /** Bytes the host counts as delivered in the scenario's direction. */
  bytes: z.number().int().nonnegative(),
  durationS: z.number().nonnegative(),
  startedAt: z.string(),
  endedAt: z.string(),
  /** Raw host counters of the test connection: bytes the host sent and received. */
  hostTxBytes: z.number().int().nonnegative(),
  hostRxBytes: z.number().int().nonnegative(),
  intervals: z.array(Interval),
  /** Protocol-v1 runs: what each board reported (the device under test first, then the peer). */
  boards: z.array(BoardReport).optional(),
  udp: UdpStats.optional(),
  /** The scenario that ran at the same time on the other radio, or absent when this one ran alone. */
  coex: z.string().nullable().optional(),
  /** Coexistence runs: change against the same scenario alone in the same round, percent. */
  degradationPct: z.number().nullable().optional(),
});
export type Result = z.infer<typeof Result>;

export const DeviceInfo = z.object({
  uri: z.string(),
  chip: z.string().nullable(),
  ip: z.string().nullable(),
  resetReason: z.string().nullable(),
  /**
   * The board's identity, so it keeps its history when it moves to another port or rig: the USB
   * serial number of its port (from the system's port listing; the adapter's, or the chip's own for
   * USB-Serial-JTAG), and its MAC where the firmware says it (protocol-v1 hello). Absent in older records.
   */
  serialNumber: z.string().nullable().optional(),
  mac: z.string().nullable().optional(),
});
export type DeviceInfo = z.infer<typeof DeviceInfo>;

export const HostInfo = z.object({
  hostname: z.string(),
  platform: z.string(),
  espbenchVersion: z.string(),
  listen: z.string(),
  portBase: z.number().int(),
});
export type HostInfo = z.infer<typeof HostInfo>;

export const RunRecord = z.object({
  version: z.literal(RUN_RECORD_VERSION),
  runId: z.string().min(1),
  startedAt: z.string(),
  endedAt: z.string(),
  status: RunStatus,
  error: z.string().nullable(),
  device: DeviceInfo,
  labels: z.record(z.string(), z.string()),
  host: HostInfo,
  /** Test duration the firmware was built with (upstream TEST_DURATION), seconds. */
  testDurationS: z.number().positive(),
  iterations: z.number().int().nonnegative(),
  results: z.array(Result),
  /** Protocol-v1 firmware as it introduced itself (absent for esp-hal's bench loop). */
  firmware: z
    .object({ name: z.string(), version: z.string(), protocol: z.number().int(), mac: z.string(), capabilities: z.array(z.string()) })
    .optional(),
  /** The BLE peer board, when the run had one. */
  peer: z.object({ uri: z.string(), chip: z.string().nullable(), mac: z.string().nullable() }).optional(),
  /** Scenarios the plan skipped because the chip or firmware cannot run them, with why. */
  skipped: z.array(z.object({ scenario: z.string(), reason: z.string() })).optional(),
  /** Serial log as received (lines, ANSI stripped), kept with the run. */
  log: z.array(z.object({ t: z.number(), line: z.string() })),
});
export type RunRecord = z.infer<typeof RunRecord>;

export class RecordFormatError extends Error {
  override readonly name = 'RecordFormatError';
}

/** Validate unknown JSON as a RunRecord; throws RecordFormatError naming the first problem. */
export function parseRunRecord(data: unknown, source = 'record'): RunRecord {
  if (data && typeof data === 'object' && 'version' in data && data.version !== RUN_RECORD_VERSION) {
    throw new RecordFormatError(
      `${source}: RunRecord version ${String(data.version)} is not supported (this espbench reads version ${RUN_RECORD_VERSION})`,
    );
  }
  const parsed = RunRecord.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : '(root)';
    throw new RecordFormatError(`${source}: invalid RunRecord at ${where}: ${issue?.message ?? 'unknown'}`);
  }
  return parsed.data;
}

export const KIB = 1024;
/** KiB/s from bytes and seconds. */
export function kibps(bytes: number, seconds: number): number {
  return seconds > 0 ? bytes / KIB / seconds : 0;
}
