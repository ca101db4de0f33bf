import { SerialLink } from '@espbench/link';
import { replugablePty, type ReplugablePty } from '@espbench/tools/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { espbench } from './cli.js';

const C3_BOOT = 'ESP-ROM:esp32c3-api1-20210207\\r\\nBuild:Feb  7 2021\\r\\nrst:0x1 (POWERON),boot:0xc (SPI_FAST_FLASH_BOOT)\\r\\n';

// A board behind a pty: a pty has no reset line, so this one boots over and over by itself.
let board: ReplugablePty;
beforeAll(async () => {
  board = await replugablePty('/bin/sh', ['-c', `while :; do printf '${C3_BOOT}'; sleep 0.2; done`]);
});
afterAll(async () => {
  await board.close();
});

interface Report {
  path: string;
  vidPid: string | null;
  reset: string;
  probe?: { state: string; chip?: string | null; resetReason?: string | null; reset?: string; message?: string };
}

describe('espbench devices', () => {
  it('--port adds a port the listing does not show; without --probe it is not opened', async () => {
    const holder = new SerialLink(board.path, board.path, 115200);
    await holder.open(); // held: a probe would say busy, a plain listing does not care
    try {
      const r = await espbench(['devices', '--json', '--port', board.path]);
      expect(r.code, r.stderr).toBe(0);
      const ports = JSON.parse(r.stdout) as Report[];
      expect(ports.find((p) => p.path === board.path)).toEqual({ path: board.path, vidPid: null, serialNumber: null, manufacturer: null, adapter: null, reset: 'uart-bridge' });
    } finally {
      await holder.close();
    }
  });

  it('--probe reads the chip and reset reason from the ROM banner, and releases the port', async () => {
    const r = await espbench(['devices', '--probe', '--probe-time', '0.8', '--json', '--port', board.path]);
    expect(r.code, r.stderr).toBe(0);
    const mine = (JSON.parse(r.stdout) as Report[]).find((p) => p.path === board.path);
    expect(mine?.probe).toMatchObject({ state: 'ok', chip: 'esp32c3', resetReason: 'POWERON', romVersion: 'esp32c3-api1-20210207', reset: expect.stringMatching(/^not reset: .* is a pseudo terminal/) });
    // Released: this process can take the lock now.
    const after = new SerialLink(board.path, board.path, 115200);
    await after.open();
    await after.close();
  });

  it('--probe reports a port another process holds as busy, not as an error (table)', async () => {
    const holder = new SerialLink(board.path, board.path, 115200);
    await holder.open();
    try {
      const r = await espbench(['devices', '--probe', '--probe-time', '0.3', '--port', board.path]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^port\s+vid:pid\s+serial\s+adapter\s+chip\s+reset reason\s+probe$/m);
      const row = r.stdout.split('\n').find((l) => l.startsWith(board.path));
      expect(row).toMatch(/\s+busy\s+-\s+serial port .* is busy; close the program holding it/);
    } finally {
      await holder.close();
    }
  });

  it('--probe in a table: chip and reset reason columns', async () => {
    const r = await espbench(['devices', '--probe', '--probe-time', '0.8', '--port', board.path]);
    expect(r.code, r.stderr).toBe(0);
    const row = r.stdout.split('\n').find((l) => l.startsWith(board.path));
    expect(row).toMatch(/\s+-\s+-\s+unknown\s+esp32c3\s+POWERON\s+not reset: /);
  });

  it('--probe-time must be a positive number', async () => {
    const r = await espbench(['devices', '--probe', '--probe-time', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--probe-time must be a positive number/);
  });
});
