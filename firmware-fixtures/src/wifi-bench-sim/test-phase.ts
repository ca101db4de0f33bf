import { CONNECT_TIMEOUT_MS, PHASE_LABEL, firmwareKbps, type TestPhase } from './firmware.js';
import { PacedReader, PacedWriter } from './pacers.js';
import type { SerialOut } from './serial.js';
import type { StallGate } from './stall-gate.js';
import { connectBoardSocket, type BoardSocket, type ConnectErrorName } from './tcp.js';

/** The socket the firmware keeps between tests; it is aborted at the start of the next test. */
export interface SocketSlot {
  current: BoardSocket | null;
}

export interface TestPhaseInit {
  phase: TestPhase;
  host: string;
  port: number;
  localAddress: string;
  rateBytesPerS: number;
  durationS: number;
  serial: SerialOut;
  gate: StallGate;
  slot: SocketSlot;
  /** Aborted on reboot or stop; the phase then rejects with the signal's reason. */
  signal: AbortSignal;
  clock: () => number;
  /** Fault `connect-error`: fail the connect without trying. */
  failConnect?: boolean;
  /** Called once, half-way through the transfer (fault injection point). */
  onMidTest?: () => void;
}

export type TestPhaseOutcome =
  | { kind: 'result'; totalBytes: number; kbps: number }
  | { kind: 'connect-error'; error: ConnectErrorName };

/** One of `test_download`, `test_upload`, `test_upload_download`. */
export async function runTestPhase(init: TestPhaseInit): Promise<TestPhaseOutcome> {
  const { serial, slot, phase, signal } = init;
  const label = PHASE_LABEL[phase];
  serial.line(`Testing ${label}...`);
  slot.current?.abort();
  slot.current = null;
  serial.line(`connecting to ${init.host}:${init.port}...`);

  const outcome = init.failConnect
    ? ({ ok: false, error: 'ConnectionReset' } as const)
    : await connectBoardSocket(init.host, init.port, init.localAddress, CONNECT_TIMEOUT_MS, signal);
  if (!outcome.ok) {
    serial.line(`connect error: ${outcome.error}`);
    return { kind: 'connect-error', error: outcome.error };
  }
  slot.current = outcome.conn;
  serial.line('connected, testing...');

  const totalBytes = await transfer(outcome.conn, init);
  await init.gate.pass(signal);
  const kbps = firmwareKbps(totalBytes, init.durationS);
  serial.line(`${label}: ${kbps} kB/s`);
  return { kind: 'result', totalBytes, kbps };
}

/** Moves data until the test timeout (or EOF / error), resolving with the bytes the firmware counts. */
function transfer(conn: BoardSocket, init: TestPhaseInit): Promise<number> {
  const { phase, serial, gate, signal } = init;
  const socket = conn.socket;
  const durationMs = init.durationS * 1000;
  const startMs = init.clock();

  return new Promise<number>((resolve, reject) => {
    let settled = false;
    const pacerInit = {
      rateBytesPerS: init.rateBytesPerS,
      clock: init.clock,
      startMs,
      deadlineMs: startMs + durationMs,
      gate,
      onDone: () => maybeDone(),
    };
    const reader = phase === 'upload' ? null : new PacedReader(conn, pacerInit);
    const writer = phase === 'download' ? null : new PacedWriter(conn, pacerInit);

    const cleanup = (): void => {
      settled = true;
      clearTimeout(deadlineTimer);
      clearTimeout(midTimer);
      cancelThaw?.();
      signal.removeEventListener('abort', onAbort);
      socket.off('end', onEnd);
      socket.off('error', onError);
      socket.off('close', onClose);
    };
    const maybeDone = (): void => {
      if (settled || !(reader?.done ?? true) || !(writer?.done ?? true)) return;
      cleanup();
      resolve(reader ? reader.total : (writer?.total ?? 0));
    };
    const onAbort = (): void => {
      if (settled) return;
      cleanup();
      reader?.finish(false);
      writer?.finish(false);
      reject(signal.reason);
    };
    // The firmware's join() polls the writer first, so on a reset its error is printed first.
    const onError = (): void => {
      if (writer && !writer.done) {
        serial.line('write error: ConnectionReset');
        writer.finish();
      }
      if (reader && !reader.done) {
        serial.line('read error: ConnectionReset');
        reader.finish();
      }
    };
    const onClose = onError;
    const onEnd = (): void => {
      if (reader && !reader.done) {
        serial.line('read EOF');
        reader.finish();
      }
    };
    let cancelThaw: (() => void) | null = null;
    const onDeadline = (): void => {
      if (gate.frozen) {
        cancelThaw = gate.onThaw(onDeadline);
        return;
      }
      writer?.finishAtDeadline();
      reader?.finishAtDeadline();
    };

    const deadlineTimer = setTimeout(onDeadline, durationMs);
    const midTimer = setTimeout(() => {
      if (!settled) init.onMidTest?.();
    }, durationMs / 2);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.on('end', onEnd);
    socket.on('error', onError);
    socket.on('close', onClose);
    if (signal.aborted) {
      onAbort();
      return;
    }
    writer?.start();
    reader?.start();
  });
}
