/** Host endpoints, drop-in for esp-hal's extras/bench-server. */
export type Endpoint = 'download' | 'upload' | 'echo';

/** Offsets from the port base: 4321 download, 4322 upload, 4323 echo. */
export const ENDPOINT_OFFSETS: Record<Endpoint, number> = { download: 0, upload: 1, echo: 2 };
export const DEFAULT_PORT_BASE = 4321;

export interface TrafficServerOptions {
  /** Listen address; default '0.0.0.0' like bench-server. */
  host?: string;
  /** Port of the download endpoint; upload is +1, echo +2. 0 picks three consecutive free ports. Default 4321. */
  portBase?: number;
  /** Interval sample length, ms. Default 1000. */
  intervalMs?: number;
  /** Send-queue sample period for the download/echo estimate, ms. Default 5. */
  queueSampleMs?: number;
  /** Size of the zero buffer download writes over and over (and of each echo buffer), bytes. Default 262144. */
  writeChunkBytes?: number;
  /** Read send queues from /proc/net (Linux). Default: when readable. false measures like a non-Linux host. */
  useProcNet?: boolean;
}

/** How the host-side figure of a connection was obtained (documented in docs/measurement.md). */
export type EstimateMethod =
  /** Bytes the host received: exact. */
  | 'received'
  /** Linux: bytes acknowledged by the peer (written minus the kernel send queue), as a lower-envelope rate. */
  | 'acked-envelope'
  /** No send-queue visibility (non-Linux): bytes the kernel accepted, as a lower-envelope rate. */
  | 'written-envelope';

export interface Estimate {
  /** Direction the estimate is for: tx = host to board, rx = board to host. */
  direction: 'tx' | 'rx';
  /** Bytes counted as delivered to the board's application (tx) or received from it (rx). */
  bytes: number;
  /** Seconds from accept to the end of the transfer (last progress). */
  durationS: number;
  /** bytes / 1024 / durationS, except for tx where it is the envelope rate (see docs/measurement.md). */
  kibps: number;
  method: EstimateMethod;
}

export interface IntervalSample {
  /** Seconds since accept at the end of this interval. */
  t: number;
  txBytes: number;
  /**
   * Of what the host sent, bytes the peer acknowledged in this interval (Linux; elsewhere equal to
   * txBytes). Unlike txBytes it does not count the send buffer filling up, so it is the time series
   * of a download.
   */
  ackedTxBytes: number;
  rxBytes: number;
}

export interface ConnectionSummary {
  id: number;
  endpoint: Endpoint;
  remoteAddress: string;
  remotePort: number;
  localPort: number;
  /** Wall clock, epoch ms. */
  acceptedAt: number;
  endedAt: number;
  /** Raw counters: bytes the kernel accepted from us, bytes we read. */
  txBytes: number;
  rxBytes: number;
  intervals: IntervalSample[];
  /** The figure in the endpoint's measured direction: download -> tx, upload -> rx, echo -> tx. */
  estimate: Estimate;
  /** 'end' (peer FIN), 'reset' (peer RST), 'error' (other socket error), 'server-close'. */
  closeReason: 'end' | 'reset' | 'error' | 'server-close' | 'open';
  error: string | null;
}
