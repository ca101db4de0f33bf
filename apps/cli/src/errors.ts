import { CommanderError } from 'commander';

/** Errors the user can fix: printed as one line, exit code 2, no stack trace. */
const USER_ERRORS = new Set([
  'LinkError',
  'LabelError',
  'PortInUseError',
  'ListenError',
  'SimUriError',
  'StoreError',
  'RecordFormatError',
  'UsageError',
  'InfluxConfigError',
  'InfluxQueryError',
  'SelectorError',
  'PlanError',
  'PlanFileError',
  'ProtocolVersionError',
  'BrokerError',
  'TopicError',
  'RigConfigError',
  'Iperf2MissingError',
  'Iperf2VersionError',
  'FirmwareImageError',
  'FlashError',
]);

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

export function isUserError(err: unknown): err is Error {
  return err instanceof Error && USER_ERRORS.has(err.name);
}

export function reportError(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT.usage;
  if (isUserError(err)) {
    process.stderr.write(`espbench: ${err.message}\n`);
    return EXIT.usage;
  }
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(`espbench: unexpected error: ${msg}\n`);
  if (process.env.ESPBENCH_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  else process.stderr.write('espbench: this is a bug; rerun with ESPBENCH_DEBUG=1 for details and report it\n');
  return EXIT.failed;
}

export function parsePositiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${name} must be a positive integer, got "${value}"`);
    return n;
  };
}

export function parsePositiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${name} must be a positive number, got "${value}"`);
    return n;
  };
}

export function parsePort(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > 65533) throw new UsageError(`${name} must be a port number 0-65533, got "${value}"`);
    return n;
  };
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
