import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { EM_RISCV, EM_XTENSA, isElf, parseElf32, sectionBytes, symbolBytes, type Elf32, type ElfSection } from './elf.js';
import { FirmwareImageError } from './errors.js';
import {
  CHIP_IDS,
  DESCRIPTOR_MAGIC,
  DESCRIPTOR_OFFSET_IN_IMAGE,
  DESCRIPTOR_SIZE,
  IMAGE_CHIP_ID_OFFSET,
  IMAGE_MAGIC,
  archOfChip,
  hex32,
  hex8,
  parseDescriptor,
  type AppDescriptor,
  type Arch,
} from './layout.js';

export type FirmwareKind = 'app-bin' | 'elf';

/** What a firmware file says about itself. */
export interface FirmwareIdentity {
  /** The path as given. */
  path: string;
  kind: FirmwareKind;
  /**
   * esp32, esp32c3, ...: from the image header's chip_id (app-bin), or from esp-hal's
   * `build_info.CHIP_NAME` metadata symbol (elf). Null when the id is unknown, or for an ELF without that
   * metadata (e_machine only tells the architecture).
   */
  chip: string | null;
  /** The image header's chip_id (app-bin); null for an ELF. */
  chipId: number | null;
  /** CPU architecture: from the chip, or from an ELF's e_machine (94 Xtensa, 243 RISC-V). */
  arch: Arch | null;
  projectName: string;
  version: string;
  buildDate: string;
  buildTime: string;
  idfVersion: string;
  secureVersion: number;
  /**
   * The descriptor's app_elf_sha256 as lowercase hex; null when all zero. An ELF's own descriptor is
   * all zero: espflash and esptool write the ELF's SHA-256 into the image they make from it (fileSha256 here).
   */
  appElfSha256: string | null;
  /** SHA-256 of the whole file, lowercase hex. For an ELF, what espflash puts in the image's app_elf_sha256. */
  fileSha256: string;
  /** File size in bytes. */
  size: number;
}

/** Sections an ELF may keep the descriptor in, most likely first. */
const DESCRIPTOR_SECTIONS = ['.flash.appdesc', '.rodata_desc'] as const;
/** ESP-IDF before v4.4 linked the descriptor at the start of .flash.rodata; accepted when the magic is there. */
const LEGACY_DESCRIPTOR_SECTION = '.flash.rodata';
const METADATA_SECTION = '.espressif.metadata';
const CHIP_NAME_SYMBOL = 'build_info.CHIP_NAME';

/** Read and identify an app image (.bin as espflash save-image / esptool elf2image write it) or an ELF. */
export async function readFirmwareImage(path: string): Promise<FirmwareIdentity> {
  let bytes: Buffer;
  try {
    const st = await stat(path);
    if (!st.isFile()) {
      throw new FirmwareImageError('not-a-file', `${path} is not a file (${st.isDirectory() ? 'a directory' : 'not a regular file'}); give an app image .bin or an .elf`);
    }
    bytes = await readFile(path);
  } catch (err) {
    if (err instanceof FirmwareImageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new FirmwareImageError('not-found', `no such file: ${path}`);
    if (code === 'ENOTDIR') throw new FirmwareImageError('not-found', `no such file: ${path} (a parent is not a directory)`);
    if (code === 'EISDIR') throw new FirmwareImageError('not-a-file', `${path} is not a file (a directory); give an app image .bin or an .elf`);
    if (code === 'EACCES' || code === 'EPERM') throw new FirmwareImageError('unreadable', `cannot read ${path}: permission denied`);
    throw new FirmwareImageError('unreadable', `cannot read ${path}: ${(err as Error).message}`);
  }
  return parseFirmwareImage(bytes, path);
}

/** Identify firmware already in memory; `path` only names it in the result and in errors. */
export function parseFirmwareImage(bytes: Uint8Array, path: string): FirmwareIdentity {
  const common = {
    path,
    fileSha256: createHash('sha256').update(bytes).digest('hex'),
    size: bytes.length,
  };
  if (isElf(bytes)) return { ...common, kind: 'elf', ...fromElf(bytes, path) };
  if (bytes.length === 0) {
    throw new FirmwareImageError('truncated', `${path}: the file is empty; expected an app image .bin (at least ${DESCRIPTOR_OFFSET_IN_IMAGE + DESCRIPTOR_SIZE} bytes) or an .elf`);
  }
  if (bytes[0] !== IMAGE_MAGIC) {
    throw new FirmwareImageError('bad-magic', `${path}: not an ESP app image or ELF (magic ${hex8(bytes[0]!)} at offset 0, expected ${hex8(IMAGE_MAGIC)})`);
  }
  return { ...common, kind: 'app-bin', ...fromAppImage(bytes, path) };
}

type Identified = Omit<FirmwareIdentity, 'path' | 'kind' | 'fileSha256' | 'size'>;

function fromAppImage(bytes: Uint8Array, path: string): Identified {
  const needed = DESCRIPTOR_OFFSET_IN_IMAGE + DESCRIPTOR_SIZE;
  if (bytes.length < needed) {
    throw new FirmwareImageError(
      'truncated',
      `${path}: truncated app image: expected at least ${needed} bytes (24-byte image header, 8-byte segment header, 256-byte app descriptor), found ${bytes.length}`,
    );
  }
  const chipId = bytes[IMAGE_CHIP_ID_OFFSET]! | (bytes[IMAGE_CHIP_ID_OFFSET + 1]! << 8);
  const desc = parseDescriptor(bytes, DESCRIPTOR_OFFSET_IN_IMAGE);
  if ('badMagic' in desc) {
    throw new FirmwareImageError(
      'bad-descriptor-magic',
      `${path}: app descriptor magic wrong at offset 0x20 (found ${hex32(desc.badMagic)}, expected ${hex32(DESCRIPTOR_MAGIC)}); a bootloader or merged flash image, or firmware without esp_app_desc!()?`,
    );
  }
  const chip = CHIP_IDS[chipId] ?? null;
  return { chip, chipId, arch: chip ? archOfChip(chip) : null, ...fields(desc) };
}

function fromElf(bytes: Uint8Array, path: string): Identified {
  const elf = parseElf32(bytes, path);
  const { desc, section } = elfDescriptor(bytes, elf, path);
  if ('badMagic' in desc) {
    throw new FirmwareImageError(
      'bad-descriptor-magic',
      `${path}: app descriptor magic wrong in section ${section.name} (found ${hex32(desc.badMagic)}, expected ${hex32(DESCRIPTOR_MAGIC)})`,
    );
  }
  const arch: Arch | null = elf.machine === EM_XTENSA ? 'xtensa' : elf.machine === EM_RISCV ? 'riscv' : null;
  const chipName = symbolBytes(bytes, elf, METADATA_SECTION, CHIP_NAME_SYMBOL, path);
  const chip = chipName ? metadataString(chipName) : null;
  return { chip, chipId: null, arch: chip ? archOfChip(chip) : arch, ...fields(desc) };
}

function elfDescriptor(bytes: Uint8Array, elf: Elf32, path: string): { desc: AppDescriptor | { badMagic: number }; section: ElfSection } {
  const named = DESCRIPTOR_SECTIONS.map((n) => elf.sections.find((s) => s.name === n)).find((s) => s !== undefined);
  if (named) {
    const data = sectionBytes(bytes, named, path);
    if (data.length < DESCRIPTOR_SIZE) {
      throw new FirmwareImageError('truncated', `${path}: section ${named.name} holds ${data.length} bytes, expected at least ${DESCRIPTOR_SIZE} (the app descriptor)`);
    }
    return { desc: parseDescriptor(data, 0), section: named };
  }
  const legacy = elf.sections.find((s) => s.name === LEGACY_DESCRIPTOR_SECTION);
  if (legacy) {
    const data = sectionBytes(bytes, legacy, path);
    if (data.length >= DESCRIPTOR_SIZE) {
      const desc = parseDescriptor(data, 0);
      if (!('badMagic' in desc)) return { desc, section: legacy };
    }
  }
  throw new FirmwareImageError(
    'no-descriptor',
    `${path}: ELF has no app descriptor (no .flash.appdesc or .rodata_desc section); esp-hal firmware needs esp_bootloader_esp_idf::esp_app_desc!()`,
  );
}

function metadataString(bytes: Uint8Array): string | null {
  const s = Buffer.from(bytes).toString('utf8').replace(/\0+$/, '');
  return /^[a-z0-9]+$/.test(s) ? s : null;
}

function fields(d: AppDescriptor) {
  return {
    projectName: d.projectName,
    version: d.version,
    buildDate: d.date,
    buildTime: d.time,
    idfVersion: d.idfVersion,
    secureVersion: d.secureVersion,
    appElfSha256: d.appElfSha256,
  };
}

/**
 * The labels a run gets from its firmware: `project` (project name; `firmware` names the family, esp-hal or esp-idf), `ref` (version), `build`
 * (`<date> <time>`), `elf_sha256`. Empty fields are left out. For an ELF, whose descriptor has no SHA,
 * `elf_sha256` is the file's own SHA-256, the value espflash writes into the image it flashes.
 */
export function descriptorLabels(identity: FirmwareIdentity): Record<string, string> {
  const labels: Record<string, string> = {};
  if (identity.projectName) labels.project = identity.projectName;
  if (identity.version) labels.ref = identity.version;
  const build = [identity.buildDate, identity.buildTime].filter(Boolean).join(' ');
  if (build) labels.build = build;
  const sha = identity.appElfSha256 ?? (identity.kind === 'elf' ? identity.fileSha256 : null);
  if (sha) labels.elf_sha256 = sha;
  return labels;
}
