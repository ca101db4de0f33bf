import { buildTestElf } from '@espbench/firmware-fixtures/espflash';
import { describe, expect, it } from 'vitest';
import { FlashError, readImageInfo } from '../src/index.js';
import { dir, images, write } from './helpers.js';

async function imageError(path: string): Promise<string> {
  const err = await readImageInfo(path).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FlashError);
  expect((err as FlashError).kind).toBe('image');
  return (err as FlashError).message;
}

describe('readImageInfo', () => {
  it('reads the chip of an esp-hal ELF from build_info.CHIP_NAME, and the architecture from e_machine', async () => {
    expect(await readImageInfo(images.c6)).toMatchObject({ format: 'elf', chip: 'esp32c6', arch: 'riscv' });
    expect(await readImageInfo(write('s3.elf', buildTestElf({ chip: 'esp32s3' })))).toMatchObject({ format: 'elf', chip: 'esp32s3', arch: 'xtensa' });
    const idf = await readImageInfo(images.xtensaNoMeta);
    expect(idf).toMatchObject({ format: 'elf', arch: 'xtensa' });
    expect(idf.chip).toBeUndefined();
  });

  it('places an app .bin at 0x10000 and a merged .bin at 0x0, with the chip from the image header', async () => {
    expect(await readImageInfo(images.c3Bin)).toMatchObject({ format: 'app-bin', address: 0x10000, chip: 'esp32c3', arch: 'riscv' });
    expect(await readImageInfo(images.s3Merged)).toMatchObject({ format: 'merged-bin', address: 0, chip: 'esp32s3' });
    expect(await readImageInfo(images.esp32Merged)).toMatchObject({ format: 'merged-bin', address: 0, chip: 'esp32', arch: 'xtensa' });
  });

  it('refuses what cannot be flashed, on one line with what to give instead', async () => {
    expect(await imageError(`${dir}/nope.elf`)).toBe(`cannot flash ${dir}/nope.elf: no such file; give the ELF your build produced (target/<triple>/release/<name>) or a .bin from espflash save-image`);
    expect(await imageError(dir)).toContain('a directory, not an image');
    expect(await imageError(write('notes.txt', Buffer.from('hello')))).toContain('notes.txt is neither an ELF nor an ESP image');
    expect(await imageError(process.execPath)).toMatch(/it is a 64-bit ELF for machine \d+, not firmware for an ESP chip/);
    const boot = Buffer.alloc(64);
    boot[0] = 0xe9;
    expect(await imageError(write('bootloader.bin', boot))).toContain('an ESP image without an app descriptor');
  });
});
