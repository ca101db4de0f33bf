import { DeviceMessage, MARKER, MAX_PROTOCOL_LINE, PROTOCOL_VERSION, type HelloMessage, type HostCommand } from './messages.js';

export type V1Line =
  | { kind: 'message'; message: DeviceMessage }
  /** A well-formed line of a type this version does not know: ignored, as the spec says. */
  | { kind: 'unknown-type'; type: string }
  | { kind: 'malformed'; error: string; text: string };

/** The protocol content of a serial line, or null when the line is ordinary log output. */
export function parseV1Line(line: string): V1Line | null {
  const at = line.indexOf(MARKER);
  // The marker starts the line; leading whitespace or a stray \r from the UART is tolerated.
  if (at < 0 || line.slice(0, at).trim() !== '') return null;
  const text = line.slice(at + MARKER.length).trim();
  if (text.length > MAX_PROTOCOL_LINE) return { kind: 'malformed', error: `protocol line longer than ${MAX_PROTOCOL_LINE} bytes`, text: text.slice(0, 200) };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return { kind: 'malformed', error: `not JSON: ${(err as Error).message}`, text };
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) return { kind: 'malformed', error: 'not a JSON object', text };
  const type = (data as { type?: unknown }).type;
  if (typeof type !== 'string') return { kind: 'malformed', error: 'no "type"', text };
  const parsed = DeviceMessage.safeParse(data);
  if (parsed.success) return { kind: 'message', message: parsed.data };
  const known = ['hello', 'ready', 'start', 'interval', 'result', 'error', 'status'];
  if (!known.includes(type)) return { kind: 'unknown-type', type };
  const issue = parsed.error.issues[0];
  return { kind: 'malformed', error: `${type}: ${issue?.path.join('.') || 'message'} ${issue?.message ?? 'is invalid'}`, text };
}

/** A host command as the line to write to the board (marker, JSON, newline). */
export function encodeCommand(cmd: HostCommand): string {
  return `${MARKER}${JSON.stringify(cmd)}\n`;
}

/** A device message as a line (for simulators and tests). */
export function encodeMessage(msg: DeviceMessage): string {
  return `${MARKER}${JSON.stringify(msg)}\n`;
}

export class ProtocolVersionError extends Error {
  override readonly name = 'ProtocolVersionError';
}

/** Throws when the device speaks another protocol version, naming both. */
export function checkVersion(hello: HelloMessage, device: string): void {
  if (hello.protocol !== PROTOCOL_VERSION) {
    const fix = hello.protocol > PROTOCOL_VERSION ? 'update espbench' : 'update the firmware';
    throw new ProtocolVersionError(`${device} speaks espbench protocol ${hello.protocol}; this espbench speaks ${PROTOCOL_VERSION} (${fix})`);
  }
}
