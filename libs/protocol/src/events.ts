import type { UpstreamScenario as Scenario } from '@espbench/schema';

/** Typed events parsed from an esp-hal bench board's serial lines (see ../shared/design/upstream.md). */
export type BoardEvent =
  /** `ESP-ROM:esp32c3-api1-20210207` (RISC-V / newer ROMs) or `ets Jun  8 2016 00:22:57` (ESP32). */
  | { type: 'rom'; chip: string | null; romVersion: string }
  /** `rst:0x1 (POWERON),boot:0xc (SPI_FAST_FLASH_BOOT)`; chip is the one from the preceding ROM line, if any. */
  | { type: 'reset'; chip: string | null; resetCode: number; resetReason: string; bootCode: number | null; bootMode: string | null }
  /** `I (24) boot: ESP-IDF v5.x 2nd stage bootloader` */
  | { type: 'bootloader'; idfVersion: string }
  | { type: 'wifi-starting' }
  | { type: 'wifi-started' }
  | { type: 'wifi-connecting' }
  /** info is the Debug text after `Wifi connected to `, or null for plain `Wifi connected!`. */
  | { type: 'wifi-connected'; info: string | null }
  | { type: 'wifi-connect-failed'; error: string }
  /** `Disconnected: <Debug>` (firmware from Feb 2026 on); info is the Debug text, e.g. `None` or `Some(DisconnectedInfo { .. })`. */
  | { type: 'wifi-disconnected'; info: string }
  | { type: 'got-ip'; ip: string; prefix: number | null }
  | { type: 'test-start'; scenario: Scenario }
  | { type: 'connecting'; host: string; port: number }
  | { type: 'connected' }
  | { type: 'connect-error'; error: string }
  | { type: 'read-error'; error: string }
  | { type: 'write-error'; error: string }
  | { type: 'read-eof' }
  | { type: 'write-zero' }
  /** `download: N kB/s` and friends; kibps is upstream's truncated integer (KiB/s). */
  | { type: 'test-result'; scenario: Scenario; kibps: number }
  /** Emitted as soon as the PANIC header line is seen, before the block is complete. */
  | { type: 'panic-begin' }
  | { type: 'panic'; message: string; location: string | null; backtrace: string[]; note: string | null }
  /** Anything else. level is set for esp-println logger lines (`INFO - msg`, `WARN (123) - msg`). */
  | { type: 'log'; line: string; level: string | null };

export type BoardEventType = BoardEvent['type'];

/** The event variant with the given type, e.g. `BoardEventOf<'panic'>`. */
export type BoardEventOf<T extends BoardEventType> = Extract<BoardEvent, { type: T }>;
