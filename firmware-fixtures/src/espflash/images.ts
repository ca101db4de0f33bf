// Minimal reading and writing of the images the stand-in is given. Reading covers what espflash
// itself looks at before flashing (esp-rs/espflash espflash/src/image_format/metadata.rs and
// image_format/idf.rs `check_idf_bootloader`): the ELF's `.espressif.metadata` section, whose symbol
// `build_info.CHIP_NAME` esp-hal fills with the chip it was built for, and whether the ELF carries an
// ESP-IDF app descriptor. The builders make small, valid-looking images for tests; they are not
// bootable.

import { standinChip, type Arch } from './chips.js';

export const EM_XTENSA = 94;
export const EM_RISCV = 243;
const SHT_SYMTAB = 2;
/** esp_app_desc_t.magic_word */
export const APP_DESC_MAGIC = 0xabcd5432;
/** First byte of every ESP image (esp_image_header_t.magic). */
export const ESP_IMAGE_MAGIC = 0xe9;
/** Partition table entry magic, at 0x8000 in a merged image. */
export const PARTITION_MAGIC = 0x50aa;
export const PARTITION_TABLE_OFFSET = 0x8000;
export const APP_OFFSET = 0x1_0000;

export class ElfError extends Error {
  override readonly name = 'ElfError';
}

export interface ElfFacts {
  /** 32 or 64. */
  bits: 32 | 64;
  machine: number;
  /** `build_info.CHIP_NAME` from `.espressif.metadata`, when present. */
  chipName?: string;
  hasMetadata: boolean;
  /** An ESP-IDF app descriptor: symbol `esp_app_desc`, or section `.flash.appdesc` / `.rodata_desc`. */
  hasAppDesc: boolean;
}

interface Section {
  name: string;
  type: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
}

/** True when the bytes start with the ELF magic. */
export function isElf(buf: Uint8Array): boolean {
  return buf.length >= 4 && buf[0] === 0x7f && buf[1] === 0x45 && buf[2] === 0x4c && buf[3] === 0x46;
}

/** Reads a little-endian 32-bit ELF's facts; throws ElfError when it is not one or is malformed. */
export function readElf(bytes: Uint8Array): ElfFacts {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 4) throw new ElfError('Could not read file magic');
  if (!isElf(buf)) throw new ElfError('Unknown file magic');
  const bits = buf[4] === 2 ? 64 : 32;
  if (buf[5] !== 1) throw new ElfError('Unsupported ELF header');
  if (bits === 64) return { bits, machine: buf.readUInt16LE(18), hasMetadata: false, hasAppDesc: false };
  if (buf.length < 52) throw new ElfError('Invalid ELF header size or alignment');
  const machine = buf.readUInt16LE(18);
  const shoff = buf.readUInt32LE(32);
  const shentsize = buf.readUInt16LE(46);
  const shnum = buf.readUInt16LE(48);
  const shstrndx = buf.readUInt16LE(50);
  if (shnum === 0) return { bits, machine, hasMetadata: false, hasAppDesc: false };
  if (shentsize < 40 || shoff + shnum * shentsize > buf.length) throw new ElfError('Invalid ELF section header offset/size/alignment');
  const raw: (Omit<Section, 'name'> & { nameOff: number })[] = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    raw.push({
      nameOff: buf.readUInt32LE(o),
      type: buf.readUInt32LE(o + 4),
      addr: buf.readUInt32LE(o + 12),
      offset: buf.readUInt32LE(o + 16),
      size: buf.readUInt32LE(o + 20),
      link: buf.readUInt32LE(o + 24),
    });
  }
  const strtab = raw[shstrndx];
  if (!strtab) throw new ElfError('Invalid ELF section string table index');
  const str = (tab: { offset: number; size: number }, off: number): string => {
    if (off >= tab.size) throw new ElfError('Invalid ELF string offset');
    const start = tab.offset + off;
    const end = buf.indexOf(0, start);
    if (end < 0 || end > tab.offset + tab.size) throw new ElfError('Invalid ELF string');
    return buf.toString('latin1', start, end);
  };
  const sections: Section[] = raw.map(({ nameOff, ...s }) => ({ ...s, name: str(strtab, nameOff) }));
  for (const s of sections) {
    if (s.type !== 8 /* NOBITS */ && s.offset + s.size > buf.length) throw new ElfError('Invalid ELF section size or offset');
  }
  const metaIndex = sections.findIndex((s) => s.name === '.espressif.metadata');
  let chipName: string | undefined;
  let appDescSymbol = false;
  for (const symtab of sections.filter((s) => s.type === SHT_SYMTAB)) {
    const names = sections[symtab.link];
    if (!names) throw new ElfError('Invalid ELF symbol string table');
    for (let o = symtab.offset; o + 16 <= symtab.offset + symtab.size; o += 16) {
      const name = str(names, buf.readUInt32LE(o));
      const value = buf.readUInt32LE(o + 4);
      const size = buf.readUInt32LE(o + 8);
      const shndx = buf.readUInt16LE(o + 14);
      if (name === 'esp_app_desc') appDescSymbol = true;
      if (name === 'build_info.CHIP_NAME' && shndx === metaIndex && metaIndex > 0) {
        const sec = sections[metaIndex]!;
        const start = value - sec.addr;
        if (start >= 0 && start + size <= sec.size) chipName = buf.toString('utf8', sec.offset + start, sec.offset + start + size);
      }
    }
  }
  const hasAppDesc = appDescSymbol || sections.some((s) => s.name === '.flash.appdesc' || s.name === '.rodata_desc');
  return { bits, machine, ...(chipName !== undefined ? { chipName } : {}), hasMetadata: metaIndex > 0, hasAppDesc };
}

export interface TestElfOptions {
  /** The chip written to `build_info.CHIP_NAME`; null leaves `.espressif.metadata` out. Default esp32c3. */
  chip?: string | null;
  /** e_machine; default from the chip (RISC-V unless esp32, esp32s2, esp32s3). */
  arch?: Arch;
  /** Include `.flash.appdesc` and the `esp_app_desc` symbol (esp-bootloader-esp-idf's `esp_app_desc!()`). Default true. */
  appDesc?: boolean;
  /** Pad `.text` so the file is at least this many bytes (more flash blocks, a longer progress bar). */
  size?: number;
}

/** A small ELF shaped like an esp-hal application: enough for espflash's checks, not bootable. */
export function buildTestElf(opts: TestElfOptions = {}): Buffer {
  const chip = opts.chip === undefined ? 'esp32c3' : opts.chip;
  const arch = opts.arch ?? (chip && standinChip(chip)?.arch === 'xtensa' ? 'xtensa' : 'riscv');
  const appDesc = opts.appDesc ?? true;
  const xtensa = arch === 'xtensa';
  const romBase = xtensa ? 0x3f40_0020 : 0x3c00_0020;

  interface Sec { name: string; type: number; flags: number; addr: number; data: Buffer; link?: number; info?: number; entsize?: number; align: number }
  const secs: Sec[] = [];
  let appDescIndex = 0;
  let metaIndex = 0;
  if (appDesc) {
    const desc = Buffer.alloc(256);
    desc.writeUInt32LE(APP_DESC_MAGIC, 0);
    desc.write('0.1.0', 16, 'latin1');
    desc.write('espbench-test', 48, 'latin1');
    secs.push({ name: '.flash.appdesc', type: 1, flags: 2, addr: romBase, data: desc, align: 16 });
    appDescIndex = secs.length;
  }
  if (chip) {
    secs.push({ name: '.espressif.metadata', type: 1, flags: 0, addr: 0, data: Buffer.from(chip, 'utf8'), align: 1 });
    metaIndex = secs.length;
  }
  const textSize = Math.max(64, (opts.size ?? 0) - 1024);
  const text = Buffer.alloc(textSize);
  for (let i = 0; i < text.length; i++) text[i] = (i * 31 + 7) & 0xff;
  secs.push({ name: '.text', type: 1, flags: 6, addr: xtensa ? 0x400d_0020 : 0x4200_0020, data: text, align: 4 });

  const syms: { name: number; value: number; size: number; info: number; shndx: number }[] = [{ name: 0, value: 0, size: 0, info: 0, shndx: 0 }];
  const strtab: number[] = [0];
  const addStr = (s: string): number => {
    const off = strtab.length;
    for (const b of Buffer.from(s, 'latin1')) strtab.push(b);
    strtab.push(0);
    return off;
  };
  if (appDesc) syms.push({ name: addStr('esp_app_desc'), value: romBase, size: 256, info: 0x11, shndx: appDescIndex });
  if (chip) syms.push({ name: addStr('build_info.CHIP_NAME'), value: 0, size: Buffer.byteLength(chip, 'utf8'), info: 0x11, shndx: metaIndex });
  const symtab = Buffer.alloc(16 * syms.length);
  syms.forEach((s, i) => {
    symtab.writeUInt32LE(s.name, i * 16);
    symtab.writeUInt32LE(s.value, i * 16 + 4);
    symtab.writeUInt32LE(s.size, i * 16 + 8);
    symtab[i * 16 + 12] = s.info;
    symtab.writeUInt16LE(s.shndx, i * 16 + 14);
  });
  const symtabIndex = secs.length + 1;
  secs.push({ name: '.symtab', type: SHT_SYMTAB, flags: 0, addr: 0, data: symtab, link: symtabIndex + 1, info: 1, entsize: 16, align: 4 });
  secs.push({ name: '.strtab', type: 3, flags: 0, addr: 0, data: Buffer.from(strtab), align: 1 });
  const shstr: number[] = [0];
  const shName = (s: string): number => {
    const off = shstr.length;
    for (const b of Buffer.from(s, 'latin1')) shstr.push(b);
    shstr.push(0);
    return off;
  };
  const nameOffsets = secs.map((s) => shName(s.name));
  const shstrName = shName('.shstrtab');
  secs.push({ name: '.shstrtab', type: 3, flags: 0, addr: 0, data: Buffer.from(shstr), align: 1 });
  nameOffsets.push(shstrName);

  const parts: Buffer[] = [Buffer.alloc(52)];
  let offset = 52;
  const offsets: number[] = [];
  for (const s of secs) {
    const pad = (s.align - (offset % s.align)) % s.align;
    if (pad) parts.push(Buffer.alloc(pad));
    offset += pad;
    offsets.push(offset);
    parts.push(s.data);
    offset += s.data.length;
  }
  const shPad = (4 - (offset % 4)) % 4;
  if (shPad) parts.push(Buffer.alloc(shPad));
  offset += shPad;
  const shoff = offset;
  const sh = Buffer.alloc(40 * (secs.length + 1));
  secs.forEach((s, i) => {
    const o = 40 * (i + 1);
    sh.writeUInt32LE(nameOffsets[i]!, o);
    sh.writeUInt32LE(s.type, o + 4);
    sh.writeUInt32LE(s.flags, o + 8);
    sh.writeUInt32LE(s.addr, o + 12);
    sh.writeUInt32LE(offsets[i]!, o + 16);
    sh.writeUInt32LE(s.data.length, o + 20);
    sh.writeUInt32LE(s.link ?? 0, o + 24);
    sh.writeUInt32LE(s.info ?? 0, o + 28);
    sh.writeUInt32LE(s.align, o + 32);
    sh.writeUInt32LE(s.entsize ?? 0, o + 36);
  });
  parts.push(sh);

  const header = parts[0]!;
  header.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0], 0);
  header.writeUInt16LE(2, 16); // ET_EXEC
  header.writeUInt16LE(xtensa ? EM_XTENSA : EM_RISCV, 18);
  header.writeUInt32LE(1, 20);
  header.writeUInt32LE(xtensa ? 0x4008_0400 : 0x4200_0020, 24);
  header.writeUInt32LE(0, 28); // no program headers: the stand-in does not need them
  header.writeUInt32LE(shoff, 32);
  header.writeUInt16LE(52, 40);
  header.writeUInt16LE(32, 42);
  header.writeUInt16LE(0, 44);
  header.writeUInt16LE(40, 46);
  header.writeUInt16LE(secs.length + 1, 48);
  header.writeUInt16LE(secs.length, 50);
  return Buffer.concat(parts);
}

/** An ESP image: the 24-byte header with the chip id, one segment; `appDesc` puts esp_app_desc_t first. */
function espImage(chipId: number, size: number, appDesc: boolean): Buffer {
  const img = Buffer.alloc(Math.max(size, 64 + 256), 0);
  img[0] = ESP_IMAGE_MAGIC;
  img[1] = 1; // segment count
  img[2] = 2; // SPI mode DIO
  img[3] = 0x1f; // 4 MB, 80 MHz
  img.writeUInt32LE(0x4200_0020, 4);
  img[8] = 0xee; // wp_pin: disabled
  img.writeUInt16LE(chipId, 12);
  img.writeUInt16LE(0xffff, 17); // max_chip_rev_full: any
  img[23] = 1; // hash appended
  img.writeUInt32LE(0x3c00_0020, 24); // segment load address
  img.writeUInt32LE(img.length - 32, 28);
  if (appDesc) img.writeUInt32LE(APP_DESC_MAGIC, 32);
  for (let i = 32 + (appDesc ? 256 : 0); i < img.length; i++) img[i] = (i * 13 + 5) & 0xff;
  return img;
}

/** `espflash save-image` without `--merge`: the app image alone, written at 0x10000. */
export function buildAppBin(opts: { chip?: string; size?: number } = {}): Buffer {
  const chip = standinChip(opts.chip ?? 'esp32c3');
  if (!chip) throw new Error(`unknown chip ${opts.chip}`);
  return espImage(chip.id, opts.size ?? 8192, true);
}

/**
 * `espflash save-image --merge --skip-padding`: 0xFF up to the bootloader (at the chip's boot address),
 * the partition table at 0x8000 and the app at 0x10000, written at 0x0.
 */
export function buildMergedBin(opts: { chip?: string; appSize?: number } = {}): Buffer {
  const chip = standinChip(opts.chip ?? 'esp32c3');
  if (!chip) throw new Error(`unknown chip ${opts.chip}`);
  const app = espImage(chip.id, opts.appSize ?? 8192, true);
  const out = Buffer.alloc(APP_OFFSET + app.length, 0xff);
  espImage(chip.id, 0x4000, false).copy(out, chip.bootAddress);
  out.writeUInt16LE(PARTITION_MAGIC, PARTITION_TABLE_OFFSET);
  app.copy(out, APP_OFFSET);
  return out;
}
