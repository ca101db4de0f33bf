import { sleep } from './abortable.js';
import { PHASE_PORT_OFFSET, TEST_PHASES, type TestPhase } from './firmware.js';
import type { Fault, SimOptions } from './options.js';
import type { SerialOut } from './serial.js';
import type { StallGate } from './stall-gate.js';
import { runTestPhase, type SocketSlot } from './test-phase.js';

export interface TestResult {
  round: number;
  phase: TestPhase;
  totalBytes: number;
  kbps: number;
  durationS: number;
}

export interface RoundContext {
  options: SimOptions;
  host: string;
  portBase: number;
  serial: SerialOut;
  gate: StallGate;
  slot: SocketSlot;
  signal: AbortSignal;
  clock: () => number;
  /** Carries out a fault: mid-test for reset, panic, garbage and stall; before connecting for connect-error. */
  injectFault: (fault: Fault) => void;
  onResult: (result: TestResult) => void;
}

/** One pass of the firmware's main loop: download, upload, upload+download, then the pause. */
export async function runRound(ctx: RoundContext, round: number): Promise<void> {
  const { options } = ctx;
  for (const phase of TEST_PHASES) {
    await ctx.gate.pass(ctx.signal);
    const faults = options.faults.filter((f) => f.round === round && f.phase === phase);
    const failConnect = faults.filter((f) => f.kind === 'connect-error');
    const midTest = faults.filter((f) => f.kind !== 'connect-error');
    failConnect.forEach((f) => ctx.injectFault(f));
    const outcome = await runTestPhase({
      phase,
      host: ctx.host,
      port: ctx.portBase + PHASE_PORT_OFFSET[phase],
      localAddress: options.ip,
      rateBytesPerS: options.rates[phase],
      durationS: options.durationS,
      serial: ctx.serial,
      gate: ctx.gate,
      slot: ctx.slot,
      signal: ctx.signal,
      clock: ctx.clock,
      failConnect: failConnect.length > 0,
      onMidTest: midTest.length > 0 ? () => midTest.forEach((f) => ctx.injectFault(f)) : undefined,
    });
    if (outcome.kind === 'result') {
      ctx.onResult({ round, phase, totalBytes: outcome.totalBytes, kbps: outcome.kbps, durationS: options.durationS });
    }
  }
  await sleep(options.pauseS * 1000, ctx.signal);
}
