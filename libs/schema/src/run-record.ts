import { z } from 'zod';

/** Bump when a RunRecord changes shape; readers reject versions they do not know. */
export const RUN_RECORD_VERSION = 1;

export const SCENARIOS = ['wifi-tcp-download', 'wifi-tcp-upload', 'wifi-tcp-updown'] as const;
export const Scenario = z.enum(SCENARIOS);
export type Scenario = z.infer<typeof Scenario>;

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
});
export type Result = z.infer<typeof Result>;

export const DeviceInfo = z.object({
  uri: z.string(),
  chip: z.string().nullable(),
  ip: z.string().nullable(),
  resetReason: z.string().nullable(),
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
