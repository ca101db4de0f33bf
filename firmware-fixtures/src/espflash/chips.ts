// What the stand-in reports for each chip espflash knows (esp-rs/espflash espflash/src/target/mod.rs:
// the `Chip` enum, `Chip::id()`, `boot_address()`, `chip_features()`; the factory app partition size
// of espflash's default partition table in image_format/idf.rs). Revisions and MACs are illustrative.

export type Arch = 'xtensa' | 'riscv';

export interface StandinChip {
  /** espflash's name: the `--chip` value and what `Chip type:` prints. */
  name: string;
  arch: Arch;
  /** `chip_id` of the ESP image header (esp_image_header_t). */
  id: number;
  /** Printed as `(revision v<revision>)`. */
  revision: string;
  features: string[];
  /** Where the 2nd-stage bootloader goes. */
  bootAddress: number;
  /** Size of the factory partition in espflash's default table (4 MB flash). */
  appPartSize: number;
  mac: string;
  /** First espflash version that knows the chip. */
  since: string;
}

export const STANDIN_CHIPS: readonly StandinChip[] = [
  { name: 'esp32', arch: 'xtensa', id: 0, revision: '3.1', features: ['WiFi', 'BT', 'Dual Core', '240MHz', 'Coding Scheme None'], bootAddress: 0x1000, appPartSize: 0x3f_0000, mac: 'd8:13:2a:c2:0c:f0', since: '2.0.0' },
  { name: 'esp32c2', arch: 'riscv', id: 12, revision: '1.0', features: ['WiFi', 'BLE'], bootAddress: 0x0, appPartSize: 0x1f_0000, mac: '08:3a:8d:11:22:33', since: '2.0.0' },
  { name: 'esp32c3', arch: 'riscv', id: 5, revision: '0.4', features: ['WiFi', 'BLE'], bootAddress: 0x0, appPartSize: 0x3f_0000, mac: '60:55:f9:c0:39:7c', since: '2.0.0' },
  { name: 'esp32c5', arch: 'riscv', id: 23, revision: '1.0', features: ['WiFi', 'BLE', 'IEEE802.15.4', '240MHz'], bootAddress: 0x2000, appPartSize: 0x3f_0000, mac: '3c:dc:75:aa:bb:01', since: '4.0.0' },
  { name: 'esp32c6', arch: 'riscv', id: 13, revision: '0.1', features: ['WiFi 6', 'BT 5'], bootAddress: 0x0, appPartSize: 0x3f_0000, mac: '40:4c:ca:41:db:68', since: '2.0.0' },
  { name: 'esp32c61', arch: 'riscv', id: 20, revision: '1.0', features: ['WiFi 6', 'BT 5'], bootAddress: 0x0, appPartSize: 0x3f_0000, mac: '40:4c:ca:50:01:02', since: '4.4.0' },
  { name: 'esp32h2', arch: 'riscv', id: 16, revision: '0.1', features: ['BLE'], bootAddress: 0x0, appPartSize: 0x3f_0000, mac: '74:4d:bd:60:01:02', since: '2.0.0' },
  { name: 'esp32p4', arch: 'riscv', id: 18, revision: '1.0', features: ['High-Performance MCU'], bootAddress: 0x2000, appPartSize: 0x3f_0000, mac: '30:ed:a0:e0:01:02', since: '3.0.0' },
  { name: 'esp32s2', arch: 'xtensa', id: 2, revision: '0.0', features: ['WiFi', 'No Embedded Flash', 'No Embedded PSRAM', 'ADC and temperature sensor calibration in BLK2 of efuse V2'], bootAddress: 0x1000, appPartSize: 0x10_0000, mac: '7c:df:a1:00:01:02', since: '2.0.0' },
  { name: 'esp32s3', arch: 'xtensa', id: 9, revision: '0.2', features: ['WiFi', 'BLE', 'Embedded Flash'], bootAddress: 0x0, appPartSize: 0x10_0000, mac: 'f4:12:fa:44:a8:10', since: '2.0.0' },
  { name: 'esp32s31', arch: 'riscv', id: 32, revision: '0.0', features: ['WiFi 6', 'BT 5.4', 'IEEE802.15.4', 'Dual Core', '320MHz'], bootAddress: 0x2000, appPartSize: 0x3f_0000, mac: '30:ed:a0:f0:01:02', since: '4.5.0' },
];

export function standinChip(name: string): StandinChip | undefined {
  return STANDIN_CHIPS.find((c) => c.name === name);
}

export function standinChipById(id: number): StandinChip | undefined {
  return STANDIN_CHIPS.find((c) => c.id === id);
}

/** `major.minor.patch` compared numerically: negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
