import { hostname, platform } from 'node:os';
import { createLink, parseDeviceUri } from '@espbench/link';
import { BoardParser, v1 } from '@espbench/protocol';
import { RUN_RECORD_VERSION, type Interval, type RunRecord } from '@espbench/schema';

export interface IdfBleOptions {
  device: string;
  /** Stop after the board has reported this many seconds of transfer (or when the line ends). */
  durationS: number;
  /** How long to wait for the first non-zero rate line. */
  attachTimeoutS: number;
  labels: Record<string, string>;
  runId: string;
  version?: string;
  signal?: AbortSignal;
  /** Reset the board into its application (DTR/RTS) after opening it. */
  reset?: boolean;
  onWarning?: (line: string) => void;
}

/**
 * Read what an ESP-IDF BLE throughput example prints (`Notify Bit rate = N Byte/s, = N bit/s,
 * time = Ns`) from any device URI, a board or `exec:cat saved.log`, into a RunRecord. The rate the
 * example prints is cumulative since its first packet, so the last line is the figure and the
 * difference of two lines' rate x time is the bytes between them.
 */
export async function readIdfBle(opts: IdfBleOptions): Promise<{ record: RunRecord; raw: Buffer }> {
  const startedAt = new Date().toISOString();
  const link = createLink(parseDeviceUri(opts.device));
  const log: RunRecord['log'] = [];
  const raw: Buffer[] = [];
  const parser = new BoardParser();
  let chip: string | null = null;
  let kind: 'notify' | 'write' = 'notify';
  let firstAt: string | null = null;
  const samples: { t: number; bytes: number }[] = [];
  const t0 = Date.now();
  let error: string | null = null;
  await link.open();
  const serialNumber = (await link.identify())?.serialNumber ?? null;
  try {
    await new Promise<void>((resolve) => {
      const finish = (why: string | null) => {
        error ??= why;
        link.off('line', onLine);
        link.off('close', onClose);
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onLine = (l: { line: string; t: number }) => {
        if (log.length < 20_000) log.push({ t: Math.round(l.t - t0) / 1000, line: l.line });
        for (const ev of parser.feed(l.line)) if (ev.type === 'rom' && ev.chip) chip ??= ev.chip;
        const m = v1.parseIdfBleThroughput(l.line);
        if (!m || m.timeS === null || m.bytesPerS === 0) return;
        kind = m.kind;
        firstAt ??= new Date(l.t - m.timeS * 1000).toISOString();
        const last = samples[samples.length - 1];
        // Two lines of one second repeat the time; keep the later (the rate is recomputed).
        if (last && last.t === m.timeS) samples.pop();
        samples.push({ t: m.timeS, bytes: m.bytesPerS * m.timeS });
        if (m.timeS >= opts.durationS) finish(null);
      };
      const onClose = () => finish(samples.length ? null : 'the log ended before any throughput line');
      const onAbort = () => finish('interrupted');
      const timer = setTimeout(() => finish(`no "Notify Bit rate = ..." line with data within ${opts.attachTimeoutS} s; is the board running ESP-IDF's ble_throughput example?`), opts.attachTimeoutS * 1000 + opts.durationS * 1000);
      link.on('line', onLine);
      link.on('close', onClose);
      link.on('data', (d: Buffer) => raw.push(Buffer.from(d)));
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      // After the listeners, so the boot banner the reset brings is read.
      if (opts.reset) {
        void link.reset().then((reset) => {
          if (!reset.done) opts.onWarning?.(`${opts.device} was not reset: ${reset.reason}; reading the board as it runs`);
        });
      }
    });
  } finally {
    await link.close().catch(() => {});
  }
  const last = samples[samples.length - 1];
  const intervals: Interval[] = [];
  let prev = { t: 0, bytes: 0 };
  for (const s of samples) {
    if (s.t > prev.t) intervals.push({ t: s.t, bytes: Math.max(0, Math.round(s.bytes - prev.bytes)) });
    prev = s;
  }
  const ok = Boolean(last && last.t > 0);
  const endedAt = new Date().toISOString();
  const record: RunRecord = {
    version: RUN_RECORD_VERSION,
    runId: opts.runId,
    startedAt,
    endedAt,
    status: opts.signal?.aborted ? 'aborted' : ok ? 'ok' : 'failed',
    error: ok ? null : error,
    device: { uri: opts.device, chip, ip: null, resetReason: null, serialNumber, mac: null },
    labels: { ...opts.labels },
    host: { hostname: hostname(), platform: platform(), espbenchVersion: opts.version ?? '0.0.0', listen: '', portBase: 0 },
    testDurationS: opts.durationS,
    iterations: 1,
    results: ok
      ? [
          {
            scenario: kind === 'notify' ? 'ble-notify' : 'ble-write',
            iteration: 1,
            status: 'ok',
            failure: null,
            // The example's own figure: there is no host in a BLE link.
            deviceKiBps: Math.round((last!.bytes / last!.t / 1024) * 1000) / 1000,
            hostKiBps: Math.round((last!.bytes / last!.t / 1024) * 1000) / 1000,
            bytes: Math.round(last!.bytes),
            durationS: last!.t,
            startedAt: firstAt ?? startedAt,
            endedAt,
            hostTxBytes: 0,
            hostRxBytes: 0,
            intervals,
          },
        ]
      : [],
    log,
  };
  return { record, raw: Buffer.concat(raw) };
}
