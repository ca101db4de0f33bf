import { describe, expect, it } from 'vitest';
import { serialOpenError } from './serial-link.js';

// The messages serialport's Linux bindings give for open() failures, mapped to one-line fixes.
describe('serialOpenError', () => {
  it.each([
    ['Error: No such file or directory, cannot open /dev/ttyUSB9', 'no-such-port', /espbench devices/],
    ['Error: Permission denied, cannot open /dev/ttyUSB0', 'permission-denied', /dialout group \(sudo usermod -aG dialout \$USER\)/],
    ['Error Resource temporarily unavailable Cannot lock port', 'port-busy', /close the program holding it/],
    ['Error: Input/output error', 'connect-failed', /cannot open serial port \/dev\/ttyUSB0: Error: Input\/output error/],
  ])('%s', (message, code, hint) => {
    const err = serialOpenError('/dev/ttyUSB0', new Error(message));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(hint);
    expect(err.message).not.toContain('\n');
  });
});
