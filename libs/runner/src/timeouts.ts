/** Per-phase limits, seconds. Each names what the board failed to do when it runs out. */
export interface PhaseTimeouts {
  /** Attach: until the first `Testing download...` (a board may be booting, joining WiFi or mid-round). */
  attachS: number;
  /** `Testing ...` to `connecting to ...`. */
  connectingS: number;
  /** `connecting to ...` to `connected, testing...` or `connect error:` (the firmware's own limit is 10 s). */
  connectS: number;
  /** `connected, testing...` to the host seeing that connection. */
  acceptS: number;
  /** Beyond the test duration, until the `<direction>: N kB/s` line. */
  resultMarginS: number;
  /** One test's result to the next test's start within a round. */
  nextTestS: number;
  /** Last test of a round to the next round, beyond the firmware's pause. */
  nextRoundMarginS: number;
  /** After a reset, panic or stall: until the board starts a round again. */
  recoverS: number;
  /** After a serial port vanished (USB unplug): until it is back at the same path. */
  reconnectS: number;
}

export function defaultTimeouts(testDurationS: number, pauseS: number, overrides: Partial<PhaseTimeouts> = {}): PhaseTimeouts {
  return {
    attachS: 3 * (testDurationS + 5) + pauseS + 60,
    connectingS: 5,
    connectS: 15,
    acceptS: 5,
    resultMarginS: 15,
    nextTestS: 10,
    nextRoundMarginS: 15,
    recoverS: 3 * (testDurationS + 5) + pauseS + 60,
    reconnectS: 120,
    ...overrides,
  };
}
