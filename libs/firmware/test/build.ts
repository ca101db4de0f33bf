/**
 * Firmware files built byte by byte from the documented layouts (ESP-IDF esp_image_header_t,
 * esp_image_segment_header_t, esp_app_desc_t; the System V ELF32 layout), independently of src/.
 */

export interface DescriptorSpec {
  magic?: number;
  secureVersion?: number;
  /** Strings are written as given (ASCII/UTF-8); when they fill the field there is no NUL. */
  version?: string;
  projectName?: string;
  time?: string;
  date?: string;
  idfVersion?: string;
  /** 32 bytes; absent: all zero. */
  appElfSha256?: Uint8Array;
}

function putString(buf: Uint8Array, offset: number, length: number, s: string) {
  const bytes = Buffer.from(s, 'utf8');
  if (bytes.length > length) throw new Error(`test bug: "${s}" is longer than ${length} bytes`);
  buf.set(bytes, offset);
}

/** esp_app_desc_t, 256 bytes. */
export function descriptor(spec: DescriptorSpec = {}): Uint8Array {
  const buf = new Uint8Array(256);
  const view = new DataView(buf.buffer);
  view.setUint32(0x00, spec.magic ?? 0xabcd5432, true);
  view.setUint32(0x04, spec.secureVersion ?? 0, true);
  putString(buf, 0x10, 32, spec.version ?? '0.1.0');
  putString(buf, 0x30, 32, spec.projectName ?? 'embassy_wifi_bench');
  putString(buf, 0x50, 16, spec.time ?? '12:34:56');
  putString(buf, 0x60, 16, spec.date ?? '2026-05-01');
  putString(buf, 0x70, 32, spec.idfVersion ?? 'v5.5.1');
  if (spec.appElfSha256) buf.set(spec.appElfSha256, 0x90);
  // 0xB0..: min/max efuse block revision (u16, u16), mmu_page_size (log2), reserved
  view.setUint16(0xb0, 0, true);
  view.setUint16(0xb2, 0xffff, true);
  buf[0xb4] = 16; // 64 KiB pages
  return buf;
}

export interface AppImageSpec {
  magic?: number;
  chipId?: number;
  desc?: Uint8Array;
  /** Bytes after the descriptor in the first segment. */
  tail?: number;
}

/** An app image: 24-byte header, one flash segment whose data starts with the descriptor, checksum, digest. */
export function appImage(spec: AppImageSpec = {}): Uint8Array {
  const desc = spec.desc ?? descriptor();
  const segData = new Uint8Array(desc.length + (spec.tail ?? 32));
  segData.set(desc, 0);
  segData.fill(0xa5, desc.length);

  const header = new Uint8Array(24);
  const hv = new DataView(header.buffer);
  header[0] = spec.magic ?? 0xe9; // magic
  header[1] = 1; // segment_count
  header[2] = 2; // spi_mode DIO
  header[3] = 0x2f; // flash size 4MB (high nibble), frequency (low nibble)
  hv.setUint32(4, 0x42000020, true); // entry_addr
  header[8] = 0xee; // wp_pin disabled
  header[9] = header[10] = header[11] = 0; // spi_pin_drv
  hv.setUint16(12, spec.chipId ?? 5, true); // chip_id
  header[14] = 0; // min_chip_rev
  hv.setUint16(15, 0, true); // min_chip_rev_full
  hv.setUint16(17, 0xffff, true); // max_chip_rev_full
  // 19..22 reserved
  header[23] = 1; // hash_appended

  const seg = new Uint8Array(8);
  const sv = new DataView(seg.buffer);
  sv.setUint32(0, 0x3c000020, true); // load_addr (DROM)
  sv.setUint32(4, segData.length, true); // data_len

  const body = Buffer.concat([header, seg, segData]);
  const pad = 15 - (body.length % 16);
  const checksum = segData.reduce((x, b) => x ^ b, 0xef);
  return Buffer.concat([body, new Uint8Array(pad), Uint8Array.of(checksum), new Uint8Array(32).fill(0x11)]);
}

export interface ElfSectionSpec {
  name: string;
  /** SHT_PROGBITS (1) unless given. */
  type?: number;
  addr?: number;
  data: Uint8Array;
}

export interface ElfSymbolSpec {
  name: string;
  /** Index into `sections` (the null section is added in front, so the ELF index is this + 1). */
  section: number;
  value: number;
  size: number;
}

export interface ElfSpec {
  machine?: number;
  /** EI_CLASS: 1 ELF32, 2 ELF64. */
  cls?: number;
  /** EI_DATA: 1 little-endian, 2 big-endian. */
  data?: number;
  sections: ElfSectionSpec[];
  symbols?: ElfSymbolSpec[];
}

/**
 * A minimal ELF32 little-endian executable: header, section contents, .shstrtab (and .symtab/.strtab
 * when there are symbols), then the section header table (null section first).
 */
export function elf32(spec: ElfSpec): Uint8Array {
  const sections: Required<ElfSectionSpec>[] = spec.sections.map((s) => ({ type: 1, addr: 0, ...s }));
  if (spec.symbols?.length) {
    const strtab: number[] = [0];
    const symtab = new Uint8Array(16 * (spec.symbols.length + 1));
    const view = new DataView(symtab.buffer);
    spec.symbols.forEach((sym, i) => {
      const at = 16 * (i + 1);
      view.setUint32(at, strtab.length, true); // st_name
      strtab.push(...Buffer.from(sym.name, 'latin1'), 0);
      view.setUint32(at + 4, sym.value, true); // st_value
      view.setUint32(at + 8, sym.size, true); // st_size
      symtab[at + 12] = 0x11; // st_info: STB_GLOBAL, STT_OBJECT
      symtab[at + 13] = 0; // st_other
      view.setUint16(at + 14, sym.section + 1, true); // st_shndx
    });
    sections.push({ name: '.symtab', type: 2, addr: 0, data: symtab });
    sections.push({ name: '.strtab', type: 3, addr: 0, data: Uint8Array.from(strtab) });
  }
  const strtabIndex = sections.findIndex((s) => s.name === '.strtab') + 1;

  const shstr: number[] = [0];
  const nameOffsets = sections.map((s) => {
    const off = shstr.length;
    shstr.push(...Buffer.from(s.name, 'latin1'), 0);
    return off;
  });
  const shstrtabName = shstr.length;
  shstr.push(...Buffer.from('.shstrtab', 'latin1'), 0);
  sections.push({ name: '.shstrtab', type: 3, addr: 0, data: Uint8Array.from(shstr) });
  nameOffsets.push(shstrtabName);

  const chunks: Uint8Array[] = [];
  let offset = 52;
  const offsets = sections.map((s) => {
    const at = offset;
    chunks.push(s.data);
    offset += s.data.length;
    return at;
  });
  const align = (4 - (offset % 4)) % 4;
  chunks.push(new Uint8Array(align));
  offset += align;
  const shoff = offset;

  const shnum = sections.length + 1;
  const shdrs = new Uint8Array(40 * shnum);
  const sv = new DataView(shdrs.buffer);
  sections.forEach((s, i) => {
    const at = 40 * (i + 1);
    sv.setUint32(at, nameOffsets[i]!, true); // sh_name
    sv.setUint32(at + 4, s.type, true); // sh_type
    sv.setUint32(at + 8, s.type === 1 ? 0x2 : 0, true); // sh_flags: SHF_ALLOC for PROGBITS
    sv.setUint32(at + 12, s.addr, true); // sh_addr
    sv.setUint32(at + 16, offsets[i]!, true); // sh_offset
    sv.setUint32(at + 20, s.data.length, true); // sh_size
    sv.setUint32(at + 24, s.name === '.symtab' ? strtabIndex : 0, true); // sh_link
    sv.setUint32(at + 28, s.name === '.symtab' ? 1 : 0, true); // sh_info
    sv.setUint32(at + 32, 4, true); // sh_addralign
    sv.setUint32(at + 36, s.name === '.symtab' ? 16 : 0, true); // sh_entsize
  });

  const header = new Uint8Array(52);
  const hv = new DataView(header.buffer);
  header.set([0x7f, 0x45, 0x4c, 0x46], 0);
  header[4] = spec.cls ?? 1; // EI_CLASS
  header[5] = spec.data ?? 1; // EI_DATA
  header[6] = 1; // EI_VERSION
  hv.setUint16(16, 2, true); // e_type ET_EXEC
  hv.setUint16(18, spec.machine ?? 243, true); // e_machine
  hv.setUint32(20, 1, true); // e_version
  hv.setUint32(24, 0x42000020, true); // e_entry
  hv.setUint32(28, 0, true); // e_phoff (no program headers)
  hv.setUint32(32, shoff, true); // e_shoff
  hv.setUint32(36, 0, true); // e_flags
  hv.setUint16(40, 52, true); // e_ehsize
  hv.setUint16(42, 32, true); // e_phentsize
  hv.setUint16(44, 0, true); // e_phnum
  hv.setUint16(46, 40, true); // e_shentsize
  hv.setUint16(48, shnum, true); // e_shnum
  hv.setUint16(50, shnum - 1, true); // e_shstrndx: .shstrtab is last

  return Buffer.concat([header, ...chunks, shdrs]);
}
