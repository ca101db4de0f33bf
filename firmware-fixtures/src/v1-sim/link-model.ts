import type { BlePhy } from './options.js';

/**
 * The simulator's BLE throughput model (documented in firmware-fixtures/README.md). One packet is one ATT
 * notification / write-without-response of `payload` bytes; the receiver answers each with an empty packet.
 *
 *   packet_us   = (payload + 17) * 8 / phy_mbps     17 = preamble 1 + access address 4 + LL header 2 + CRC 3
 *                                                        + L2CAP header 4 + ATT opcode and handle 3
 *   ack_us      = 10 * 8 / phy_mbps                  the empty packet: preamble, access address, header, CRC
 *   exchange_us = packet_us + ack_us + 2 * 150       two inter-frame spaces (T_IFS)
 *   fit         = floor((conn_interval_us - margin_us) / exchange_us)
 *   packets per event = min(ppe, fit)                when fit >= 1
 *   bytes/s     = packets_per_event * payload / conn_interval_s * ble_scale
 *   when fit = 0 a packet spans k = ceil(exchange_us / (conn_interval_us - margin_us)) intervals:
 *   bytes/s     = payload / (k * conn_interval_s) * ble_scale
 *
 * phy_mbps: 1M = 1, 2M = 2, coded = 0.125 (S=8).
 */
export const PHY_MBPS: Record<BlePhy, number> = { '1M': 1, '2M': 2, coded: 0.125 };
export const PACKET_OVERHEAD_BYTES = 17;
export const EMPTY_PACKET_BYTES = 10;
export const T_IFS_US = 150;

export interface LinkParams {
  phy: BlePhy;
  /** ATT value bytes per packet. */
  payload: number;
  connIntervalMs: number;
  /** Most packets per connection event. */
  ppe: number;
  /** Part of each connection interval not usable for packets, µs. */
  marginUs: number;
  /** Factor on the result. */
  scale: number;
}

export interface LinkModel {
  packetUs: number;
  ackUs: number;
  exchangeUs: number;
  /** Exchanges that fit in one interval (before the ppe limit). */
  fit: number;
  /** Packets per connection event (0 < fit) or 1 every `intervalsPerPacket` intervals. */
  packetsPerEvent: number;
  intervalsPerPacket: number;
  packetsPerS: number;
  bytesPerS: number;
}

export function bleLinkModel(p: LinkParams): LinkModel {
  const mbps = PHY_MBPS[p.phy];
  const packetUs = ((p.payload + PACKET_OVERHEAD_BYTES) * 8) / mbps;
  const ackUs = (EMPTY_PACKET_BYTES * 8) / mbps;
  const exchangeUs = packetUs + ackUs + 2 * T_IFS_US;
  const intervalUs = p.connIntervalMs * 1000;
  const usableUs = Math.max(1, intervalUs - p.marginUs);
  const fit = Math.floor(usableUs / exchangeUs);
  const packetsPerEvent = fit >= 1 ? Math.min(p.ppe, fit) : 1;
  const intervalsPerPacket = fit >= 1 ? 1 : Math.ceil(exchangeUs / usableUs);
  const packetsPerS = (packetsPerEvent / (intervalsPerPacket * intervalUs)) * 1e6 * p.scale;
  return { packetUs, ackUs, exchangeUs, fit, packetsPerEvent, intervalsPerPacket, packetsPerS, bytesPerS: packetsPerS * p.payload };
}

/** Airtime shares while runs are active: WiFi gets `coexWifi`, BLE the rest, only while both move data. */
export function airtimeShares(coexWifi: number, wifiActive: boolean, bleActive: boolean): { wifi: number; ble: number } {
  return wifiActive && bleActive ? { wifi: coexWifi, ble: 1 - coexWifi } : { wifi: 1, ble: 1 };
}
