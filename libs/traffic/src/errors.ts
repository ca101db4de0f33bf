/** A traffic port is already bound, usually by another bench-server or `espbench serve`. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(
    readonly port: number,
    readonly host: string,
  ) {
    super(
      `port ${port} on ${host} is already in use: another bench-server or \`espbench serve\` is probably running; ` +
        `stop it, or choose other ports with --port-base (the firmware must then use the same ports)`,
    );
  }
}

/** Listening failed for another reason the user can fix (EACCES: privileged port; EADDRNOTAVAIL: not a local address). */
export class ListenError extends Error {
  override readonly name = 'ListenError';
  constructor(
    readonly code: string,
    readonly port: number,
    readonly host: string,
    cause?: unknown,
  ) {
    super(`cannot listen on ${host}:${port}: ${describe(code, host)}`, { cause });
  }
}

function describe(code: string, host: string): string {
  switch (code) {
    case 'EACCES':
      return 'permission denied (ports below 1024 need privileges; choose --port-base 1024 or above)';
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${host} is not an address of this host; use one that \`ip -4 addr\` lists, or 0.0.0.0 for all (--listen)`;
    default:
      return code;
  }
}

/** waitForConnection gave up. */
export class ConnectionTimeoutError extends Error {
  override readonly name = 'ConnectionTimeoutError';
}
