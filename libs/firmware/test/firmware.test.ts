import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESCRIPTOR_FIELDS, DESCRIPTOR_OFFSET_IN_IMAGE, FirmwareImageError, descriptorLabels, parseFirmwareImage, readFirmwareImage, type FirmwareIdentity } from '../src/index.js';
import { appImage, descriptor, elf32 } from './build.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'espbench-firmware-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, bytes: Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const SHA = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1);
const SHA_HEX = Buffer.from(SHA).toString('hex');
const LABEL_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

async function rejects(path: string, code: FirmwareImageError['code'], message: RegExp) {
  const err = await readFirmwareImage(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FirmwareImageError);
  const e = err as FirmwareImageError;
  expect(e.name).toBe('FirmwareImageError');
  expect(e.code).toBe(code);
  expect(e.message).toMatch(message);
  expect(e.message).not.toContain('\n');
}

describe('layout', () => {
  it('puts app_elf_sha256 at image offset 0xB0, where ESP-IDF tells esptool to write it (--elf-sha256-offset 0xb0)', () => {
    expect(DESCRIPTOR_OFFSET_IN_IMAGE).toBe(0x20);
    expect(DESCRIPTOR_OFFSET_IN_IMAGE + DESCRIPTOR_FIELDS.appElfSha256.offset).toBe(0xb0);
  });
});

describe('app image (.bin)', () => {
  it('reads the header chip and every descriptor field', async () => {
    const bytes = appImage({
      chipId: 5,
      desc: descriptor({ secureVersion: 3, version: 'v1.2.3', projectName: 'qa-test', time: '01:02:03', date: '2026-07-14', idfVersion: 'v5.5.1', appElfSha256: SHA }),
    });
    const path = await file('c3.bin', bytes);
    const id = await readFirmwareImage(path);
    expect(id).toEqual<FirmwareIdentity>({
      path,
      kind: 'app-bin',
      chip: 'esp32c3',
      chipId: 5,
      arch: 'riscv',
      projectName: 'qa-test',
      version: 'v1.2.3',
      buildDate: '2026-07-14',
      buildTime: '01:02:03',
      idfVersion: 'v5.5.1',
      secureVersion: 3,
      appElfSha256: SHA_HEX,
      fileSha256: sha256(bytes),
      size: bytes.length,
    });
  });

  it.each([
    [0, 'esp32', 'xtensa'],
    [2, 'esp32s2', 'xtensa'],
    [5, 'esp32c3', 'riscv'],
    [9, 'esp32s3', 'xtensa'],
    [12, 'esp32c2', 'riscv'],
    [13, 'esp32c6', 'riscv'],
    [16, 'esp32h2', 'riscv'],
    [18, 'esp32p4', 'riscv'],
    [20, 'esp32c61', 'riscv'],
    [23, 'esp32c5', 'riscv'],
  ])('chip_id %i is %s (%s)', (chipId, chip, arch) => {
    expect(parseFirmwareImage(appImage({ chipId }), 'x.bin')).toMatchObject({ chip, chipId, arch });
  });

  it('keeps an unknown chip_id and says chip null', () => {
    expect(parseFirmwareImage(appImage({ chipId: 0x99 }), 'x.bin')).toMatchObject({ chip: null, chipId: 0x99, arch: null });
  });

  it('reads strings that fill their field without a NUL', async () => {
    const v32 = 'v'.repeat(31) + 'Z';
    const p32 = 'abcdefghijklmnopqrstuvwxyz012345';
    const i32 = 'I'.repeat(32);
    const t16 = '0123456789abcdef';
    const d16 = 'ABCDEFGHIJKLMNOP';
    const id = await readFirmwareImage(await file('full.bin', appImage({ desc: descriptor({ version: v32, projectName: p32, idfVersion: i32, time: t16, date: d16 }) })));
    expect(id).toMatchObject({ version: v32, projectName: p32, idfVersion: i32, buildTime: t16, buildDate: d16 });
  });

  it('reports an all-zero app_elf_sha256 as null', async () => {
    const id = await readFirmwareImage(await file('nosha.bin', appImage()));
    expect(id.appElfSha256).toBeNull();
    expect(descriptorLabels(id)).not.toHaveProperty('elf_sha256');
  });

  it('reads empty strings as empty and keeps control characters off the terminal', () => {
    const id = parseFirmwareImage(appImage({ desc: descriptor({ version: '', idfVersion: 'v5\x1b[2J', projectName: 'bench' }) }), 'x.bin');
    expect(id.version).toBe('');
    expect(id.idfVersion).toBe('v5\ufffd[2J');
  });

  it('rejects a file that is not an app image', async () => {
    await rejects(await file('text.bin', Buffer.from('hello world, not firmware at all')), 'bad-magic', /text\.bin: not an ESP app image or ELF \(magic 0x68 at offset 0, expected 0xE9\)/);
    await rejects(await file('zero.bin', appImage({ magic: 0x00 })), 'bad-magic', /magic 0x00 at offset 0, expected 0xE9/);
  });

  it('rejects a wrong descriptor magic', async () => {
    await rejects(await file('baddesc.bin', appImage({ desc: descriptor({ magic: 0xdeadbeef }) })), 'bad-descriptor-magic', /app descriptor magic wrong at offset 0x20 \(found 0xDEADBEEF, expected 0xABCD5432\)/);
  });

  it('rejects truncated images, saying how many bytes it expected and found', async () => {
    const full = appImage();
    await rejects(await file('short.bin', full.subarray(0, 100)), 'truncated', /expected at least 288 bytes .*found 100$/);
    await rejects(await file('short287.bin', full.subarray(0, 287)), 'truncated', /expected at least 288 bytes .*found 287$/);
    await rejects(await file('header.bin', full.subarray(0, 1)), 'truncated', /found 1$/);
    await rejects(await file('empty.bin', new Uint8Array()), 'truncated', /empty\.bin: the file is empty/);
    // exactly header + segment header + descriptor is enough
    expect(parseFirmwareImage(full.subarray(0, 288), 'x.bin').projectName).toBe('embassy_wifi_bench');
  });
});

describe('ELF', () => {
  const appdesc = (spec = {}) => ({ name: '.flash.appdesc', addr: 0x3c000020, data: descriptor(spec) });
  const text = { name: '.text', addr: 0x42000020, data: new Uint8Array(64).fill(0x13) };

  it('reads .flash.appdesc (esp-hal / espflash) and hashes the whole file', async () => {
    const bytes = elf32({ machine: 243, sections: [appdesc({ projectName: 'qa-test', version: '0.0.0' }), text] });
    const path = await file('fw.elf', bytes);
    const id = await readFirmwareImage(path);
    expect(id).toEqual<FirmwareIdentity>({
      path,
      kind: 'elf',
      chip: null,
      chipId: null,
      arch: 'riscv',
      projectName: 'qa-test',
      version: '0.0.0',
      buildDate: '2026-05-01',
      buildTime: '12:34:56',
      idfVersion: 'v5.5.1',
      secureVersion: 0,
      appElfSha256: null,
      fileSha256: sha256(bytes),
      size: bytes.length,
    });
    // what espflash writes into the image's app_elf_sha256
    expect(descriptorLabels(id).elf_sha256).toBe(sha256(bytes));
  });

  it('reads .rodata_desc (ESP-IDF) from an Xtensa ELF', () => {
    const bytes = elf32({ machine: 94, sections: [text, { name: '.rodata_desc', addr: 0x3f400020, data: descriptor({ projectName: 'throughput_server', idfVersion: 'v5.4-dirty' }) }] });
    expect(parseFirmwareImage(bytes, 'idf.elf')).toMatchObject({ kind: 'elf', arch: 'xtensa', chip: null, projectName: 'throughput_server', idfVersion: 'v5.4-dirty' });
  });

  it('reads the descriptor at the start of .flash.rodata (ESP-IDF before v4.4)', () => {
    const rodata = Buffer.concat([descriptor({ projectName: 'old-idf' }), new Uint8Array(64)]);
    const bytes = elf32({ machine: 94, sections: [{ name: '.flash.rodata', addr: 0x3f400020, data: rodata }, text] });
    expect(parseFirmwareImage(bytes, 'old.elf').projectName).toBe('old-idf');
  });

  it("takes the chip from esp-hal's build_info.CHIP_NAME metadata symbol", () => {
    const meta = Buffer.from('esp32c6' + '0', 'latin1'); // CHIP_NAME then MIN_CHIP_REVISION
    const bytes = elf32({
      machine: 243,
      sections: [appdesc(), text, { name: '.espressif.metadata', type: 1, addr: 0, data: meta }],
      symbols: [
        { name: 'build_info.CHIP_NAME', section: 2, value: 0, size: 7 },
        { name: 'build_info.MIN_CHIP_REVISION', section: 2, value: 7, size: 1 },
      ],
    });
    expect(parseFirmwareImage(bytes, 'c6.elf')).toMatchObject({ chip: 'esp32c6', arch: 'riscv' });
  });

  it('ignores metadata that points outside its section', () => {
    const bytes = elf32({
      sections: [appdesc(), { name: '.espressif.metadata', addr: 0, data: Buffer.from('esp32') }],
      symbols: [{ name: 'build_info.CHIP_NAME', section: 1, value: 3, size: 10 }],
    });
    expect(parseFirmwareImage(bytes, 'x.elf').chip).toBeNull();
  });

  it('keeps a descriptor sha that is set', () => {
    const bytes = elf32({ sections: [appdesc({ appElfSha256: SHA })] });
    const id = parseFirmwareImage(bytes, 'x.elf');
    expect(id.appElfSha256).toBe(SHA_HEX);
    expect(descriptorLabels(id).elf_sha256).toBe(SHA_HEX);
  });

  it('rejects an ELF without a descriptor section', async () => {
    await rejects(await file('nodesc.elf', elf32({ sections: [text, { name: '.flash.rodata', data: new Uint8Array(300) }] })), 'no-descriptor', /nodesc\.elf: ELF has no app descriptor \(no \.flash\.appdesc or \.rodata_desc section\)/);
    await rejects(await file('nosections.elf', elf32({ sections: [] })), 'no-descriptor', /no \.flash\.appdesc or \.rodata_desc/);
  });

  it('rejects a wrong descriptor magic in the section', async () => {
    await rejects(await file('badmagic.elf', elf32({ sections: [appdesc({ magic: 0x12345678 })] })), 'bad-descriptor-magic', /magic wrong in section \.flash\.appdesc \(found 0x12345678, expected 0xABCD5432\)/);
  });

  it('rejects a descriptor section shorter than 256 bytes', async () => {
    await rejects(await file('small.elf', elf32({ sections: [{ name: '.flash.appdesc', data: descriptor().subarray(0, 100) }] })), 'truncated', /section \.flash\.appdesc holds 100 bytes, expected at least 256/);
  });

  it('rejects truncated ELFs, saying how many bytes it expected and found', async () => {
    const bytes = elf32({ sections: [appdesc(), text] });
    // cut inside the section header table
    await rejects(await file('cut-shdr.elf', bytes.subarray(0, bytes.length - 10)), 'truncated', new RegExp(`truncated ELF: section header \\d+ needs ${bytes.length} bytes, the file has ${bytes.length - 10}$`));
    // cut before the ELF header ends
    await rejects(await file('cut-header.elf', bytes.subarray(0, 30)), 'truncated', /the ELF header needs 52 bytes, the file has 30$/);
    // section data past the end: move the section header table to the front by hand is awkward, so lie about a size
    const lying = Buffer.from(bytes);
    const shoff = lying.readUInt32LE(32);
    lying.writeUInt32LE(0x100000, shoff + 40 + 20); // section 1 (.flash.appdesc) sh_size
    await rejects(await file('cut-data.elf', lying), 'truncated', new RegExp(`section \\.flash\\.appdesc needs ${52 + 0x100000} bytes, the file has ${lying.length}$`));
  });

  it('rejects ELF64 and big-endian ELFs', async () => {
    await rejects(await file('elf64.elf', elf32({ cls: 2, sections: [appdesc()] })), 'unsupported-elf', /ELF64 little-endian is not ESP32 firmware \(expected ELF32 little-endian\)/);
    await rejects(await file('be.elf', elf32({ data: 2, sections: [appdesc()] })), 'unsupported-elf', /ELF32 big-endian is not ESP32 firmware/);
  });
});

describe('files', () => {
  it('rejects a missing path and a directory', async () => {
    await rejects(join(dir, 'missing.bin'), 'not-found', /^no such file: .*missing\.bin$/);
    const sub = join(dir, 'adir');
    await mkdir(sub);
    await rejects(sub, 'not-a-file', /adir is not a file \(a directory\)/);
  });
});

describe('descriptorLabels', () => {
  it('gives firmware, ref, build and elf_sha256 with valid keys', () => {
    const id = parseFirmwareImage(appImage({ desc: descriptor({ projectName: 'qa-test', version: 'v1.0.0', date: '2026-05-01', time: '12:34:56', appElfSha256: SHA }) }), 'x.bin');
    const labels = descriptorLabels(id);
    expect(labels).toEqual({ project: 'qa-test', ref: 'v1.0.0', build: '2026-05-01 12:34:56', elf_sha256: SHA_HEX });
    for (const [k, v] of Object.entries(labels)) {
      expect(k).toMatch(LABEL_KEY);
      expect(typeof v).toBe('string');
    }
  });

  it('leaves out empty fields', () => {
    const id = parseFirmwareImage(appImage({ desc: descriptor({ projectName: '', version: '', date: '', time: '' }) }), 'x.bin');
    expect(descriptorLabels(id)).toEqual({});
    const onlyDate = parseFirmwareImage(appImage({ desc: descriptor({ date: 'Jul 14 2026', time: '' }) }), 'x.bin');
    expect(descriptorLabels(onlyDate).build).toBe('Jul 14 2026');
  });
});
