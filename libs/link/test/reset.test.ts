import { ptyPair } from '@espbench/tools/testing';
import { SerialPort, SerialPortMock } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { LinkError } from '../src/errors.js';
import { applyResetSequence, hardResetSequence, isPtyPath, resetKindFor, ResetStepError, type ResetStep } from '../src/reset.js';
import { SerialLink, type SerialBinding } from '../src/serial-link.js';
import { recordingBinding, type LineChange } from './recording-binding.js';

const mock = SerialPortMock.binding;
const links: SerialLink[] = [];
afterEach(async () => {
  await Promise.all(links.splice(0).map((l) => l.close()));
});

function states(changes: LineChange[]): [boolean, boolean][] {
  return changes.map((c) => [c.dtr, c.rts]);
}

/** Milliseconds between one set() and the next. */
function gaps(changes: LineChange[]): number[] {
  return changes.slice(1).map((c, i) => c.at - changes[i]!.at);
}

async function openLink(path: string, binding: SerialBinding = mock): Promise<SerialLink> {
  const link = new SerialLink(path, path, 115200, { binding });
  links.push(link);
  await link.open();
  return link;
}

describe('hard reset sequences (esptool HardReset, espflash hard_reset)', () => {
  it('picks the USB-Serial-JTAG sequence only for 303a:1001', () => {
    expect(resetKindFor('303a:1001')).toBe('usb-serial-jtag');
    expect(resetKindFor('303A:1001')).toBe('usb-serial-jtag');
    for (const other of ['10c4:ea60', '1a86:7523', '1a86:55d4', '0403:6001', '0403:6010', '303a:0002', null, undefined]) {
      expect(resetKindFor(other)).toBe('uart-bridge');
    }
  });

  it('UART bridge: EN low (RTS alone) for 100 ms, then released, DTR never asserted', () => {
    const steps = hardResetSequence('uart-bridge');
    expect(steps).toEqual<ResetStep[]>([
      { dtr: false, rts: false, waitMs: 0 },
      { dtr: false, rts: true, waitMs: 100 },
      { dtr: false, rts: false, waitMs: 0 },
    ]);
  });

  it('USB-Serial-JTAG: DTR released first, RTS held 200 ms, 200 ms after release', () => {
    const steps = hardResetSequence('usb-serial-jtag');
    expect(steps).toEqual<ResetStep[]>([
      { dtr: false, rts: false, waitMs: 100 },
      { dtr: false, rts: true, waitMs: 200 },
      { dtr: false, rts: false, waitMs: 200 },
    ]);
  });

  it('never asks for GPIO0 low (DTR asserted, RTS released): that would be the bootloader', () => {
    for (const kind of ['uart-bridge', 'usb-serial-jtag'] as const) {
      for (const s of hardResetSequence(kind)) expect(s.dtr && !s.rts).toBe(false);
      expect(hardResetSequence(kind).at(-1)).toMatchObject({ dtr: false, rts: false });
    }
  });
});

describe('the DTR/RTS states as they reach the serialport binding', () => {
  it('SerialLink.reset on a 303a:1001 port sends the USB-Serial-JTAG states with their waits', async () => {
    mock.createPort('/dev/ttyMOCK-jtag', { vendorId: '303a', productId: '1001' });
    const rec = recordingBinding(mock);
    const link = await openLink('/dev/ttyMOCK-jtag', rec.binding);
    const started = performance.now();
    expect(await link.reset()).toEqual({ done: true, kind: 'usb-serial-jtag' });
    expect(states(rec.changes)).toEqual([
      [false, false],
      [false, true],
      [false, false],
    ]);
    const [idle, held] = gaps(rec.changes) as [number, number];
    expect(idle).toBeGreaterThanOrEqual(95);
    expect(held).toBeGreaterThanOrEqual(195);
    expect(performance.now() - started).toBeGreaterThanOrEqual(495);
  });

  it('SerialLink.reset on a CP210x port sends the UART bridge states', async () => {
    mock.createPort('/dev/ttyMOCK-cp210x', { vendorId: '10c4', productId: 'ea60' });
    const rec = recordingBinding(mock);
    const link = await openLink('/dev/ttyMOCK-cp210x', rec.binding);
    expect(await link.reset()).toEqual({ done: true, kind: 'uart-bridge' });
    expect(states(rec.changes)).toEqual([
      [false, false],
      [false, true],
      [false, false],
    ]);
    const [, held] = gaps(rec.changes) as [number, number];
    expect(held).toBeGreaterThanOrEqual(95);
    expect(held).toBeLessThan(1000);
  });

  it('a port missing from the listing gets the UART bridge sequence', async () => {
    mock.createPort('/dev/ttyMOCK-unlisted');
    const rec = recordingBinding({ list: async () => [], open: (o: never) => mock.open(o) });
    const link = await openLink('/dev/ttyMOCK-unlisted', rec.binding);
    expect(await link.reset()).toEqual({ done: true, kind: 'uart-bridge' });
    expect(rec.changes).toHaveLength(3);
  });

  it('a real pty refuses set(): the executor stops at the first step and says so', async () => {
    const pty = await ptyPair();
    const rec = recordingBinding(SerialPort.binding);
    const port = new SerialPort({ path: pty.path, baudRate: 115200, autoOpen: false, binding: rec.binding } as never);
    try {
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
      const err = await applyResetSequence(port, hardResetSequence('uart-bridge')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ResetStepError);
      expect((err as ResetStepError).step).toBe(0);
      expect((err as ResetStepError).cause.message).toMatch(/Inappropriate ioctl/);
      expect(rec.changes).toEqual([expect.objectContaining({ dtr: false, rts: false, error: expect.stringMatching(/Inappropriate ioctl/) })]);
    } finally {
      if (port.isOpen) await new Promise((r) => port.close(r));
      await pty.close();
    }
  });

  it('SerialLink.reset on a real pty does not touch the lines and says why', async () => {
    const pty = await ptyPair();
    try {
      expect(isPtyPath(pty.path)).toBe(true);
      const rec = recordingBinding(SerialPort.binding);
      const link = await openLink(pty.path, rec.binding);
      const outcome = await link.reset();
      expect(outcome).toMatchObject({ done: false, reason: expect.stringMatching(/pseudo terminal.*no DTR\/RTS/) });
      expect(rec.changes).toEqual([]);
    } finally {
      await pty.close();
    }
  });

  it('a port whose driver refuses set() is reported, not thrown', async () => {
    mock.createPort('/dev/ttyMOCK-nomodem');
    const refusing = {
      list: () => mock.list(),
      async open(o: never) {
        const port = await mock.open(o);
        port.set = () => Promise.reject(new Error('Error: Inappropriate ioctl for device, cannot set'));
        return port;
      },
    };
    const link = await openLink('/dev/ttyMOCK-nomodem', refusing);
    expect(await link.reset()).toMatchObject({ done: false, reason: expect.stringMatching(/cannot set DTR\/RTS/) });
  });
});

describe('reopening a port that went away', () => {
  it('returns a new open link once the path is back with the same serial number', async () => {
    mock.createPort('/dev/ttyMOCK-replug');
    const link = await openLink('/dev/ttyMOCK-replug');
    const serial = (await link.identify())?.serialNumber;
    expect(serial).toBeTruthy();
    await link.close();
    const back = await link.reopen({ timeoutMs: 2000, serialNumber: serial, pollMs: 20 });
    links.push(back as SerialLink);
    expect(back).not.toBe(link);
    expect(back.isClosed).toBe(false);
  });

  it('does not take another board that appears at the same path', async () => {
    mock.createPort('/dev/ttyMOCK-swap');
    const link = await openLink('/dev/ttyMOCK-swap');
    const serial = (await link.identify())!.serialNumber!;
    await link.close();
    mock.createPort('/dev/ttyMOCK-swap'); // a new board there: the mock numbers it anew
    const err = await link.reopen({ timeoutMs: 300, serialNumber: serial, pollMs: 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LinkError);
    expect((err as LinkError).message).toMatch(new RegExp(`did not come back within 0 s; a board with USB serial number \\d+ is there instead of ${serial}`));
  });

  it('gives up after the timeout when the path never returns', async () => {
    const link = new SerialLink('/dev/ttyESPBENCH-gone', '/dev/ttyESPBENCH-gone', 115200);
    const err = await link.reopen({ timeoutMs: 300, pollMs: 50 }).catch((e: unknown) => e);
    expect((err as LinkError).code).toBe('no-such-port');
    expect((err as LinkError).message).toMatch(/did not come back within 0 s \(serial port \/dev\/ttyESPBENCH-gone does not exist/);
  });
});
