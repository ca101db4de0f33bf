import { SerialLink } from '@espbench/link';
import { replugablePty } from '@espbench/tools/testing';
import { SerialPortMock } from 'serialport';
import { describe, expect, it } from 'vitest';
import { probeSerialPort } from '../src/index.js';

const C6_BOOT = 'ESP-ROM:esp32c6-20220919\r\nBuild:Sep 19 2022\r\nrst:0x15 (USB_UART_CHIP_RESET),boot:0xc (SPI_FAST_FLASH_BOOT)\r\n';

/** A board that prints its boot banner over and over (a pty has no reset line to wake it). */
async function bootLoopingBoard() {
  return replugablePty('/bin/sh', ['-c', `while :; do printf '${C6_BOOT.replace(/\r\n/g, '\\r\\n')}'; sleep 0.2; done`]);
}

describe('probing a serial port', () => {
  it('reads the chip and reset reason from the ROM banner; a pty is read without a reset', async () => {
    const pty = await bootLoopingBoard();
    try {
      const r = await probeSerialPort(pty.path, { timeMs: 800 });
      expect(r).toMatchObject({ state: 'ok', chip: 'esp32c6', romVersion: 'esp32c6-20220919', resetReason: 'USB_UART_CHIP_RESET', bootMode: 'SPI_FAST_FLASH_BOOT', mac: null });
      expect(r.state === 'ok' && r.reset).toMatchObject({ done: false, reason: expect.stringMatching(/pseudo terminal/) });
    } finally {
      await pty.close();
    }
  });

  it('reports a port that is held (locked) as busy, and releases what it opened', async () => {
    const pty = await bootLoopingBoard();
    const holder = new SerialLink(pty.path, pty.path, 115200);
    try {
      await holder.open();
      expect(await probeSerialPort(pty.path, { timeMs: 200 })).toMatchObject({ state: 'busy', message: expect.stringMatching(/is busy/) });
      await holder.close();
      expect(await probeSerialPort(pty.path, { timeMs: 300 })).toMatchObject({ state: 'ok', chip: 'esp32c6' });
      // The probe let go of the port: it can be opened again.
      const again = new SerialLink(pty.path, pty.path, 115200);
      await again.open();
      await again.close();
    } finally {
      await holder.close();
      await pty.close();
    }
  });

  it('reports a missing port as an error with the fix', async () => {
    expect(await probeSerialPort('/dev/ttyESPBENCH-missing', { timeMs: 100 })).toMatchObject({ state: 'error', message: expect.stringMatching(/does not exist; list ports with: espbench devices/) });
  });

  it('resets a USB-Serial-JTAG board and hears the boot that follows (serialport binding-mock)', async () => {
    const mock = SerialPortMock.binding;
    mock.createPort('/dev/ttyMOCK-probe', { vendorId: '303a', productId: '1001' });
    const lines: { dtr: boolean; rts: boolean }[] = [];
    // The mock board boots (prints its banner) when RTS is released after a pulse with DTR low.
    const board = {
      list: () => mock.list(),
      async open(options: never) {
        const port = await mock.open(options);
        port.emitData('I (123) stale output of the previous boot\r\n');
        const set = port.set.bind(port);
        port.set = async (o) => {
          const prev = lines.at(-1);
          lines.push({ dtr: Boolean(o.dtr), rts: Boolean(o.rts) });
          await set(o);
          if (prev?.rts && !prev.dtr && !o.rts && !o.dtr) port.emitData(C6_BOOT);
        };
        return port;
      },
    };
    const r = await probeSerialPort('/dev/ttyMOCK-probe', { timeMs: 300, link: { binding: board } });
    expect(r).toMatchObject({ state: 'ok', reset: { done: true, kind: 'usb-serial-jtag' }, chip: 'esp32c6', resetReason: 'USB_UART_CHIP_RESET' });
    expect(lines).toEqual([
      { dtr: false, rts: false },
      { dtr: false, rts: true },
      { dtr: false, rts: false },
    ]);
  });
});
