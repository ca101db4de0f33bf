import { createLink, parseDeviceUri } from '@espbench/link';
import { idfIperf, v1 } from '@espbench/protocol';
import { SCENARIOS, type Scenario } from '@espbench/schema';
import { IDF_IPERF_SCENARIOS } from './idf-iperf.js';

/**
 * The firmware espbench knows how to measure. Each family says how espbench recognises it on the
 * serial line, what it can measure, how a test starts (the board's own loop that the host observes,
 * or a command from the host) and what the host side is. The family's name is the `firmware` label
 * of its runs, so `compare --baseline firmware=esp-hal --candidate firmware=esp-idf` compares them.
 */
export interface FirmwareFamily {
  name: FamilyName;
  description: string;
  scenarios: readonly Scenario[];
  started: 'observed' | 'commanded';
  hostPeer: string;
  /** True for a serial line only this family prints. */
  recognise(line: string): boolean;
}

export const FAMILY_NAMES = ['esp-hal', 'espbench-v1', 'esp-idf'] as const;
export type FamilyName = (typeof FAMILY_NAMES)[number];

export const FIRMWARE_FAMILIES: Readonly<Record<FamilyName, FirmwareFamily>> = {
  'esp-hal': {
    name: 'esp-hal',
    description: "esp-hal's qa-test embassy_wifi_bench: download, upload, upload+download in a fixed loop",
    scenarios: ['wifi-tcp-download', 'wifi-tcp-upload', 'wifi-tcp-updown'],
    started: 'observed',
    hostPeer: "espbench's traffic server (bench-server's ports 4321-4323)",
    recognise: (line) => /^(Testing (download|upload|upload\+download)\.\.\.|connecting to \d+\.\d+\.\d+\.\d+:\d+\.\.\.|(download|upload|upload\+download): \d+ kB\/s)$/.test(line.trim()),
  },
  'espbench-v1': {
    name: 'espbench-v1',
    description: 'firmware speaking espbench protocol v1 (docs/protocol-v1.md): WiFi TCP/UDP, BLE, coexistence on command',
    scenarios: SCENARIOS,
    started: 'commanded',
    hostPeer: "espbench's traffic server and UDP endpoints, and a peer board for BLE",
    recognise: (line) => line.startsWith(v1.MARKER),
  },
  'esp-idf': {
    name: 'esp-idf',
    description: "ESP-IDF's examples/wifi/iperf (or the iperf-cmd component): its console drives iperf",
    scenarios: IDF_IPERF_SCENARIOS,
    started: 'commanded',
    hostPeer: "iperf 2 (Debian's iperf package)",
    recognise: (line) => {
      const ev = idfIperf.parseIdfIperfLine(line);
      return ev?.type === 'prompt' || ev?.type === 'report-header';
    },
  },
};

/** A simulator's family from its URI (`fw=v1`, `fw=idf-iperf`); null for other devices. */
export function familyOfSim(uri: string): FamilyName | null {
  if (!uri.startsWith('sim:')) return null;
  if (/[?&]fw=v1(&|$)/.test(uri)) return 'espbench-v1';
  if (/[?&]fw=idf-iperf(&|$)/.test(uri)) return 'esp-idf';
  return 'esp-hal';
}

/**
 * Listen to a board for up to `timeoutMs` (pressing Enter a few times, which makes a console print
 * its prompt) and name the family of the first line only one family prints; null when nothing told.
 */
export async function detectFamily(uri: string, timeoutMs = 3000): Promise<FamilyName | null> {
  const sim = familyOfSim(uri);
  if (sim) return sim;
  const link = createLink(parseDeviceUri(uri));
  await link.open();
  try {
    return await new Promise<FamilyName | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), timeoutMs);
      link.on('line', (l) => {
        const found = FAMILY_NAMES.find((f) => FIRMWARE_FAMILIES[f].recognise(l.line));
        if (found) {
          clearTimeout(timer);
          resolve(found);
        }
      });
      link.on('close', () => {
        clearTimeout(timer);
        resolve(null);
      });
      // A console prints its prompt without a newline: the second Enter completes the prompt's line.
      void link.write('\n').catch(() => {});
      for (const ms of [500, 1500]) setTimeout(() => void link.write('\n').catch(() => {}), ms).unref();
    });
  } finally {
    await link.close().catch(() => {});
  }
}
