import type { EolMode } from '../wifi-bench-sim/options.js';
import type { V1ChipName } from './chips.js';

/** Scenario names of protocol v1 (docs/protocol-v1.md). */
export const WIFI_SCENARIOS = [
  'wifi-tcp-download',
  'wifi-tcp-upload',
  'wifi-tcp-updown',
  'wifi-udp-download',
  'wifi-udp-upload',
] as const;
export const BLE_SCENARIOS = ['ble-notify', 'ble-write'] as const;
export const SCENARIOS = [...WIFI_SCENARIOS, ...BLE_SCENARIOS] as const;
export type WifiScenario = (typeof WIFI_SCENARIOS)[number];
export type BleScenario = (typeof BLE_SCENARIOS)[number];
export type Scenario = (typeof SCENARIOS)[number];

export const BLE_CAPABILITIES = [
  'ble-notify-peripheral',
  'ble-notify-central',
  'ble-write-central',
  'ble-write-peripheral',
] as const;
/** Everything a device may announce in `hello.capabilities`, in the order the simulator announces it. */
export const CAPABILITIES = [...WIFI_SCENARIOS, ...BLE_CAPABILITIES, 'coex'] as const;
export type Capability = (typeof CAPABILITIES)[number];

export type Radio = 'wifi' | 'ble';
export type BlePhy = '1M' | '2M' | 'coded';
export const BLE_PHYS: readonly BlePhy[] = ['1M', '2M', 'coded'];

/**
 * Faults, `kind@n` with n the 1-based number of the `run` command the board received (counted across
 * reboots, rejected commands included); `version` takes no `@n`.
 */
export const V1_FAULT_KINDS = [
  'malformed',
  'unknown-type',
  'peer-silent',
  'ble-disconnect',
  'claim-then-error',
  'reset',
  'panic',
  'version',
] as const;
export type V1FaultKind = (typeof V1_FAULT_KINDS)[number];

export interface V1Fault {
  kind: V1FaultKind;
  /** The run it applies to; null for `version` (every hello). */
  run: number | null;
}

/** Rate keys: the WiFi scenarios, each with its own URI override. */
export type RateKey = WifiScenario;

export interface V1SimOptions {
  chip: V1ChipName;
  /** Base MAC, lower case `aa:bb:cc:dd:ee:ff`. */
  mac: string;
  /** Source address of WiFi sockets, in 127.0.0.0/8; announced in `ready.wifi.ip`. */
  ip: string;
  /** Seconds from the ROM banner to `hello`. */
  bootS: number;
  /** `hello.firmware.version`. */
  version: string;
  seed: number;
  /** Bytes per second per WiFi scenario (TCP: each direction; UDP download: what the device can take in). */
  rates: Record<RateKey, number>;
  /** UDP datagram loss fraction, 0..1. */
  loss: number;
  /** BLE link model: most packets per connection event. */
  ppe: number;
  /** BLE link model: part of each connection interval not usable for packets, µs. */
  bleMarginUs: number;
  /** BLE link model: factor on the modelled throughput. */
  bleScale: number;
  /** Share of airtime WiFi gets while a WiFi and a BLE run are both moving data (BLE gets the rest). */
  coexWifi: number;
  capabilities: Capability[];
  faults: V1Fault[];
  colors: boolean;
  eol: EolMode;
}

export const V1_DEFAULT_RATE = 1_000_000;
export const V1_DEFAULTS = {
  ip: '127.0.0.2',
  bootS: 0.2,
  version: '0.3.0',
  seed: 1,
  loss: 0,
  ppe: 6,
  bleMarginUs: 150,
  bleScale: 1,
  coexWifi: 0.5,
  colors: true,
  eol: 'board' as EolMode,
} as const;

export const FIRMWARE_NAME = 'espbench-fw';
export const PROTOCOL_VERSION = 1;
export const SIM_SSID = 'espbench-sim';
export const SIM_CHANNEL = 6;

export function radioOf(scenario: Scenario): Radio {
  return scenario.startsWith('ble-') ? 'ble' : 'wifi';
}
