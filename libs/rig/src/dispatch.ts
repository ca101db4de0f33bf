import { hostname } from 'node:os';
import type { MqttClient } from 'mqtt';
import {
  brokerAccess,
  connectBroker,
  encodeMessage,
  filters,
  parsePayload,
  PAYLOAD_VERSION,
  publishMessage,
  type BrokerConnection,
  type BrokerOptions,
  type CommandState,
  type RigDevices,
  type RigStatus,
  type RunCommand,
} from '@espbench/mqtt';

/** One unit of work for some rig with a board of `chip`. */
export interface DispatchItem {
  /** The command id: unique per dispatch (a command id a rig has seen is never run again). */
  id: string;
  /** Rigs that may take it. */
  rigs: string[];
  chip: string;
  command: Omit<RunCommand, 'v' | 'id' | 'rig' | 'issuedAt' | 'chip' | 'devices'>;
  /** How long the item may run once its rig started it. */
  timeoutMs: number;
}

export type DispatchState = 'done' | 'failed' | 'rejected' | 'timeout' | 'no-rig';

export interface DispatchOutcome {
  item: DispatchItem;
  rig: string | null;
  state: DispatchState;
  reason: string | null;
  runIds: string[];
  results: { ok: number; failed: number; notRun: number } | null;
  devices: string[];
}

export interface DispatchOptions extends Pick<BrokerOptions, 'username' | 'password' | 'ca' | 'cert' | 'key' | 'reconnect' | 'firstConnectTimeoutMs'> {
  /** Fixed per dispatcher host (default `espbench-dispatch-<hostname>`); its session keeps command states over a broker restart. */
  clientId?: string;
  /** How long to wait for the rigs' retained status and devices before choosing (default 10 s; less once every rig has answered). */
  rigWaitMs?: number;
  /** Each state change, one line. */
  onState?: (item: DispatchItem, state: CommandState['state'] | DispatchState, detail: string) => void;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

interface RigView {
  status: RigStatus | null;
  devices: RigDevices | null;
}

interface Tracked {
  item: DispatchItem;
  rig: string;
  state: CommandState['state'];
  runningSince: number | null;
  queuedDeadline: number;
  resolve: (o: DispatchOutcome) => void;
  last: CommandState | null;
}

/**
 * The central side of docs/mqtt.md: sends each item to a rig that is online and has a board of the
 * item's chip (the least loaded one), then follows the commands' state messages until every item is
 * done, failed, rejected or out of time.
 */
export async function dispatch(url: string, items: readonly DispatchItem[], opts: DispatchOptions = {}): Promise<DispatchOutcome[]> {
  const log = opts.log ?? (() => {});
  const rigs = new Map<string, RigView>();
  const tracked = new Map<string, Tracked>();
  const early = new Map<string, CommandState>();
  const view = (rig: string) => {
    let v = rigs.get(rig);
    if (!v) rigs.set(rig, (v = { status: null, devices: null }));
    return v;
  };
  let client: MqttClient | null = null;
  const onMessage = (topic: string, payload: Buffer) => {
    const parsed = parsePayload(topic, payload);
    if (!parsed.ok) {
      log(`ignored: ${parsed.reason}`);
      return;
    }
    const m = parsed.message;
    if (m.kind === 'status') view(m.rig).status = m.payload;
    else if (m.kind === 'devices') view(m.rig).devices = m.payload;
    else if (m.kind === 'command-state') {
      const t = tracked.get(m.commandId);
      if (t && t.rig === m.rig) onState(t, m.payload);
      else if (items.some((i) => i.id === m.commandId)) early.set(m.commandId, m.payload);
    }
  };
  const onState = (t: Tracked, s: CommandState) => {
    t.last = s;
    if (s.state === t.state && s.state !== 'done' && s.state !== 'failed') return;
    t.state = s.state;
    opts.onState?.(t.item, s.state, `${t.rig}${s.reason ? `: ${s.reason}` : ''}`);
    if (s.state === 'running') t.runningSince = Date.now();
    if (s.state === 'queued') t.runningSince = null; // an agent that restarted queues it again
    if (s.state === 'done' || s.state === 'failed' || s.state === 'rejected') {
      t.resolve(outcomeOf(t, s.state, s.reason));
    }
  };

  const connection: BrokerConnection = await connectBroker(url, {
    clientId: opts.clientId ?? `espbench-dispatch-${hostname().replace(/[^A-Za-z0-9._-]/g, '-')}`,
    ...brokerAccess(opts),
    // A persistent session: command states published while the broker restarts are queued for us.
    clean: false,
    sessionExpirySeconds: 24 * 3600,
    log,
    setup: (c) => {
      client = c;
      c.on('message', onMessage);
    },
  });
  try {
    const subs = {
      [filters.status()]: { qos: 1 as const },
      [filters.devices()]: { qos: 1 as const },
      [filters.commandStates()]: { qos: 1 as const },
    };
    const subscribe = async () => {
      const granted = await connection.client.subscribeAsync({ ...subs, resubscribe: true } as unknown as typeof subs);
      const refused = granted.filter((g) => g.qos >= 0x80);
      if (refused.length) throw new Error(`${connection.where} refused the subscription to ${refused.map((g) => g.topic).join(', ')}; check the broker's ACL for this user`);
    };
    await subscribe();
    connection.client.on('connect', () => void subscribe().catch((err: Error) => log(`subscribing again: ${err.message}`)));

    // Retained status and devices arrive right after the subscription; wait until every named rig answered.
    const wanted = [...new Set(items.flatMap((i) => i.rigs))];
    const waitUntil = Date.now() + (opts.rigWaitMs ?? 10_000);
    while (Date.now() < waitUntil && !wanted.every((r) => rigs.get(r)?.status && rigs.get(r)?.devices)) await sleep(50);

    const load = new Map<string, number>();
    const outcomes: Promise<DispatchOutcome>[] = [];
    for (const item of items) {
      const candidates = item.rigs.filter((r) => {
        const v = rigs.get(r);
        return v?.status?.state === 'online' && v.devices?.devices.some((d) => d.chip === item.chip);
      });
      if (!candidates.length) {
        const reason = `no rig online with an ${item.chip} board (${item.rigs.map((r) => `${r}: ${describeRig(rigs.get(r))}`).join('; ')})`;
        opts.onState?.(item, 'no-rig', reason);
        outcomes.push(Promise.resolve({ item, rig: null, state: 'no-rig', reason, runIds: [], results: null, devices: [] }));
        continue;
      }
      candidates.sort((a, b) => (load.get(a) ?? 0) - (load.get(b) ?? 0));
      const rig = candidates[0]!;
      load.set(rig, (load.get(rig) ?? 0) + 1);
      outcomes.push(
        new Promise<DispatchOutcome>((resolve) => {
          const t: Tracked = { item, rig, state: 'queued', runningSince: null, queuedDeadline: 0, resolve, last: null };
          tracked.set(item.id, t);
        }),
      );
    }
    // Commands queued on one rig wait for the ones before them: the time allowed while queued is the
    // sum of the timeouts of the rig's items.
    const perRig = new Map<string, number>();
    for (const t of tracked.values()) perRig.set(t.rig, (perRig.get(t.rig) ?? 0) + t.item.timeoutMs);
    for (const t of tracked.values()) {
      t.queuedDeadline = Date.now() + perRig.get(t.rig)! + 60_000;
      const command = encodeMessage({
        kind: 'command',
        rig: t.rig,
        commandId: t.item.id,
        payload: { v: PAYLOAD_VERSION, id: t.item.id, rig: t.rig, issuedAt: new Date().toISOString(), chip: t.item.chip, ...t.item.command },
      });
      const code = await publishMessage(connection.client, command);
      if (code !== 0) {
        const reason =
          code === 16
            ? `rig ${t.rig} is not subscribed to its commands (is its agent running with a persistent session?)`
            : `the broker refused the command (reason code ${code}${code === 135 ? ': not authorised, check the ACL of the dispatch user' : ''})`;
        t.resolve(outcomeOf(t, 'failed', reason));
        continue;
      }
      opts.onState?.(t.item, 'queued', `sent to ${t.rig}`);
      const seen = early.get(t.item.id);
      if (seen) onState(t, seen);
    }

    // Time limits.
    const timer = setInterval(() => {
      const now = Date.now();
      for (const t of tracked.values()) {
        if (t.state === 'done' || t.state === 'failed' || t.state === 'rejected') continue;
        const over = t.runningSince !== null ? now - t.runningSince > t.item.timeoutMs : now > t.queuedDeadline;
        const rigDown = rigs.get(t.rig)?.status?.state === 'offline' ? ` (rig ${t.rig} is offline)` : '';
        if (over || opts.signal?.aborted) {
          t.state = 'failed';
          const reason = opts.signal?.aborted ? 'interrupted' : t.runningSince !== null ? `no end within ${Math.round(t.item.timeoutMs / 1000)} s of starting${rigDown}` : `not started by ${t.rig}${rigDown}`;
          opts.onState?.(t.item, 'timeout', reason);
          t.resolve(outcomeOf(t, 'timeout', reason));
        }
      }
    }, 250);
    try {
      return await Promise.all(outcomes);
    } finally {
      clearInterval(timer);
    }
  } finally {
    await connection.close();
    void client;
  }
}

function outcomeOf(t: Tracked, state: DispatchState, reason: string | null): DispatchOutcome {
  return {
    item: t.item,
    rig: t.rig,
    state,
    reason,
    runIds: t.last?.runIds ?? [],
    results: t.last?.results ?? null,
    devices: t.last?.devices ?? [],
  };
}

function describeRig(v: RigView | undefined): string {
  if (!v?.status) return 'never seen';
  if (v.status.state !== 'online') return 'offline';
  const chips = v.devices?.devices.map((d) => d.chip ?? 'unknown chip') ?? [];
  return chips.length ? chips.join(', ') : 'no boards';
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
