import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { FlashError } from './errors.js';

/** Chips espflash knows, with the ESP image header's chip_id and the CPU architecture. */
export const CHIPS = {
  esp32: { id: 0, arch: 'xtensa' },
  esp32c2: { id: 12, arch: 'riscv' },
  esp32c3: { id: 5, arch: 'riscv' },
  esp32c5: { id: 23, arch: 'riscv' },
  esp32c6: { id: 13, arch: 'riscv' },
  esp32c61: { id: 20, arch: 'riscv' },
  esp32h2: { id: 16, arch: 'riscv' },
  esp32p4: { id: 18, arch: 'riscv' },
  esp32s2: { id: 2, arch: 'xtensa' },
  esp32s3: { id: 9, arch: 'xtensa' },
  esp32s31: { id: 32, arch: 'riscv' },
} as const satisfies Record<string, { id: number; arch: Arch }>;

export type Arch = 'xtensa' | 'riscv';
export type Chip = keyof typeof CHIPS;

export function isChip(name: string): name is Chip {
  return Object.hasOwn(CHIPS, name);
}

/**
 * - `elf`: flashed with `espflash flash`, which builds the bootloader, partition table and app image.
 * - `app-bin`: an app image (`espflash save-image` without `--merge`), written at the factory app
 *   partition of espflash's default partition table, 0x10000, with `espflash write-bin`.
 * - `merged-bin`: a whole-flash image (`save-image --merge`), written at 0x0 with `write-bin`.
 */
export type ImageFormat = 'elf' | 'app-bin' | 'merged-bin';

export interface ImageInfo {
  path: string;
  format: ImageFormat;
  /** The chip it was built for: esp-hal's `build_info.CHIP_NAME` in an ELF, chip_id in an ESP image. */
  chip?: Chip;
  /** The CPU architecture: e_machine of an ELF, or the chip's. */
  arch?: Arch;
  /** Where write-bin puts a .bin. */
  address?: number;
  size: number;
}

const EM_XTENSA = 94;
const EM_RISCV = 243;
const APP_DESC_MAGIC = 0xabcd5432;
const PARTITION_TABLE = 0x8000;
const APP_OFFSET = 0x1_0000;
/** Bootloader offsets of merged images: 0x0, 0x1000 (ESP32, S2), 0x2000 (C5, P4, S31). */
const BOOT_OFFSETS = [0x0, 0x1000, 0x2000];

function chipFromId(id: number): Chip | undefined {
  return (Object.keys(CHIPS) as Chip[]).find((c) => CHIPS[c].id === id);
}

/** `build_info.CHIP_NAME` from `.espressif.metadata` (esp-hal writes it; espflash 4 checks it). */
function elfFacts(buf: Buffer): { bits: number; machine: number; chipName?: string } {
  const bits = buf[4] === 2 ? 64 : 32;
  const machine = buf.length >= 20 ? buf.readUInt16LE(18) : 0;
  if (bits !== 32 || buf[5] !== 1 || buf.length < 52) return { bits, machine };
  try {
    const shoff = buf.readUInt32LE(32);
    const shentsize = buf.readUInt16LE(46);
    const shnum = buf.readUInt16LE(48);
    const shstrndx = buf.readUInt16LE(50);
    if (shentsize < 40 || shoff + shnum * shentsize > buf.length) return { bits, machine };
    const sec = (i: number) => {
      const o = shoff + i * shentsize;
      return { name: buf.readUInt32LE(o), type: buf.readUInt32LE(o + 4), addr: buf.readUInt32LE(o + 12), offset: buf.readUInt32LE(o + 16), size: buf.readUInt32LE(o + 20), link: buf.readUInt32LE(o + 24) };
    };
    const cstr = (tab: { offset: number; size: number }, off: number) => {
      const start = tab.offset + off;
      const end = buf.indexOf(0, start);
      return end < 0 || end > tab.offset + tab.size ? '' : buf.toString('latin1', start, end);
    };
    const names = sec(shstrndx);
    let meta = -1;
    for (let i = 0; i < shnum; i++) if (cstr(names, sec(i).name) === '.espressif.metadata') meta = i;
    if (meta < 0) return { bits, machine };
    const metaSec = sec(meta);
    for (let i = 0; i < shnum; i++) {
      const symtab = sec(i);
      if (symtab.type !== 2) continue;
      const strtab = sec(symtab.link);
      for (let o = symtab.offset; o + 16 <= symtab.offset + symtab.size && o + 16 <= buf.length; o += 16) {
        if (buf.readUInt16LE(o + 14) !== meta || cstr(strtab, buf.readUInt32LE(o)) !== 'build_info.CHIP_NAME') continue;
        const start = metaSec.offset + buf.readUInt32LE(o + 4) - metaSec.addr;
        const end = start + buf.readUInt32LE(o + 8);
        if (start >= metaSec.offset && end <= metaSec.offset + metaSec.size) return { bits, machine, chipName: buf.toString('utf8', start, end) };
      }
    }
  } catch {
    // A malformed ELF: espflash will say what is wrong with it.
  }
  return { bits, machine };
}

/**
 * What kind of image `path` is, which chip it was built for and where it goes. Throws FlashError
 * `image` when the file cannot be read or is neither an ELF nor an ESP image.
 */
export async function readImageInfo(path: string): Promise<ImageInfo> {
  let buf: Buffer;
  try {
    const fh = await open(path, 'r');
    try {
      buf = await fh.readFile();
    } finally {
      await fh.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory, not an image' : code === 'EACCES' ? 'not readable (permission denied)' : (err as Error).message;
    throw new FlashError('image', `cannot flash ${path}: ${why}; give the ELF your build produced (target/<triple>/release/<name>) or a .bin from espflash save-image`);
  }
  const name = basename(path);
  if (buf.length >= 4 && buf[0] === 0x7f && buf.toString('latin1', 1, 4) === 'ELF') {
    const f = elfFacts(buf);
    const arch: Arch | undefined = f.machine === EM_XTENSA ? 'xtensa' : f.machine === EM_RISCV ? 'riscv' : undefined;
    if (f.bits !== 32 || !arch) {
      throw new FlashError('image', `cannot flash ${path}: it is a ${f.bits}-bit ELF for machine ${f.machine}, not firmware for an ESP chip (Xtensa or RISC-V); give the firmware ELF from target/<triple>/release/`);
    }
    const chip = f.chipName && isChip(f.chipName) ? f.chipName : undefined;
    return { path, format: 'elf', arch, ...(chip ? { chip } : {}), size: buf.length };
  }
  // A merged image: the partition table at 0x8000 (entry magic AA 50), the bootloader's ESP image
  // header at the chip's boot offset.
  if (buf.length > PARTITION_TABLE + 2 && buf[PARTITION_TABLE] === 0xaa && buf[PARTITION_TABLE + 1] === 0x50) {
    const boot = BOOT_OFFSETS.find((o) => buf[o] === 0xe9 && buf.length > o + 14);
    const chip = boot !== undefined ? chipFromId(buf.readUInt16LE(boot + 12)) : undefined;
    return { path, format: 'merged-bin', address: 0, ...(chip ? { chip, arch: CHIPS[chip].arch } : {}), size: buf.length };
  }
  if (buf.length >= 36 && buf[0] === 0xe9) {
    const chip = chipFromId(buf.readUInt16LE(12));
    if (buf.readUInt32LE(32) !== APP_DESC_MAGIC) {
      throw new FlashError('image', `cannot flash ${path}: it is an ESP image without an app descriptor (a bootloader?); give the app's ELF, or a .bin from espflash save-image`);
    }
    return { path, format: 'app-bin', address: APP_OFFSET, ...(chip ? { chip, arch: CHIPS[chip].arch } : {}), size: buf.length };
  }
  throw new FlashError('image', `cannot flash ${path}: ${name} is neither an ELF nor an ESP image; give the ELF your build produced (target/<triple>/release/<name>) or a .bin from espflash save-image`);
}
