import net from 'node:net';
import { ptyPair } from '@espbench/tools/testing';
import { describe, expect, it } from 'vitest';
import { espbench, type CliResult } from './cli.js';

function expectUsageError(r: CliResult, message: RegExp) {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines.some((l) => message.test(l)), r.stderr).toBe(true);
  expect(r.stderr).not.toMatch(/^\s+at /m); // no stack trace
  expect(r.stdout).toBe('');
}

describe('bad input: one line, exit 2, no stack trace', () => {
  it.each([
    [['run', '--device', 'ttyUSB0'], /--device "ttyUSB0": unrecognised device/],
    [['run', '--device', 'sim:esp32c3', '--label', 'novalue'], /label "novalue" is not k=v/],
    [['run', '--device', 'sim:esp32c3', '--iterations', '0'], /--iterations must be a positive integer/],
    [['run', '--device', 'sim:esp32h2'], /esp32h2/],
    [['run', '--device', 'sim:esp32c3?rate=fast'], /rate/],
    [['run', '--device', '/dev/ttyESPBENCH-none'], /does not exist.*espbench devices/],
    [['run'], /required option.*--device/],
    [['run', '--device', 'sim:esp32c3', '--bogus'], /unknown option/],
    [['show', 'no-such-run', '--results', '/tmp/espbench-empty-store'], /no run "no-such-run"/],
  ])('espbench %j', async (args, message) => {
    expectUsageError(await espbench(args), message);
  });

  it('names a traffic port that is already in use', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = await espbench(['run', '--device', 'sim:esp32c3', '--listen', '127.0.0.1', '--port-base', String(port)]);
      expectUsageError(r, new RegExp(String(port)));
    } finally {
      blocker.close();
    }
  });

  it('reports a serial port held by another program as busy', async () => {
    const pty = await ptyPair();
    const holder = await import('serialport').then(({ SerialPort }) => new SerialPort({ path: pty.path, baudRate: 115200, lock: true }));
    await new Promise((r) => holder.once('open', r));
    try {
      expectUsageError(await espbench(['run', '--device', pty.path, '--listen', '127.0.0.1', '--port-base', '0']), /busy/);
    } finally {
      await new Promise((r) => holder.close(r));
      await pty.close();
    }
  });
});

describe('help', () => {
  it.each(['run', 'runs', 'show', 'serve', 'devices'])('%s --help has examples', async (cmd) => {
    const r = await espbench([cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: espbench/);
    expect(r.stdout).toMatch(/Examples?:/);
  });
});
