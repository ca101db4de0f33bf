import { hostname, platform } from 'node:os';
import { createLink, parseDeviceUri, type LineLink } from '@espbench/link';
import type { v1 } from '@espbench/protocol';
import { CHIP_RADIOS, radioOf, RUN_RECORD_VERSION, type BoardReport, type Failure, type Interval, type Result, type RunRecord, type RunStatus, type Scenario } from '@espbench/schema';
import { ENDPOINT_OFFSETS, TrafficServer, UdpReceiver, UdpSender, type Endpoint } from '@espbench/traffic';
import { ConnectionBroker, type ConnectionSourceLike } from '../broker.js';
import { round3, sameMillisecondMerged, settle, withBoardEnd } from '../device-run.js';
import type { Progress } from '../progress.js';
import { V1Session, type SessionEvent } from './session.js';

/** One measurement of the plan: a scenario alone, or a WiFi and a BLE scenario at once. */
export type PlanItem = { kind: 'alone'; scenario: Scenario } | { kind: 'coex'; wifi: Scenario; ble: Scenario };

export class PlanError extends Error {
  override readonly name = 'PlanError';
}

const WIFI_TCP: Partial<Record<Scenario, Endpoint>> = { 'wifi-tcp-download': 'download', 'wifi-tcp-upload': 'upload', 'wifi-tcp-updown': 'echo' };

/** Parse `--scenario` names and `--coex wifi+ble` pairs. */
export function parsePlan(scenarios: readonly string[], coex: readonly string[], known: readonly string[]): PlanItem[] {
  const check = (s: string, flag: string): Scenario => {
    if (!known.includes(s)) throw new PlanError(`${flag} "${s}" is not a scenario; known: ${known.join(', ')}`);
    return s as Scenario;
  };
  const items: PlanItem[] = scenarios.map((s) => ({ kind: 'alone', scenario: check(s, '--scenario') }));
  for (const pair of coex) {
    const [a, b, extra] = pair.split('+');
    if (!a || !b || extra !== undefined) throw new PlanError(`--coex "${pair}" must be a WiFi and a BLE scenario joined by +, e.g. wifi-tcp-upload+ble-notify`);
    const x = check(a, '--coex');
    const y = check(b, '--coex');
    const wifi = radioOf(x) === 'wifi' ? x : y;
    const ble = radioOf(x) === 'ble' ? x : y;
    if (radioOf(wifi) !== 'wifi' || radioOf(ble) !== 'ble') throw new PlanError(`--coex "${pair}" needs one WiFi and one BLE scenario`);
    items.push({ kind: 'coex', wifi, ble });
  }
  if (!items.length) throw new PlanError('no scenario to run: add --scenario NAME or --coex WIFI+BLE');
  return items;
}

/** The capability the device under test (and the peer) must announce for a scenario. */
function needs(scenario: Scenario): { dut: string; peer: string | null } {
  if (scenario === 'ble-notify') return { dut: 'ble-notify-peripheral', peer: 'ble-notify-central' };
  if (scenario === 'ble-write') return { dut: 'ble-write-central', peer: 'ble-write-peripheral' };
  return { dut: scenario, peer: null };
}

/** Why a plan item cannot run on these boards, or null when it can. */
export function cannotRun(item: PlanItem, dut: { chip: string | null; capabilities: readonly string[] }, peer: { chip: string | null; capabilities: readonly string[] } | null): string | null {
  const scenarios = item.kind === 'alone' ? [item.scenario] : [item.wifi, item.ble];
  const radios = dut.chip ? CHIP_RADIOS[dut.chip] : undefined;
  for (const s of scenarios) {
    const radio = radioOf(s);
    if (radios && !radios[radio]) return `${dut.chip} has no ${radio === 'wifi' ? 'WiFi' : 'Bluetooth LE'} radio`;
    const need = needs(s);
    if (!dut.capabilities.includes(need.dut)) return `the firmware does not announce ${need.dut}`;
    if (need.peer) {
      if (!peer) return `${s} needs a peer board: add --peer <device>`;
      const peerRadios = peer.chip ? CHIP_RADIOS[peer.chip] : undefined;
      if (peerRadios && !peerRadios.ble) return `the peer (${peer.chip}) has no Bluetooth LE radio`;
      if (!peer.capabilities.includes(need.peer)) return `the peer firmware does not announce ${need.peer}`;
    }
  }
  if (item.kind === 'coex' && !dut.capabilities.includes('coex')) return 'the firmware does not announce coex (WiFi and BLE at once)';
  return null;
}

export interface V1BenchOptions {
  device: string;
  peer?: string;
  plan: PlanItem[];
  iterations: number;
  durationS: number;
  labels: Record<string, string>;
  /** The address boards reach this host at (sent in each WiFi run command). */
  hostIp: string;
  listen?: string;
  portBase?: number;
  intervalMs?: number;
  signal?: AbortSignal;
  runId: string;
  version?: string;
  onProgress?: (p: Progress) => void;
  bootTimeoutS?: number;
  /** UDP: bytes per second the host sends (download) or asks the board to send (upload). */
  udpRate?: number;
  /** UDP: bytes per datagram. */
  udpPayload?: number;
  /** BLE link parameters the boards are asked for. */
  ble?: { phy?: '1M' | '2M' | 'coded'; mtu?: number; connIntervalMs?: number };
  /** Reset each board into its application (DTR/RTS) after opening it. */
  reset?: boolean;
  /** One-line notices (a board that could not be reset). */
  onWarning?: (line: string) => void;
}

export interface V1Outcome {
  record: RunRecord;
  raw: Buffer;
}

const CONNECT_S = 15;
const RESULT_MARGIN_S = 15;

/** Run a protocol-v1 plan on one device under test (and its BLE peer). */
export async function runV1Bench(opts: V1BenchOptions): Promise<V1Outcome> {
  const startedAt = new Date().toISOString();
  const listen = opts.listen ?? '0.0.0.0';
  const trafficHost = listen === '0.0.0.0' || listen === '::' ? '127.0.0.1' : listen;
  const server = await TrafficServer.start({ host: listen, portBase: opts.portBase ?? 4321, intervalMs: opts.intervalMs ?? 1000 });
  const broker = new ConnectionBroker(server as unknown as ConnectionSourceLike);
  const links: LineLink[] = [];
  let serialNumber: string | null = null;
  const open = async (uri: string) => {
    const link = createLink(parseDeviceUri(uri), { trafficHost, portBase: server.ports.download });
    await link.open();
    links.push(link);
    if (uri === opts.device) serialNumber = (await link.identify())?.serialNumber ?? null;
    const session = new V1Session(link);
    if (opts.reset) {
      const reset = await link.reset();
      if (!reset.done) opts.onWarning?.(`${uri} was not reset: ${reset.reason}; attaching to the board as it runs`);
    }
    return session;
  };
  const results: Result[] = [];
  const skipped: { scenario: string; reason: string }[] = [];
  let status: RunStatus = 'ok';
  let error: string | null = null;
  let dut: V1Session | null = null;
  let peer: V1Session | null = null;
  try {
    dut = await open(opts.device);
    peer = opts.peer ? await open(opts.peer) : null;
    const progress = (scenario: Scenario | null, iteration: number, phase: Progress['phase'], last: string | null = null) =>
      opts.onProgress?.({ device: opts.device, iteration, iterations: opts.iterations, scenario, phase, liveKiBps: null, last });
    progress(null, 1, 'attaching');
    await Promise.all([dut.handshake(opts.bootTimeoutS ?? 20, opts.signal), peer?.handshake(opts.bootTimeoutS ?? 20, opts.signal)]);
    const caps = (s: V1Session) => ({ chip: s.hello?.chip ?? s.chip, capabilities: s.hello?.capabilities ?? [] });
    const plan = opts.plan.filter((item) => {
      const why = cannotRun(item, caps(dut!), peer ? caps(peer) : null);
      if (why) skipped.push({ scenario: item.kind === 'alone' ? item.scenario : `${item.wifi}+${item.ble}`, reason: why });
      return !why;
    });
    const ctx: Ctx = { opts, dut, peer, server, broker, seq: 0 };
    for (let iteration = 1; iteration <= opts.iterations && !opts.signal?.aborted; iteration++) {
      for (const item of plan) {
        if (opts.signal?.aborted) break;
        if (item.kind === 'alone') {
          progress(item.scenario, iteration, 'testing');
          const r = await runOne(ctx, item.scenario, iteration, null);
          results.push(r);
          progress(item.scenario, iteration, 'testing', describe(r));
          continue;
        }
        // The matrix: each alone, then both at once; the degradation is against alone in this round.
        const alone: Result[] = [];
        for (const s of [item.wifi, item.ble]) {
          if (opts.signal?.aborted) break;
          progress(s, iteration, 'testing');
          const r = await runOne(ctx, s, iteration, null);
          alone.push(r);
          results.push(r);
        }
        if (opts.signal?.aborted || alone.length < 2) break;
        progress(item.wifi, iteration, 'testing');
        const both = await runTogether(ctx, item.wifi, item.ble, iteration);
        for (const [k, r] of both.entries()) {
          const base = alone[k]!.hostKiBps;
          r.degradationPct = base && r.hostKiBps !== null ? round3((r.hostKiBps / base - 1) * 100) : null;
          results.push(r);
          progress(r.scenario, iteration, 'testing', describe(r));
        }
      }
    }
    if (opts.signal?.aborted) {
      status = 'aborted';
      error = 'interrupted; results so far are kept';
    } else if (results.some((r) => r.status === 'failed')) {
      status = 'failed';
      error = `${results.filter((r) => r.status === 'failed').length} of ${results.length} results failed; see each result's failure`;
    } else if (!results.length) {
      status = 'failed';
      error = `nothing could run: ${skipped.map((s) => `${s.scenario}: ${s.reason}`).join('; ')}`;
    }
  } catch (err) {
    status = opts.signal?.aborted ? 'aborted' : 'failed';
    error = (err as Error).message;
    if (!(err instanceof Error) || !['SessionError', 'ProtocolVersionError', 'LinkError'].includes(err.name)) throw err;
  } finally {
    broker.dispose();
    for (const s of [dut, peer]) await s?.send({ type: 'stop' }).catch(() => {});
    await Promise.all(links.map((l) => l.close().catch(() => {})));
    await server.close();
  }
  const hello = dut?.hello;
  const record: RunRecord = {
    version: RUN_RECORD_VERSION,
    runId: opts.runId,
    startedAt,
    endedAt: new Date().toISOString(),
    status,
    error,
    device: { uri: opts.device, chip: hello?.chip ?? dut?.chip ?? null, ip: dut?.ready?.wifi?.ip ?? null, resetReason: null, serialNumber, mac: hello?.mac ?? null },
    labels: { ...(hello && !opts.labels.ref ? { ref: hello.firmware.version } : {}), ...opts.labels },
    host: { hostname: hostname(), platform: platform(), espbenchVersion: opts.version ?? '0.0.0', listen, portBase: server.ports.download },
    testDurationS: opts.durationS,
    iterations: opts.iterations,
    results,
    ...(hello ? { firmware: { name: hello.firmware.name, version: hello.firmware.version, protocol: hello.protocol, mac: hello.mac, capabilities: hello.capabilities } } : {}),
    ...(opts.peer ? { peer: { uri: opts.peer, chip: peer?.hello?.chip ?? peer?.chip ?? null, mac: peer?.hello?.mac ?? null } } : {}),
    ...(skipped.length ? { skipped } : {}),
    log: dut?.log ?? [],
  };
  return { record, raw: dut?.rawBytes() ?? Buffer.alloc(0) };
}

interface Ctx {
  opts: V1BenchOptions;
  dut: V1Session;
  peer: V1Session | null;
  server: TrafficServer;
  broker: ConnectionBroker;
  seq: number;
}

function describe(r: Result): string {
  return r.status === 'ok' ? `${r.scenario}${r.coex ? ` with ${r.coex}` : ''} ${r.hostKiBps?.toFixed(1)} KiB/s` : `${r.scenario} failed: ${r.failure?.kind}`;
}

interface Followed {
  start: v1.DeviceMessageOf<'start'> | null;
  result: v1.DeviceMessageOf<'result'> | null;
  resultAt: number;
  intervals: Interval[];
  failure: Failure | null;
}

/** Follow one run id on one board until its result, an error, a fault or the deadline. */
async function follow(s: V1Session, id: string, from: number, startBy: number, durationS: number, signal?: AbortSignal, onStart?: () => void): Promise<Followed> {
  const out: Followed = { start: null, result: null, resultAt: 0, intervals: [], failure: null };
  let i = from;
  let deadline = startBy;
  for (;;) {
    const got = await s.next(i, deadline, (ev) => ev, signal);
    if (!got) {
      if (signal?.aborted) out.failure = { kind: 'aborted', message: 'interrupted' };
      else out.failure = { kind: 'timeout', message: out.start ? `no result from ${s.uri} within ${durationS + RESULT_MARGIN_S} s of start` : `${s.uri} did not start run ${id} within ${CONNECT_S} s` };
      await s.send({ type: 'stop', id }).catch(() => {});
      return out;
    }
    i = got.index + 1;
    const ev: SessionEvent = got.value;
    const failure = failureOf(ev, id, s.uri);
    if (failure) {
      out.failure = failure;
      // The board may still be running it (a bad line is not the end of a run): end it before the next.
      if (failure.kind !== 'link-closed') await s.send({ type: 'stop', id }).catch(() => {});
      return out;
    }
    if (ev.kind !== 'message') continue;
    const m = ev.message;
    if (m.type === 'start' && m.id === id) {
      out.start = m;
      deadline = ev.t + (durationS + RESULT_MARGIN_S) * 1000;
      onStart?.();
    } else if (m.type === 'interval' && m.id === id) {
      out.intervals.push({ t: m.t_ms / 1000, bytes: m.bytes });
    } else if (m.type === 'result' && m.id === id) {
      out.result = m;
      out.resultAt = ev.t;
      return out;
    }
  }
}

function failureOf(ev: SessionEvent, id: string, uri: string): Failure | null {
  switch (ev.kind) {
    case 'malformed':
      return { kind: 'malformed', message: `${uri} printed a malformed protocol line (${ev.error}): ${ev.text}` };
    case 'unknown-type':
      return { kind: 'unknown-message', message: `${uri} sent a message type this espbench does not know during the run: "${ev.type}"` };
    case 'reset':
      return { kind: 'reset', message: `${uri} reset (${ev.reason})`, resetReason: ev.reason };
    case 'panic':
      return { kind: 'panic', message: `${uri} panicked` };
    case 'closed':
      return { kind: 'link-closed', message: `${uri}: ${ev.reason}` };
    case 'message':
      if (ev.message.type === 'error' && (ev.message.id === id || ev.message.id === undefined)) {
        return { kind: ev.message.code, message: `${uri}: ${ev.message.message}` };
      }
      return null;
  }
}

function report(uri: string, m: v1.DeviceMessageOf<'result'>, bleRole: 'central' | 'peripheral' | null): BoardReport {
  const details: Record<string, number | string | boolean> = {};
  for (const [k, v] of Object.entries(m.details ?? {})) if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') details[k] = v;
  return { uri, role: m.role, bleRole, bytes: m.bytes, ms: m.ms, kibps: m.ms > 0 ? round3(m.bytes / 1024 / (m.ms / 1000)) : 0, details };
}

function failed(scenario: Scenario, iteration: number, coex: string | null, failure: Failure, startedAt: string): Result {
  return {
    scenario,
    iteration,
    status: 'failed',
    failure,
    deviceKiBps: null,
    hostKiBps: null,
    bytes: 0,
    durationS: 0,
    startedAt,
    endedAt: new Date().toISOString(),
    hostTxBytes: 0,
    hostRxBytes: 0,
    intervals: [],
    ...(coex ? { coex } : {}),
  };
}

type Measured = Omit<Result, 'scenario' | 'iteration' | 'status' | 'failure' | 'startedAt' | 'endedAt' | 'coex'>;

/** An ok result: the measured figures, plus what every result of this run carries. */
function okResult(key: { scenario: Scenario; iteration: number; coex: string | null; startedAt: string }, m: Measured): Result {
  return { scenario: key.scenario, iteration: key.iteration, status: 'ok', failure: null, startedAt: key.startedAt, endedAt: new Date().toISOString(), ...m, ...(key.coex ? { coex: key.coex } : {}) };
}

/** After a run, every board involved is idle again before the next one starts. */
async function settleBoards(sessions: V1Session[], signal?: AbortSignal): Promise<void> {
  await Promise.all(
    sessions.map(async (s) => {
      const from = s.events.length;
      await s.send({ type: 'status' }).catch(() => {});
      await s.next(from, Date.now() + 10_000, (ev) => (ev.kind === 'message' && ev.message.type === 'ready' ? true : undefined), signal);
    }),
  );
}

/** Coexistence: how one run of the pair lines up with the other. */
interface Together {
  /** BLE: called once both boards are moving data. */
  onStarted?: () => void;
  /** BLE: resolves when the WiFi run is over; the BLE run is stopped then, so both cover one window. */
  stopWhen?: Promise<void>;
  /** WiFi: the board is still busy with BLE afterwards, so do not wait for it to be idle. */
  noSettle?: boolean;
}

/**
 * WiFi and BLE at once, over the same window: BLE first (its link takes the longest to come up),
 * WiFi once BLE data flows, and BLE stopped when WiFi ends. Each figure then covers only the time
 * both radios were busy, but for WiFi's connect time.
 */
async function runTogether(ctx: Ctx, wifi: Scenario, ble: Scenario, iteration: number): Promise<[Result, Result]> {
  let started!: () => void;
  const bleStarted = new Promise<void>((r) => (started = r));
  let over!: () => void;
  const wifiOver = new Promise<void>((r) => (over = r));
  const bleRun = runOne(ctx, ble, iteration, wifi, { onStarted: started, stopWhen: wifiOver });
  await Promise.race([bleStarted, bleRun]);
  let wifiResult: Result;
  try {
    wifiResult = await runOne(ctx, wifi, iteration, ble, { noSettle: true });
  } finally {
    over();
  }
  const bleResult = await bleRun;
  await settleBoards([ctx.dut, ...(ctx.peer ? [ctx.peer] : [])], ctx.opts.signal);
  return [wifiResult, bleResult];
}

async function runOne(ctx: Ctx, scenario: Scenario, iteration: number, coex: string | null, together: Together = {}): Promise<Result> {
  const id = `${scenario}-${iteration}${coex ? '-coex' : ''}-${++ctx.seq}`;
  const startedAt = new Date().toISOString();
  const { opts, dut } = ctx;
  const durationMs = Math.round(opts.durationS * 1000);
  const startBy = () => Date.now() + CONNECT_S * 1000;

  if (radioOf(scenario) === 'ble') {
    const peer = ctx.peer!;
    // notify: the DUT is the peripheral and sends; write: the DUT is the central and sends.
    const dutRole = scenario === 'ble-notify' ? 'peripheral' : 'central';
    const peripheral = dutRole === 'peripheral' ? dut : peer;
    const central = dutRole === 'peripheral' ? peer : dut;
    const address = peripheral.ready?.ble?.address;
    if (!address) return failed(scenario, iteration, coex, { kind: 'no-address', message: `${peripheral.uri} announced no BLE address in its ready message` }, startedAt);
    const fromP = peripheral.events.length;
    const fromC = central.events.length;
    const link = opts.ble ?? {};
    // Alongside WiFi the BLE run lasts until WiFi is over (plus room for WiFi to connect).
    const bleDurationS = together.stopWhen ? opts.durationS + CONNECT_S + RESULT_MARGIN_S : opts.durationS;
    const common = {
      type: 'run' as const,
      id,
      scenario,
      duration_ms: Math.round(bleDurationS * 1000),
      ...(link.phy ? { phy: link.phy } : {}),
      ...(link.mtu ? { mtu: link.mtu } : {}),
      ...(link.connIntervalMs ? { conn_interval_ms: link.connIntervalMs } : {}),
    };
    // The peripheral first, so it advertises by the time the central scans.
    await peripheral.send({ ...common, role: 'peripheral' });
    await central.send({ ...common, role: 'central', peer: address });
    let starts = 0;
    const onStart = () => {
      if (++starts === 2) together.onStarted?.();
    };
    void together.stopWhen?.then(async () => {
      for (const b of [peripheral, central]) await b.send({ type: 'stop', id }).catch(() => {});
    });
    const [p, c] = await Promise.all([
      follow(peripheral, id, fromP, startBy(), bleDurationS, opts.signal, onStart),
      follow(central, id, fromC, startBy(), bleDurationS, opts.signal, onStart),
    ]);
    if (!together.stopWhen) await settleBoards([dut, peer], opts.signal);
    const failure = p.failure ?? c.failure;
    if (failure || !p.result || !c.result) return failed(scenario, iteration, coex, failure ?? { kind: 'no-result', message: 'a board gave no result' }, startedAt);
    const receiver = dutRole === 'peripheral' ? c : p;
    const sender = dutRole === 'peripheral' ? p : c;
    const dutFollowed = dut === peripheral ? p : c;
    const peerFollowed = dut === peripheral ? c : p;
    const rx = receiver.result!;
    return okResult({ scenario, iteration, coex, startedAt }, {
      deviceKiBps: report(dut.uri, sender.result!, dutRole).kibps,
      // No host in the BLE path: the figure is what the receiving board counted.
      hostKiBps: rx.ms > 0 ? round3(rx.bytes / 1024 / (rx.ms / 1000)) : 0,
      bytes: rx.bytes,
      durationS: rx.ms / 1000,
      hostTxBytes: 0,
      hostRxBytes: 0,
      intervals: sameMillisecondMerged(receiver.intervals.map((i) => ({ t: round3(i.t), bytes: i.bytes }))),
      boards: [report(dut.uri, dutFollowed.result!, dutRole), report(peer.uri, peerFollowed.result!, dutRole === 'peripheral' ? 'central' : 'peripheral')],
    });
  }

  if (scenario === 'wifi-udp-upload' || scenario === 'wifi-udp-download') return runUdp(ctx, scenario, iteration, coex, id, startedAt, together);

  const endpoint = WIFI_TCP[scenario];
  if (!endpoint) return failed(scenario, iteration, coex, { kind: 'unsupported', message: `${scenario} is not supported by this espbench host yet` }, startedAt);
  const ip = dut.ready?.wifi?.ip ?? null;
  const claimAbort = new AbortController();
  // Only a connection accepted after this run's command: one left over from a run stopped a moment ago is not this run's.
  const claim = ctx.broker.claim(endpoint, ip, Date.now(), (CONNECT_S + 5) * 1000, claimAbort.signal);
  const from = dut.events.length;
  await dut.send({ type: 'run', id, scenario, duration_ms: durationMs, host: { ip: opts.hostIp, port: ctx.server.ports.download + ENDPOINT_OFFSETS[endpoint] } });
  const f = await follow(dut, id, from, startBy(), opts.durationS, opts.signal);
  const conn = await Promise.race([claim, new Promise<null>((r) => setTimeout(() => r(null), f.start ? 2000 : 0))]);
  claimAbort.abort();
  if (!together.noSettle) await settleBoards([dut], opts.signal);
  if (f.failure || !f.result) return failed(scenario, iteration, coex, f.failure ?? { kind: 'no-result', message: 'no result' }, startedAt);
  if (!conn) {
    return failed(scenario, iteration, coex, { kind: 'no-connection', message: `${dut.uri} reported a result but no connection from ${ip ?? 'it'} reached this host's ${endpoint} port; is --host-ip this machine?` }, startedAt);
  }
  const summary = withBoardEnd(conn, await settle(conn), f.resultAt);
  if (summary.estimate.bytes === 0 && f.result.bytes > 0) {
    // Never a zero for a transfer the board says happened: the connection was not this run's.
    return failed(scenario, iteration, coex, { kind: 'no-data', message: `${dut.uri} reported ${f.result.bytes} bytes but its connection to this host carried none` }, startedAt);
  }
  const tx = summary.estimate.direction === 'tx';
  const own = report(dut.uri, f.result, null);
  return okResult({ scenario, iteration, coex, startedAt }, {
    deviceKiBps: own.kibps,
    hostKiBps: round3(summary.estimate.kibps),
    bytes: summary.estimate.bytes,
    durationS: round3(summary.estimate.durationS),
    hostTxBytes: summary.txBytes,
    hostRxBytes: summary.rxBytes,
    intervals: sameMillisecondMerged(summary.intervals.map((i) => ({ t: round3(i.t), bytes: tx ? i.ackedTxBytes : i.rxBytes }))),
    boards: [own],
  });
}

const DEFAULT_UDP_RATE = 1_000_000;
const DEFAULT_UDP_PAYLOAD = 1400;

/**
 * UDP by sequence number. Upload: the host's receiver counts what arrived (throughput, loss, jitter,
 * reordering). Download: the host sends at the rate asked and the board counts; the figure is the
 * board's received bytes over its time, the loss what the host sent and the board never saw.
 */
async function runUdp(ctx: Ctx, scenario: 'wifi-udp-upload' | 'wifi-udp-download', iteration: number, coex: string | null, id: string, startedAt: string, together: Together = {}): Promise<Result> {
  const { opts, dut } = ctx;
  const listen = opts.listen ?? '0.0.0.0';
  const rate = opts.udpRate ?? DEFAULT_UDP_RATE;
  const payload = opts.udpPayload ?? DEFAULT_UDP_PAYLOAD;
  const durationMs = Math.round(opts.durationS * 1000);
  const ip = dut.ready?.wifi?.ip;
  const from = dut.events.length;
  if (scenario === 'wifi-udp-upload') {
    const receiver = await UdpReceiver.start({ host: listen, port: 0, intervalMs: opts.intervalMs ?? 1000, ...(ip ? { expectedSource: ip } : {}) });
    try {
      await dut.send({ type: 'run', id, scenario, duration_ms: durationMs, host: { ip: opts.hostIp, port: receiver.port }, payload, rate });
      const f = await follow(dut, id, from, Date.now() + CONNECT_S * 1000, opts.durationS, opts.signal);
      await new Promise((r) => setTimeout(r, 200)); // datagrams still in flight
      await receiver.close();
      // With the board's own count, datagrams lost after the last one that arrived count too.
      const boardSent = typeof f.result?.details?.sent === 'number' ? f.result.details.sent : undefined;
      const sum = receiver.summary(boardSent);
      if (!together.noSettle) await settleBoards([dut], opts.signal);
      if (f.failure || !f.result) return failed(scenario, iteration, coex, f.failure ?? { kind: 'no-result', message: 'no result' }, startedAt);
      if (!sum.uniqueDatagrams) return failed(scenario, iteration, coex, { kind: 'no-connection', message: `no datagram from ${ip ?? dut.uri} reached UDP port ${receiver.port}; is --host-ip this machine?` }, startedAt);
      const own = report(dut.uri, f.result, null);
      return okResult({ scenario, iteration, coex, startedAt }, {
        deviceKiBps: own.kibps,
        // Over the board's sending time when it is longer than first-to-last arrival (a lost tail).
        hostKiBps: round3(sum.uniqueBytes / 1024 / Math.max(sum.durationS, f.result.ms / 1000)),
        bytes: sum.uniqueBytes,
        durationS: round3(Math.max(sum.durationS, f.result.ms / 1000)),
        hostTxBytes: 0,
        hostRxBytes: sum.bytes,
        intervals: sameMillisecondMerged(sum.intervals.map((i) => ({ t: round3(i.t), bytes: i.bytes }))),
        boards: [own],
        udp: { datagrams: sum.uniqueDatagrams, lost: sum.lost, lossPct: round3(sum.lossPercent), outOfOrder: sum.outOfOrder, duplicates: sum.duplicates, jitterMs: round3(sum.jitterMs) },
      });
    } finally {
      await receiver.close().catch(() => {});
    }
  }
  const sender = await UdpSender.start({ host: listen, port: 0, rate, payload, durationMs, expectedId: id, ...(ip ? { expectedSource: ip } : {}) });
  try {
    await dut.send({ type: 'run', id, scenario, duration_ms: durationMs, host: { ip: opts.hostIp, port: sender.port }, payload, rate });
    const f = await follow(dut, id, from, Date.now() + CONNECT_S * 1000, opts.durationS, opts.signal);
    const sent = await sender.stop();
    if (!together.noSettle) await settleBoards([dut], opts.signal);
    if (f.failure || !f.result) return failed(scenario, iteration, coex, f.failure ?? { kind: 'no-result', message: 'no result' }, startedAt);
    if (!sent.peer) return failed(scenario, iteration, coex, { kind: 'no-connection', message: `${dut.uri} reported a result but its first datagram never reached UDP port ${sender.port}; is --host-ip this machine?` }, startedAt);
    const own = report(dut.uri, f.result, null);
    const received = typeof f.result.details?.received === 'number' ? f.result.details.received : Math.round(f.result.bytes / payload);
    // The board sees the sequence gaps; host-sent minus board-received also counts what was still
    // in flight when the board's window closed.
    const lostSeq = typeof f.result.details?.lost_seq === 'number' ? f.result.details.lost_seq : null;
    const lost = lostSeq ?? Math.max(0, sent.datagrams - received);
    const expected = lostSeq !== null ? received + lostSeq : sent.datagrams;
    return okResult({ scenario, iteration, coex, startedAt }, {
      deviceKiBps: own.kibps,
      // What arrived is only known to the board: its count is the figure.
      hostKiBps: own.kibps,
      bytes: f.result.bytes,
      durationS: f.result.ms / 1000,
      hostTxBytes: sent.bytes,
      hostRxBytes: 0,
      intervals: sameMillisecondMerged(f.intervals.map((i) => ({ t: round3(i.t), bytes: i.bytes }))),
      boards: [own],
      // Reordering and jitter of a download only the receiving board can see; taken when it reports them.
      udp: {
        datagrams: received,
        lost,
        lossPct: expected ? round3((lost / expected) * 100) : 0,
        outOfOrder: detailCount(f.result.details, 'out_of_order'),
        duplicates: detailCount(f.result.details, 'duplicates'),
        jitterMs: typeof f.result.details?.jitter_ms === 'number' ? f.result.details.jitter_ms : null,
      },
    });
  } finally {
    await sender.close().catch(() => {});
  }
}

function detailCount(details: Record<string, unknown> | undefined, key: string): number {
  const v = details?.[key];
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : 0;
}

