/**
 * Byte layouts of ESP-IDF app images, as documented in ESP-IDF (esp_app_format.h, esp_app_desc.h) and
 * written by esptool and espflash. Everything is little-endian.
 */

/** Byte 0 of an app image (ESP_IMAGE_HEADER_MAGIC). */
export const IMAGE_MAGIC = 0xe9;
/** esp_image_header_t: the 8-byte file header plus the 16-byte extended header. */
export const IMAGE_HEADER_SIZE = 24;
/** esp_image_segment_header_t: load address and data length. */
export const SEGMENT_HEADER_SIZE = 8;
/** Offset of chip_id (u16) in the image header. */
export const IMAGE_CHIP_ID_OFFSET = 12;
/**
 * The app descriptor is the start of the first segment's data: esptool and espflash move the
 * segment holding `.flash.appdesc` to the front, and ESP-IDF's bootloader reads it there.
 */
export const DESCRIPTOR_OFFSET_IN_IMAGE = IMAGE_HEADER_SIZE + SEGMENT_HEADER_SIZE; // 0x20

/** esp_app_desc_t */
export const DESCRIPTOR_SIZE = 256;
export const DESCRIPTOR_MAGIC = 0xabcd5432;
export const DESCRIPTOR_FIELDS = {
  magic: 0x00, // u32
  secureVersion: 0x04, // u32
  // reserv1: u32[2] at 0x08
  version: { offset: 0x10, length: 32 },
  projectName: { offset: 0x30, length: 32 },
  time: { offset: 0x50, length: 16 },
  date: { offset: 0x60, length: 16 },
  idfVersion: { offset: 0x70, length: 32 },
  appElfSha256: { offset: 0x90, length: 32 },
  // 0xB0 onwards: efuse block revisions, MMU page size, SPI flash mode, reserved
} as const;

export type Arch = 'xtensa' | 'riscv';

/** Image header chip_id values: ESP-IDF's esp_chip_id_t (esptool's IMAGE_CHIP_ID, espflash's Chip::id()). */
export const CHIP_IDS: Readonly<Record<number, string>> = {
  0: 'esp32',
  2: 'esp32s2',
  5: 'esp32c3',
  9: 'esp32s3',
  12: 'esp32c2',
  13: 'esp32c6',
  16: 'esp32h2',
  18: 'esp32p4',
  20: 'esp32c61',
  23: 'esp32c5',
  25: 'esp32h21',
  28: 'esp32h4',
  32: 'esp32s31',
};

/** The chips with Xtensa cores (ESP-IDF's Kconfig selects IDF_TARGET_ARCH_XTENSA for these); the rest are RISC-V. */
const XTENSA_CHIPS = new Set(['esp32', 'esp32s2', 'esp32s3']);

export function archOfChip(chip: string): Arch {
  return XTENSA_CHIPS.has(chip) ? 'xtensa' : 'riscv';
}

export interface AppDescriptor {
  secureVersion: number;
  version: string;
  projectName: string;
  time: string;
  date: string;
  idfVersion: string;
  /** Lowercase hex, or null when all 32 bytes are zero (the ELF itself, or tooling that does not fill it). */
  appElfSha256: string | null;
}

export function hex8(n: number): string {
  return `0x${n.toString(16).toUpperCase().padStart(2, '0')}`;
}

export function hex32(n: number): string {
  return `0x${(n >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

const utf8 = new TextDecoder('utf-8');

/**
 * A fixed-size C string: the bytes up to the first NUL, or all of them when the field is full (esp-hal's
 * esp_app_desc!() writes a 32-byte name without a terminator). Decoded as UTF-8; control characters
 * become U+FFFD so a descriptor cannot drive the terminal it is printed on.
 */
export function cString(bytes: Uint8Array, offset: number, length: number): string {
  const field = bytes.subarray(offset, offset + length);
  const nul = field.indexOf(0);
  // eslint-disable-next-line no-control-regex
  return utf8.decode(nul < 0 ? field : field.subarray(0, nul)).replace(/[\u0000-\u001f\u007f]/g, '\ufffd');
}

/** Parse the 256 bytes at `offset` (the caller has checked they are there). Returns the magic found when it is wrong. */
export function parseDescriptor(bytes: Uint8Array, offset: number): AppDescriptor | { badMagic: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, DESCRIPTOR_SIZE);
  const magic = view.getUint32(DESCRIPTOR_FIELDS.magic, true);
  if (magic !== DESCRIPTOR_MAGIC) return { badMagic: magic };
  const f = DESCRIPTOR_FIELDS;
  const sha = bytes.subarray(offset + f.appElfSha256.offset, offset + f.appElfSha256.offset + f.appElfSha256.length);
  return {
    secureVersion: view.getUint32(f.secureVersion, true),
    version: cString(bytes, offset + f.version.offset, f.version.length),
    projectName: cString(bytes, offset + f.projectName.offset, f.projectName.length),
    time: cString(bytes, offset + f.time.offset, f.time.length),
    date: cString(bytes, offset + f.date.offset, f.date.length),
    idfVersion: cString(bytes, offset + f.idfVersion.offset, f.idfVersion.length),
    appElfSha256: sha.every((b) => b === 0) ? null : Buffer.from(sha).toString('hex'),
  };
}
