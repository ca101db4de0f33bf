/**
 * Events read from the serial console of ESP-IDF's `examples/wifi/iperf` and of the `iperf` /
 * `iperf-cmd` components (espressif/iperf-cmd). Formats and their upstream sources are listed in
 * docs/idf-iperf.md; each pattern in ./lines.ts names the format string it follows.
 */

/**
 * Which report layout printed a line:
 * - 1: `        Interval Bandwidth` then `%4d-%4d sec       %.2f Mbits/sec` (the example's own iperf,
 *   ESP-IDF v3.x-v5.x `examples/wifi/iperf/components/iperf` and `examples/common_components/iperf`);
 * - 2: `Interval       Bandwidth` then `%2d.0-%2d.0 sec  %.2f %cbits/sec` (espressif/iperf 0.1.x);
 * - 3: `[ ID] Interval\t\tTransfer\tBandwidth` then `[%3d] %2u.0-%2u.0 sec\t%2.2f %cBytes\t%.2f %cbits/sec`
 *   (espressif/iperf 1.0.0 and later; `%c%ss/sec` with KBytes/MBytes rates since 1.0.2).
 */
export type IdfIperfGeneration = 1 | 2 | 3;

/** A printed quantity as it appeared: `20.21` and `Mbits/sec`, or `2.41` and `MBytes`. */
export interface IdfIperfQuantity {
  value: number;
  unit: string;
}

/** One report line: an interval, or the `0-N` summary of a whole test. */
export interface IdfIperfReport {
  type: 'report';
  generation: IdfIperfGeneration;
  /** Instance id of generation 3 (`[  0]`); null for generations 1 and 2. */
  id: number | null;
  startS: number;
  endS: number;
  /**
   * True when the line starts at 0. Upstream prints the summary with the same layout as the intervals,
   * so such a line is either the first interval or the summary; IdfIperfReportReader tells them apart.
   */
  fromStart: boolean;
  /** Bytes moved in the span (generation 3's Transfer column, converted); null for generations 1 and 2. */
  bytes: number | null;
  bitsPerSecond: number;
  rate: IdfIperfQuantity;
  /** Generation 3's Transfer column as printed; null for generations 1 and 2. */
  transfer: IdfIperfQuantity | null;
}

export type IdfIperfErrorCode =
  /** `iperf is running` (a test is already under way), `iperf instance id N already in use.` */
  | 'iperf-running'
  /** argtable3 replies (`iperf: missing option ...`, `invalid option`, ...) and the commands' own checks. */
  | 'invalid-argument'
  /** `sta has no IP`: `iperf` was run before the station got an address. */
  | 'no-ip'
  /** Socket failures: `tcp client connect error, error code: 113, reason: ...`, `Socket unable to connect: errno 113`. */
  | 'socket'
  /** `create buffer: out of memory` / `not enough memory`. */
  | 'out-of-memory'
  /** The console's `Unrecognized command`. */
  | 'unknown-command'
  /** The console's `Command returned non-zero error code: 0x1` / `Internal error: ...`. */
  | 'command-failed';

export type IdfIperfEvent =
  /** The console prompt (`iperf>` since ESP-IDF v4.3's REPL, `esp32>` before), with the echoed command if any. */
  | { type: 'prompt'; prompt: string; command: string | null }
  /** `sta connecting to '<ssid>'` (the example's `sta` command, ESP-IDF v4.x-v5.x). */
  | { type: 'sta-connecting'; ssid: string }
  /** `WIFI_EVENT_STA_CONNECTED!` (esp-qa/wifi-cmd): associated, no address yet. */
  | { type: 'sta-associated' }
  /**
   * `sta ip: 192.168.1.50, mask: 255.255.255.0, gw: 192.168.1.1` (esp_netif_handlers / tcpip_adapter),
   * or wifi-cmd's `IP_EVENT_STA_GOT_IP: Interface "sta" address: 192.168.1.50` (mask and gw null).
   */
  | { type: 'sta-connected'; ip: string; mask: string | null; gw: string | null }
  /** `sta disconnect, reconnect...` / `sta disconnect` (the example) or `WIFI_EVENT_STA_DISCONNECTED! reason: N` (wifi-cmd). */
  | { type: 'disconnected'; reason: number | null; reconnecting: boolean }
  /** `mode=tcp-client sip=a.b.c.d:5001, dip=e.f.g.h:5001, interval=1, time=30`: the command was accepted. */
  | {
      type: 'iperf-start';
      protocol: 'tcp' | 'udp';
      role: 'client' | 'server';
      sourceIp: string;
      sourcePort: number;
      destinationIp: string;
      destinationPort: number;
      intervalS: number;
      timeS: number;
    }
  /** `accept: 192.168.1.2,50432` (the board as TCP server took the host's connection). */
  | { type: 'accept'; host: string; port: number }
  /** Generation 3's `[  0] local 192.168.1.50:62000 connected to 192.168.1.2:5001`. */
  | { type: 'connect-info'; id: number; local: string; localPort: number; remote: string; remotePort: number }
  | { type: 'report-header'; generation: IdfIperfGeneration }
  | IdfIperfReport
  /** `wait current iperf to stop ...` / `waiting for iperf instance id=0 to stop...` after `iperf -a`. */
  | { type: 'iperf-stopping' }
  /** `iperf exit` (the test's traffic task ended) or `DONE.IPERF_STOP,OK` (iperf-cmd's reply to `iperf -a`). */
  | { type: 'iperf-stopped' }
  /** `min heap size: N` (the `heap` command). */
  | { type: 'min-heap'; bytes: number }
  /** `[<ssid>][rssi=-45]` (the example's `scan`) or `+SCAN:[bssid][<ssid>][rssi=-45][authmode=3][ch=6]...` (wifi-cmd). */
  | { type: 'scan-entry'; ssid: string; rssi: number; channel: number | null; bssid: string | null }
  /** `sta scan done`, `SCAN_DONE: Found N APs`, `No AP found`; count null when the line does not say. */
  | { type: 'scan-done'; count: number | null }
  | { type: 'error'; code: IdfIperfErrorCode; message: string };

export type IdfIperfEventType = IdfIperfEvent['type'];
export type IdfIperfEventOf<T extends IdfIperfEventType> = Extract<IdfIperfEvent, { type: T }>;

export interface IdfIperfParseOptions {
  /**
   * What generation 1's `Mbits/sec` means. The example's original iperf (ESP-IDF v3.x up to the
   * `examples/wifi/iperf/components/iperf` copy) divides by 1e6 ('decimal'); the later
   * `examples/common_components/iperf` copy divides by 1048576 ('binary') and also prints
   * `Kbits/sec` (1024) and plain `bits/sec`. The lines look the same, so the caller must say which
   * firmware it drives. Default 'decimal'. `Kbits/sec` in generation 1 is always 1024 bits.
   */
  legacyMegabit?: 'decimal' | 'binary';
}
