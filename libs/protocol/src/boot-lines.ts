import type { BoardEventOf } from './events.js';

/** A ROM banner found in a line, plus whatever text came before it on the same line. */
export interface RomBanner {
  /** Text before the banner when a reset cut a line short (e.g. `I (2` + `ESP-ROM:...`); '' if none. */
  prefix: string;
  event: BoardEventOf<'rom'>;
}

// Newer ROMs: `ESP-ROM:esp32c3-api1-20210207`, `ESP-ROM:esp32c5-eco2-20250121`. The chip is the first dash part.
const ESP_ROM_MARK = 'ESP-ROM:';
const ROM_VERSION_ANY = /^\S+$/;
// Only this strict shape is trusted when the banner is glued onto the end of a cut-off line.
const ROM_VERSION_STRICT = /^esp32[a-z0-9]*(?:-[a-z0-9]+)*-\d{8}$/i;
const ROM_CHIP = /^(esp32[a-z0-9]*)(?:-|$)/i;
// Original ESP32 ROM: `ets Jun  8 2016 00:22:57` (two spaces before a one-digit day).
const ETS = /ets ([A-Z][a-z]{2} [ \d]\d \d{4} \d{2}:\d{2}:\d{2})$/;

export function findRomBanner(line: string): RomBanner | null {
  const at = line.lastIndexOf(ESP_ROM_MARK);
  if (at >= 0) {
    const version = line.slice(at + ESP_ROM_MARK.length);
    if (at === 0 ? ROM_VERSION_ANY.test(version) : ROM_VERSION_STRICT.test(version)) {
      const chip = ROM_CHIP.exec(version)?.[1]?.toLowerCase() ?? null;
      return { prefix: line.slice(0, at), event: { type: 'rom', chip, romVersion: version } };
    }
  }
  const ets = ETS.exec(line);
  if (ets?.[1] !== undefined) {
    const start = line.length - ets[1].length - 'ets '.length;
    return { prefix: line.slice(0, start), event: { type: 'rom', chip: 'esp32', romVersion: ets[1] } };
  }
  return null;
}

// `rst:0x1 (POWERON),boot:0xc (SPI_FAST_FLASH_BOOT)`; boot modes may nest parens: `DOWNLOAD(USB/UART0/1)`.
const RESET = /^rst:0x([0-9a-f]{1,8}) \(([^()]*)\)(?:,\s*boot:0x([0-9a-f]{1,8}) \((.*)\))?$/i;

export function matchReset(line: string, chip: string | null): BoardEventOf<'reset'> | null {
  const m = RESET.exec(line);
  if (!m) return null;
  return {
    type: 'reset',
    chip,
    resetCode: parseInt(m[1] ?? '0', 16),
    resetReason: m[2] ?? '',
    bootCode: m[3] === undefined ? null : parseInt(m[3], 16),
    bootMode: m[4] ?? null,
  };
}

// ESP-IDF 2nd-stage bootloader, printed before the app: `I (24) boot: ESP-IDF v5.1.2 2nd stage bootloader`.
const BOOTLOADER = /^I \(\d+\) boot: ESP-IDF (\S+) 2nd stage bootloader$/;

export function matchBootloader(line: string): BoardEventOf<'bootloader'> | null {
  const m = BOOTLOADER.exec(line);
  return m?.[1] === undefined ? null : { type: 'bootloader', idfVersion: m[1] };
}
