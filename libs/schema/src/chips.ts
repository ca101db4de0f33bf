/** Which radios each Espressif chip has (datasheets): plans skip what a chip cannot do. */
export interface ChipRadios {
  wifi: boolean;
  ble: boolean;
  /** 5 GHz WiFi (ESP32-C5). */
  wifi5g: boolean;
}

export const CHIP_RADIOS: Readonly<Record<string, ChipRadios>> = {
  esp32: { wifi: true, ble: true, wifi5g: false },
  esp32c2: { wifi: true, ble: true, wifi5g: false },
  esp32c3: { wifi: true, ble: true, wifi5g: false },
  esp32c5: { wifi: true, ble: true, wifi5g: true },
  esp32c6: { wifi: true, ble: true, wifi5g: false },
  esp32h2: { wifi: false, ble: true, wifi5g: false },
  esp32s2: { wifi: true, ble: false, wifi5g: false },
  esp32s3: { wifi: true, ble: true, wifi5g: false },
};

export function radioOf(scenario: string): 'wifi' | 'ble' {
  return scenario.startsWith('ble-') ? 'ble' : 'wifi';
}
