/**
 * Just enough ELF32 little-endian to find named sections and the symbols in one of them (the System V
 * gABI layout: 52-byte file header, 40-byte section headers, 16-byte symbols).
 */
import { FirmwareImageError } from './errors.js';

export const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46] as const; // \x7fELF
export const EM_XTENSA = 94;
export const EM_RISCV = 243;

const ELF32_HEADER_SIZE = 52;
const ELF32_SHDR_SIZE = 40;
const ELF32_SYM_SIZE = 16;
const ELFCLASS32 = 1;
const ELFDATA2LSB = 1;
const SHT_SYMTAB = 2;
const SHT_NOBITS = 8;
const SHN_UNDEF = 0;
const SHN_LORESERVE = 0xff00;
const SHN_XINDEX = 0xffff;

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

export interface Elf32 {
  machine: number;
  sections: ElfSection[];
}

export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && ELF_MAGIC.every((b, i) => bytes[i] === b);
}

function truncated(file: string, what: string, end: number, size: number): FirmwareImageError {
  return new FirmwareImageError('truncated', `${file}: truncated ELF: ${what} needs ${end} bytes, the file has ${size}`);
}

/** Parse the file header and the section header table; section data is checked when it is read. */
export function parseElf32(bytes: Uint8Array, file: string): Elf32 {
  if (bytes.length < ELF32_HEADER_SIZE) throw truncated(file, 'the ELF header', ELF32_HEADER_SIZE, bytes.length);
  const cls = bytes[4];
  const data = bytes[5];
  if (cls !== ELFCLASS32 || data !== ELFDATA2LSB) {
    const got = `${cls === 2 ? 'ELF64' : cls === ELFCLASS32 ? 'ELF32' : `ELF class ${cls}`} ${data === 2 ? 'big-endian' : data === ELFDATA2LSB ? 'little-endian' : `data encoding ${data}`}`;
    throw new FirmwareImageError('unsupported-elf', `${file}: ${got} is not ESP32 firmware (expected ELF32 little-endian)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const machine = view.getUint16(18, true);
  const shoff = view.getUint32(32, true);
  const shentsize = view.getUint16(46, true);
  let shnum = view.getUint16(48, true);
  let shstrndx = view.getUint16(50, true);
  if (shoff === 0) return { machine, sections: [] };
  if (shentsize < ELF32_SHDR_SIZE) {
    throw new FirmwareImageError('unsupported-elf', `${file}: ELF section header size is ${shentsize}, expected ${ELF32_SHDR_SIZE}`);
  }
  const shdrAt = (i: number) => shoff + i * shentsize;
  const needHeader = (i: number) => {
    const end = shdrAt(i) + ELF32_SHDR_SIZE;
    if (end > bytes.length) throw truncated(file, `section header ${i}`, end, bytes.length);
    return shdrAt(i);
  };
  // More than 0xff00 sections, or a string table index past that: the real values sit in section 0.
  if (shnum === 0 || shstrndx === SHN_XINDEX) {
    const zero = needHeader(0);
    if (shnum === 0) shnum = view.getUint32(zero + 20, true);
    if (shstrndx === SHN_XINDEX) shstrndx = view.getUint32(zero + 24, true);
  }
  if (shnum > 0) needHeader(shnum - 1);

  const raw: Omit<ElfSection, 'name'>[] = [];
  const nameOffsets: number[] = [];
  for (let i = 0; i < shnum; i++) {
    const at = shdrAt(i);
    nameOffsets.push(view.getUint32(at, true));
    raw.push({
      index: i,
      type: view.getUint32(at + 4, true),
      addr: view.getUint32(at + 12, true),
      offset: view.getUint32(at + 16, true),
      size: view.getUint32(at + 20, true),
      link: view.getUint32(at + 24, true),
      entsize: view.getUint32(at + 36, true),
    });
  }
  const strtab = shstrndx !== SHN_UNDEF && shstrndx < shnum ? raw[shstrndx]! : undefined;
  const strings = strtab ? sectionBytes(bytes, { ...strtab, name: '.shstrtab' }, file) : new Uint8Array();
  const sections = raw.map((s, i) => ({ ...s, name: stringAt(strings, nameOffsets[i]!) }));
  return { machine, sections };
}

/** A section's bytes in the file (empty for SHT_NOBITS); throws when the file ends first. */
export function sectionBytes(bytes: Uint8Array, section: ElfSection, file: string): Uint8Array {
  if (section.type === SHT_NOBITS) return new Uint8Array();
  const end = section.offset + section.size;
  if (end > bytes.length) throw truncated(file, `section ${section.name || section.index}`, end, bytes.length);
  return bytes.subarray(section.offset, end);
}

function stringAt(table: Uint8Array, offset: number): string {
  if (offset >= table.length) return '';
  let end = table.indexOf(0, offset);
  if (end < 0) end = table.length;
  return Buffer.from(table.subarray(offset, end)).toString('latin1');
}

/**
 * The bytes of the symbol `name` defined in section `sectionName`, or null when there is no such symbol or
 * its bytes are not in the file. For metadata sections such as esp-hal's `.espressif.metadata`; never throws.
 */
export function symbolBytes(bytes: Uint8Array, elf: Elf32, sectionName: string, name: string, file: string): Uint8Array | null {
  try {
    const target = elf.sections.find((s) => s.name === sectionName);
    if (!target) return null;
    for (const symtab of elf.sections.filter((s) => s.type === SHT_SYMTAB)) {
      const strtab = elf.sections[symtab.link];
      if (!strtab) continue;
      const syms = sectionBytes(bytes, symtab, file);
      const strs = sectionBytes(bytes, strtab, file);
      const entsize = symtab.entsize >= ELF32_SYM_SIZE ? symtab.entsize : ELF32_SYM_SIZE;
      const view = new DataView(syms.buffer, syms.byteOffset, syms.byteLength);
      for (let at = 0; at + ELF32_SYM_SIZE <= syms.length; at += entsize) {
        const shndx = view.getUint16(at + 14, true);
        if (shndx !== target.index || shndx >= SHN_LORESERVE) continue;
        if (stringAt(strs, view.getUint32(at, true)) !== name) continue;
        const value = view.getUint32(at + 4, true);
        const size = view.getUint32(at + 8, true);
        const data = sectionBytes(bytes, target, file);
        const start = value - target.addr;
        if (start < 0 || start + size > data.length) return null;
        return data.subarray(start, start + size);
      }
    }
    return null;
  } catch {
    return null;
  }
}
