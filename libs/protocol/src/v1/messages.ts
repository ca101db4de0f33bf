import { z } from 'zod';

/** The version this espbench speaks (docs/protocol-v1.md). */
export const PROTOCOL_VERSION = 1;
/** Every protocol line starts with this; anything else on the serial line is log output. */
export const MARKER = '@espbench ';
export const MAX_PROTOCOL_LINE = 4096;

export const V1_SCENARIOS = ['wifi-tcp-download', 'wifi-tcp-upload', 'wifi-tcp-updown', 'wifi-udp-download', 'wifi-udp-upload', 'ble-notify', 'ble-write'] as const;
export type V1Scenario = (typeof V1_SCENARIOS)[number];

export const CAPABILITIES = [
  'wifi-tcp-download',
  'wifi-tcp-upload',
  'wifi-tcp-updown',
  'wifi-udp-download',
  'wifi-udp-upload',
  'ble-notify-peripheral',
  'ble-notify-central',
  'ble-write-central',
  'ble-write-peripheral',
  'coex',
] as const;

// Objects are loose: unknown fields from a newer peer are kept but never required.
const id = z.string().min(1);
const count = z.number().int().nonnegative();

export const HelloMessage = z.looseObject({
  type: z.literal('hello'),
  protocol: z.number().int(),
  chip: z.string(),
  firmware: z.looseObject({ name: z.string(), version: z.string() }),
  mac: z.string(),
  capabilities: z.array(z.string()),
});
export const ReadyMessage = z.looseObject({
  type: z.literal('ready'),
  wifi: z.looseObject({ ip: z.string(), ssid: z.string().optional(), channel: z.number().optional(), rssi: z.number().optional() }).optional(),
  ble: z.looseObject({ address: z.string() }).optional(),
});
export const StartMessage = z.looseObject({ type: z.literal('start'), id, scenario: z.string() });
export const IntervalMessage = z.looseObject({ type: z.literal('interval'), id, t_ms: count, bytes: count });
export const ResultDetails = z.looseObject({
  rssi: z.number().optional(),
  channel: z.number().optional(),
  phy: z.string().optional(),
  mtu: z.number().optional(),
  conn_interval_ms: z.number().optional(),
  packets: z.number().optional(),
  payload: z.number().optional(),
  sent: z.number().optional(),
  received: z.number().optional(),
});
export const ResultMessage = z.looseObject({
  type: z.literal('result'),
  id,
  scenario: z.string(),
  role: z.string(),
  bytes: count,
  ms: count,
  details: ResultDetails.optional(),
});
export const ErrorMessage = z.looseObject({ type: z.literal('error'), id: id.optional(), code: z.string(), message: z.string() });
export const StatusMessage = z.looseObject({ type: z.literal('status'), state: z.string(), ids: z.array(z.string()).optional() });

export const DeviceMessage = z.discriminatedUnion('type', [HelloMessage, ReadyMessage, StartMessage, IntervalMessage, ResultMessage, ErrorMessage, StatusMessage]);
export type DeviceMessage = z.infer<typeof DeviceMessage>;
export type HelloMessage = z.infer<typeof HelloMessage>;
export type ReadyMessage = z.infer<typeof ReadyMessage>;
export type ResultMessage = z.infer<typeof ResultMessage>;
export type ErrorMessage = z.infer<typeof ErrorMessage>;
export type IntervalMessage = z.infer<typeof IntervalMessage>;
export type DeviceMessageOf<T extends DeviceMessage['type']> = Extract<DeviceMessage, { type: T }>;

export interface RunCommand {
  type: 'run';
  id: string;
  scenario: V1Scenario;
  duration_ms: number;
  host?: { ip: string; port: number };
  payload?: number;
  rate?: number;
  role?: 'central' | 'peripheral';
  peer?: string;
  phy?: '1M' | '2M' | 'coded';
  mtu?: number;
  conn_interval_ms?: number;
}
export type HostCommand = { type: 'hello' } | { type: 'status' } | { type: 'stop'; id?: string } | RunCommand;
