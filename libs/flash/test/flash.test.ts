import { Writable } from 'node:stream';
import { ESPFLASH_STANDIN } from '@espbench/firmware-fixtures/espflash';
import { describe, expect, it } from 'vitest';
import { FlashAbortedError, FlashError, flashBoards, flashImage, type FlashOptions, type FlashProgress } from '../src/index.js';
import { alive, hasScript, images, invocations, logFile, PORT, standinEnv } from './helpers.js';

async function flashFails(opts: FlashOptions): Promise<FlashError> {
  const err = await flashImage(opts).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FlashError);
  expect((err as FlashError).message).not.toContain('\n');
  return err as FlashError;
}

const sink = () => {
  let text = '';
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { out, text: () => text };
};

describe('flashImage with the espflash stand-in', () => {
  it('flashes an ELF with `espflash flash`, non-interactively, and reports its progress', async () => {
    const log = logFile();
    const progress: FlashProgress[] = [];
    const lines: string[] = [];
    const r = await flashImage({ espflash: 'espflash', port: PORT, image: images.c3, env: standinEnv({ ESPBENCH_FAKE_ESPFLASH_LOG: log, ESPBENCH_FAKE_ESPFLASH_BLOCKS: '20', ESPBENCH_FAKE_ESPFLASH_BLOCK_MS: '15' }), onProgress: (p) => progress.push(p), onLine: (l) => lines.push(l) });
    expect(r).toMatchObject({ port: PORT, chip: 'esp32c3', revision: '0.4', image: { format: 'elf', chip: 'esp32c3' }, espflash: { version: '4.5.0' } });
    expect(r.args).toEqual(['flash', '--port', PORT, '--chip', 'esp32c3', '--non-interactive', '--skip-update-check', images.c3]);
    const [call] = invocations(log);
    expect(call!.argv).toEqual(r.args);
    expect(call!.env.ESPFLASH_SKIP_UPDATE_CHECK).toBe('true');
    expect(lines).toContain('Chip type:         esp32c3 (revision v0.4)');
    expect(lines.some((l) => /INFO \] Flashing has completed!$/.test(l))).toBe(true);
    expect(progress[0]).toEqual({ port: PORT, phase: 'connecting' });
    expect(progress[1]).toEqual({ port: PORT, phase: 'connected', chip: 'esp32c3', revision: '0.4' });
    expect(progress.at(-1)).toMatchObject({ phase: 'done' });
    if (hasScript) {
      // On a pseudo-terminal espflash draws its bars: a percentage per segment, up to 100.
      expect(r.progress).toBe(true);
      expect(call!.tty.stderr).toBe(true);
      const app = progress.filter((p) => p.address === 0x10000 && p.phase === 'writing').map((p) => p.percent!);
      expect(app[0]).toBe(0);
      expect(app.at(-1)).toBe(100);
      expect(app.length).toBeGreaterThanOrEqual(4);
      expect([...app].sort((a, b) => a - b)).toEqual(app);
      expect(progress.some((p) => p.phase === 'verifying' && p.address === 0x10000)).toBe(true);
      expect(new Set(progress.filter((p) => p.address !== undefined).map((p) => p.address))).toEqual(new Set([0x0, 0x8000, 0x10000]));
    }
  });

  it('without a pseudo-terminal espflash shows no bars: phases only, the same result', async () => {
    const progress: FlashProgress[] = [];
    const r = await flashImage({ espflash: 'espflash', port: PORT, image: images.c3, pty: false, env: standinEnv(), onProgress: (p) => progress.push(p) });
    expect(r.progress).toBe(false);
    expect(progress.map((p) => p.phase)).toEqual(['connecting', 'connected', 'done']);
  });

  it('writes an app .bin at 0x10000 and a merged .bin at 0x0 with `write-bin`, telling espflash the chip', async () => {
    const env = standinEnv();
    const app = await flashImage({ espflash: 'espflash', port: PORT, image: images.c3Bin, env });
    expect(app.args).toEqual(['write-bin', '--port', PORT, '--chip', 'esp32c3', '--non-interactive', '--skip-update-check', '0x10000', images.c3Bin]);
    const merged = await flashImage({ espflash: 'espflash', port: PORT, image: images.s3Merged, env: standinEnv({ ESPBENCH_FAKE_ESPFLASH_CHIP: 'esp32s3' }) });
    expect(merged.args.slice(-2)).toEqual(['0x0', images.s3Merged]);
    expect(merged.chip).toBe('esp32s3');
  });

  it('leaves out what older espflash versions do not take', async () => {
    const v33 = await flashImage({ espflash: 'espflash', port: PORT, image: images.c3, env: standinEnv({ ESPBENCH_FAKE_ESPFLASH_VERSION: '3.3.0' }) });
    expect(v33.args).toEqual(['flash', '--port', PORT, '--chip', 'esp32c3', '--skip-update-check', images.c3]);
    const v31 = await flashImage({ espflash: 'espflash', port: PORT, image: images.c3, baud: 921600, env: standinEnv({ ESPBENCH_FAKE_ESPFLASH_VERSION: '3.1.1' }) });
    expect(v31.args).toEqual(['flash', '--port', PORT, '--chip', 'esp32c3', '--baud', '921600', images.c3]);
  });

  it('refuses an image built for another chip than the board', async () => {
    const elf = await flashFails({ espflash: 'espflash', port: PORT, image: images.c6, env: standinEnv() });
    expect(elf.kind).toBe('chip-mismatch');
    expect(elf.message).toBe(`c6.elf is built for esp32c6 but the board on ${PORT} is esp32c3: flash an esp32c3 build of the firmware, or connect the esp32c6 board`);
    expect(elf.details).toMatchObject({ expected: 'esp32c6', detected: 'esp32c3', code: 'espflash::chip_mismatch', exitCode: 1 });
    const bin = await flashFails({ espflash: 'espflash', port: PORT, image: images.c3Bin, env: standinEnv({ ESPBENCH_FAKE_ESPFLASH_CHIP: 'esp32s3' }) });
    expect(bin.kind).toBe('chip-mismatch');
    expect(bin.message).toContain('c3.bin is built for esp32c3 but the board on');
    // espflash 3.x says it in other words, with another code.
    const v3 = await flashFails({ espflash: 'espflash', port: PORT, image: images.c6, env: standinEnv({ ESPBENCH_FAKE_ESPFLASH_VERSION: '3.3.0' }) });
    expect(v3).toMatchObject({ kind: 'chip-mismatch', details: { code: 'espflash::chip_missmatch', detected: 'esp32c3' } });
  });

  it('refuses an ELF without a chip name whose architecture is not the board\'s, stopping espflash', async () => {
    const started = Date.now();
    const err = await flashFails({ espflash: 'espflash', port: PORT, image: images.xtensaNoMeta, env: standinEnv({ ESPBENCH_FAKE_ESPFLASH_BLOCK_MS: '100', ESPBENCH_FAKE_ESPFLASH_BLOCKS: '100' }) });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(err.kind).toBe('chip-mismatch');
    expect(err.message).toBe(`idf-xtensa.elf is an Xtensa build but the board on ${PORT} is esp32c3 (RISC-V): flash an esp32c3 build of the firmware, or connect the board it was built for`);
    await flashImage({ espflash: 'espflash', port: PORT, image: images.riscvNoMeta, env: standinEnv() });
  });

  it('refuses before running espflash when the caller knows the board and the image says otherwise', async () => {
    const log = logFile();
    const err = await flashFails({ espflash: 'espflash', port: PORT, image: images.c6, chip: 'esp32c3', env: standinEnv({ ESPBENCH_FAKE_ESPFLASH_LOG: log }) });
    expect(err).toMatchObject({ kind: 'chip-mismatch', message: `c6.elf is built for esp32c6 but the board on ${PORT} should be esp32c3: flash an esp32c3 build` });
    expect(invocations(log).filter((i) => i.argv[0] === 'flash')).toEqual([]);
  });

  it.each([
    ['connect', 'connect', `espflash could not connect to the board on ${PORT}: Error while connecting to device: Failed to connect to the device; ensure that the device is connected and the reset and boot pins are not being held down`],
    ['port', 'connect', `espflash could not connect to the board on ${PORT}: The serial port '${PORT}' could not be found; make sure the correct device is connected to the host system`],
    ['busy', 'connect', `espflash could not connect to the board on ${PORT}: Failed to open serial port ${PORT}: Error while connecting to device: Device or resource busy; check the cable and the port, close any serial monitor using it, or hold BOOT while pressing RESET`],
    ['write', 'failed', `flashing ${PORT} failed: Communication error while flashing device: Timeout while running FlashDeflData command; check the USB cable and port (a hub or a long cable often causes this) and try again`],
    ['verify', 'failed', `flashing ${PORT} failed: Verification of flash content failed; try again; if it keeps failing the board's flash may be faulty`],
  ])('ESPBENCH_FAKE_ESPFLASH_FAIL=%s is a %s error with the fix', async (fail, kind, message) => {
    for (const pty of [true, false]) {
      if (pty && !hasScript) continue;
      const err = await flashFails({ espflash: 'espflash', port: PORT, image: images.c3, pty, env: standinEnv({ ESPBENCH_FAKE_ESPFLASH_FAIL: fail }) });
      expect(err.kind).toBe(kind);
      expect(err.message).toBe(message);
      expect(err.details.exitCode).toBe(1);
    }
  });

  it('says so when espflash refuses the arguments (a version that does not take them)', async () => {
    const claimed = { path: ESPFLASH_STANDIN, version: '4.5.0', nonInteractive: true, skipUpdateCheck: true };
    const err = await flashFails({ espflash: claimed, port: PORT, image: images.c3, env: standinEnv({ ESPBENCH_FAKE_ESPFLASH_VERSION: '3.3.0' }) });
    expect(err.kind).toBe('failed');
    expect(err.message).toMatch(/^espflash 4\.5\.0 \(.*\) refused the arguments espbench gave it \(unexpected argument '--non-interactive' found\); update it: install it with `cargo install espflash --locked`/);
    expect(err.details.exitCode).toBe(2);
  });

  it('stops espflash when aborted', async () => {
    const log = logFile();
    const abort = new AbortController();
    const started = Date.now();
    const err = await flashImage({
      espflash: 'espflash',
      port: PORT,
      image: images.c3,
      pty: false,
      signal: abort.signal,
      env: standinEnv({ ESPBENCH_FAKE_ESPFLASH_LOG: log, ESPBENCH_FAKE_ESPFLASH_BLOCKS: '500', ESPBENCH_FAKE_ESPFLASH_BLOCK_MS: '100' }),
      onProgress: (p) => {
        if (p.phase === 'connected') abort.abort();
      },
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FlashAbortedError);
    expect(Date.now() - started).toBeLessThan(5000);
    const [call] = invocations(log);
    expect(alive(call!.pid)).toBe(false);
  });

  it.skipIf(!hasScript)('stops espflash on a pseudo-terminal too, at once', async () => {
    const log = logFile();
    const abort = new AbortController();
    const started = Date.now();
    const err = await flashImage({
      espflash: 'espflash',
      port: PORT,
      image: images.c3,
      pty: true,
      signal: abort.signal,
      env: standinEnv({ ESPBENCH_FAKE_ESPFLASH_LOG: log, ESPBENCH_FAKE_ESPFLASH_BLOCKS: '500', ESPBENCH_FAKE_ESPFLASH_BLOCK_MS: '100' }),
      onProgress: (p) => {
        if (p.phase === 'writing' && p.address === 0x10000 && (p.percent ?? 0) > 0) abort.abort();
      },
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FlashAbortedError);
    expect(Date.now() - started).toBeLessThan(2000);
    const [call] = invocations(log);
    expect(alive(call!.pid)).toBe(false);
  });
});

describe('flashBoards', () => {
  it('flashes each port in turn and prints sparse progress lines', async () => {
    const { out, text } = sink();
    const second = `${PORT}-2`;
    const { writeFileSync } = await import('node:fs');
    writeFileSync(second, '');
    const results = await flashBoards({ ports: [PORT, second], image: images.c3, display: 'lines', out, env: standinEnv({ ESPBENCH_FAKE_ESPFLASH_BLOCKS: '20', ESPBENCH_FAKE_ESPFLASH_BLOCK_MS: '10' }) });
    expect(results.map((r) => r.port)).toEqual([PORT, second]);
    const lines = text().trimEnd().split('\n');
    expect(lines[0]).toBe(`espbench: flashing c3.elf (ELF, esp32c3) to ${PORT}, ${second} with espflash 4.5.0`);
    expect(lines).toContain(`  ${PORT}: esp32c3 (revision v0.4)`);
    expect(lines.at(-1)).toMatch(new RegExp(`^  ${second}: flashed esp32c3 in \\d+\\.\\d s$`));
    if (hasScript) {
      expect(lines.filter((l) => l.startsWith(`  ${PORT}: 0x10000 `))).toEqual([`  ${PORT}: 0x10000 25%`, `  ${PORT}: 0x10000 50%`, `  ${PORT}: 0x10000 75%`, `  ${PORT}: 0x10000 100%`]);
      expect(lines.some((l) => l.includes(' 0x0 ') || l.includes(' 0x8000 '))).toBe(false);
    }
    expect(text()).not.toContain('\r');
  });

  it.skipIf(!hasScript)('redraws one line per board on a TTY', async () => {
    const { out, text } = sink();
    await flashBoards({ ports: [PORT], image: images.c3, display: 'tty', out, env: standinEnv({ ESPBENCH_FAKE_ESPFLASH_BLOCKS: '20', ESPBENCH_FAKE_ESPFLASH_BLOCK_MS: '10' }) });
    expect(text()).toMatch(/\r\x1b\[2K {2}\S+: writing 0x10000 {2}\d\d%/);
    expect(text()).toMatch(/\r\x1b\[2K {2}\S+: flashed esp32c3 in \d+\.\d s\n$/);
  });

  it('is silent with display none, and stops at the first failure', async () => {
    const { out, text } = sink();
    const err = await flashBoards({ ports: [PORT, PORT], image: images.c3, display: 'none', out, env: standinEnv({ ESPBENCH_FAKE_ESPFLASH_FAIL: 'connect' }) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'FlashError', kind: 'connect' });
    expect(text()).toBe('');
  });

  it('checks the image before looking for espflash, and espflash before flashing', async () => {
    await expect(flashBoards({ ports: [PORT], image: `${PORT}.nope`, env: { PATH: '' } })).rejects.toMatchObject({ kind: 'image' });
    await expect(flashBoards({ ports: [PORT], image: images.c3, env: { PATH: '' } })).rejects.toMatchObject({ kind: 'missing' });
  });
});
