import { hostname } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import {
  brokerAccess,
  connectBroker,
  encodeMessage,
  filters,
  parsePayload,
  PAYLOAD_VERSION,
  publishMessage,
  rigStatus,
  rigWill,
  segment,
  type BrokerConnection,
  type BrokerOptions,
  type CommandState,
  type IntervalSampleMessage,
  type MqttMessage,
  type Outgoing,
  type RunCommand,
} from '@espbench/mqtt';
import type { LiveSample, Progress } from '@espbench/runner';
import type { RunRecord } from '@espbench/schema';
import { newRunId as makeRunId, type LocalStore } from '@espbench/store';
import { descriptorLabels, readFirmwareImage } from '@espbench/firmware';
import { espflashFlasher, resolveImage, type Flasher, type RigBoard } from './devices.js';
import { CommandJournal, Outbox, type JournalEntry } from './journal.js';
import { checkJob, runJob, type Job } from './job.js';

export interface AgentOptions extends Pick<BrokerOptions, 'username' | 'password' | 'ca' | 'cert' | 'key' | 'reconnect' | 'keepaliveSeconds' | 'firstConnectTimeoutMs'> {
  rig: string;
  boards: RigBoard[];
  /** Records are stored here first; the agent's journal and outbox live in `<store.dir>/agent/<rig>/`. */
  store: LocalStore;
  /** Firmware images a command may name; none: commands with `firmware` are rejected. */
  firmwareDir?: string;
  /** Default: espflash on PATH for serial boards (`espflash` names another), nothing for simulated ones. */
  flash?: Flasher;
  espflash?: string;
  /** Traffic server listen address and the address boards reach this host at. */
  listen: string;
  hostIp: string | null;
  /** Fixed per rig (default `espbench-agent-<rig>`): the broker queues commands under it while the agent is away. */
  clientId?: string;
  /** How long the broker keeps the session while the agent is away (default 7 days). */
  sessionExpirySeconds?: number;
  /** Records the broker did not take (no ingester subscribed yet, ...) are published again this often (default 5 s). */
  republishMs?: number;
  /** Interval samples are sent in one message per run at most this often (default 1 s). */
  intervalFlushMs?: number;
  version: string;
  log?: (line: string) => void;
}

interface Running {
  entry: JournalEntry;
  abort: AbortController;
  done: Promise<void>;
}

/**
 * The rig side of docs/mqtt.md. Announces the rig (retained status with an `offline` last will, and
 * its boards), takes run commands addressed to it, runs them one at a time per board, and publishes
 * progress, interval samples and records.
 *
 * Nothing is lost on faults: a command is written to the journal before the broker gets its PUBACK; a
 * record is stored before it is published and stays in the outbox until the broker acknowledged it
 * with reason code 0 (16, "no matching subscribers", means no ingester had it: publish again). A
 * restarted agent publishes its outbox, records the run it was killed in as aborted, and runs the
 * command again.
 */
export class Agent {
  private connection: BrokerConnection | null = null;
  private mqtt: MqttClient | null = null;
  private readonly journal: CommandJournal;
  private readonly outbox: Outbox;
  private readonly pending: JournalEntry[] = [];
  private readonly running = new Map<string, Running>();
  private readonly busy = new Set<string>();
  private readonly boards: RigBoard[];
  private readonly log: (line: string) => void;
  private readonly host = hostname();
  private outboxChain: Promise<void> = Promise.resolve();
  private republishTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  private lastOutboxNote = '';

  constructor(private readonly opts: AgentOptions) {
    segment('rig name', opts.rig);
    this.boards = opts.boards.map((b) => ({ ...b }));
    this.log = opts.log ?? (() => {});
    const base = join(opts.store.dir, 'agent', opts.rig);
    this.journal = new CommandJournal(join(base, 'commands'));
    this.outbox = new Outbox(join(base, 'outbox'));
  }

  static async start(url: string, opts: AgentOptions): Promise<Agent> {
    const agent = new Agent(opts);
    await agent.connect(url);
    return agent;
  }

  get rig(): string {
    return this.opts.rig;
  }

  /** Recover what a previous agent left, connect, announce, and take commands. */
  async connect(url: string): Promise<void> {
    await this.recover();
    const o = this.opts;
    const will = rigWill(o.rig, { host: this.host, version: o.version });
    this.connection = await connectBroker(url, {
      clientId: o.clientId ?? `espbench-agent-${o.rig}`,
      ...brokerAccess(o),
      clean: false,
      sessionExpirySeconds: o.sessionExpirySeconds ?? 7 * 24 * 3600,
      will: { topic: will.topic, payload: will.payload, qos: will.qos, retain: will.retain },
      log: this.log,
      // A resumed session may deliver queued commands before the CONNACK resolves connectBroker.
      customHandleAcks: (topic, message, _packet, done) => {
        this.onCommand(topic, message).then(
          (code) => done(code),
          (err: Error) => {
            this.log(`command on ${topic}: ${err.message}`);
            done(0x80);
          },
        );
      },
      setup: (client) => {
        this.mqtt = client;
        client.on('connect', () => void this.onConnected());
      },
    });
    await this.onConnected();
    this.republishTimer = setInterval(() => void this.flushOutbox(), o.republishMs ?? 5000);
    this.pump();
  }

  /** Boards with what the rig knows of them (for the retained devices message). */
  get announcedBoards(): { uri: string; chip: string | null; busy: boolean }[] {
    return this.boards.map((b) => ({ uri: b.uri, chip: b.chip, busy: this.busy.has(b.uri) }));
  }

  /**
   * Stop taking commands, stop running ones (their runs end as aborted and are stored; the commands
   * run again when the agent comes back), publish what can be published, say `offline`, disconnect.
   */
  async stop(opts: { graceMs?: number } = {}): Promise<void> {
    this.stopping = true;
    if (this.republishTimer) clearInterval(this.republishTimer);
    for (const r of this.running.values()) r.abort.abort();
    await Promise.all([...this.running.values()].map((r) => r.done));
    const client = this.connection?.client;
    if (client?.connected) {
      await Promise.race([this.flushOutbox(), new Promise((r) => setTimeout(r, opts.graceMs ?? 5000))]);
      await this.publish(rigStatus(this.opts.rig, 'offline', { host: this.host, version: this.opts.version })).catch(() => {});
    }
    await this.connection?.close();
  }

  // --- connection -------------------------------------------------------------------------------

  private async onConnected(): Promise<void> {
    const client = this.mqtt;
    if (!client || this.stopping) return;
    try {
      // Mosquitto keeps a persistent session's subscription over restarts, but subscribing again is harmless and covers brokers that do not.
      // `resubscribe: true`: otherwise mqtt.js skips a filter it subscribed to before and sends nothing.
      const subs = { [filters.commands(this.opts.rig)]: { qos: 1 as const } };
      const granted = await client.subscribeAsync({ ...subs, resubscribe: true } as unknown as typeof subs);
      if (granted.some((g) => g.qos >= 0x80)) this.log(`${this.connection?.where ?? 'the broker'} refused the subscription to ${filters.commands(this.opts.rig)}; check the broker's ACL for user ${this.opts.username ?? '(none)'}`);
      await this.publish(rigStatus(this.opts.rig, 'online', { host: this.host, version: this.opts.version }));
      await this.announceDevices();
    } catch (err) {
      this.log(`announcing ${this.opts.rig}: ${(err as Error).message}`);
    }
    void this.flushOutbox();
  }

  private async publish(out: Outgoing): Promise<number> {
    const client = this.mqtt;
    if (!client) throw new Error('not connected');
    return publishMessage(client, out);
  }

  private send(m: MqttMessage): void {
    let out: Outgoing;
    try {
      out = encodeMessage(m);
    } catch (err) {
      this.log(`not sent (${m.kind}): ${(err as Error).message}`);
      return;
    }
    this.publish(out).catch((err: Error) => this.log(`publish ${out.topic}: ${err.message}`));
  }

  private async announceDevices(): Promise<void> {
    const rig = this.opts.rig;
    const devices = this.boards.map((b) => ({ uri: b.uri, chip: b.chip, capabilities: [], busy: this.busy.has(b.uri) }));
    await this.publish(encodeMessage({ kind: 'devices', rig, payload: { v: PAYLOAD_VERSION, rig, at: new Date().toISOString(), devices } }));
  }

  // --- commands ---------------------------------------------------------------------------------

  /** Validate and journal one command; resolves with the PUBACK reason code. */
  private async onCommand(topic: string, message: Buffer): Promise<number> {
    const parsed = parsePayload(topic, message);
    if (!parsed.ok) {
      this.log(`command refused: ${parsed.reason}`);
      const id = /\/commands\/([^/]+)$/.exec(topic)?.[1];
      if (id && /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id) && !this.journal.get(id)) {
        this.finish(this.newEntry(id, null), 'rejected', parsed.reason);
      }
      return 0x99;
    }
    const m = parsed.message;
    if (m.kind !== 'command' || m.rig !== this.opts.rig) return 0;
    if (this.journal.get(m.commandId)) {
      this.log(`command ${m.commandId}: already known, not run again`);
      return 0;
    }
    const entry = this.newEntry(m.commandId, m.payload);
    const why = await this.validate(m.payload);
    if (why) {
      this.log(`command ${m.commandId} rejected: ${why}`);
      this.finish(entry, 'rejected', why);
      return 0;
    }
    this.journal.save(entry);
    this.sendState(entry);
    this.log(`command ${m.commandId} queued`);
    this.pending.push(entry);
    // After the PUBACK: the journal has it now.
    setImmediate(() => this.pump());
    return 0;
  }

  private newEntry(id: string, command: RunCommand | null): JournalEntry {
    return { id, command, state: 'queued', reason: null, receivedAt: new Date().toISOString(), runIds: [], current: [], devices: [] };
  }

  /** Why this rig cannot run the command, or null. Nothing in a command is run as given: it selects boards and images this rig was configured with. */
  private async validate(c: RunCommand): Promise<string | null> {
    const uris = this.boards.map((b) => b.uri);
    for (const d of [...(c.devices ?? []), ...(c.peer ? [c.peer] : [])]) {
      if (!uris.includes(d)) return `${d} is not a board of rig ${this.opts.rig} (boards: ${uris.join(', ') || 'none'})`;
    }
    if (c.chip && !this.boards.some((b) => b.chip === c.chip && b.uri !== c.peer)) {
      const known = this.boards.map((b) => `${b.uri} (${b.chip ?? 'chip not known yet'})`).join(', ');
      return `rig ${this.opts.rig} has no ${c.chip} board (boards: ${known || 'none'})`;
    }
    if (c.firmware) {
      try {
        // Also an app image or ELF with an app descriptor, not any file that happens to be there.
        await readFirmwareImage(resolveImage(this.opts.firmwareDir, c.firmware));
      } catch (err) {
        return (err as Error).message;
      }
    }
    try {
      checkJob(this.jobOf(c, c.devices ?? [this.boards.find((b) => b.chip === c.chip && b.uri !== c.peer)!.uri]), { listen: this.opts.listen, hostIp: this.opts.hostIp });
    } catch (err) {
      return (err as Error).message;
    }
    return null;
  }

  private jobOf(c: RunCommand, devices: string[]): Job {
    return {
      devices,
      ...(c.peer ? { peer: c.peer } : {}),
      scenarios: c.scenarios ?? [],
      coex: c.coex ?? [],
      iterations: c.iterations,
      ...(c.durationS !== undefined ? { durationS: c.durationS } : {}),
      ...(c.pauseS !== undefined ? { pauseS: c.pauseS } : {}),
      labels: { ...c.labels, ...(c.firmware ? { firmware_image: c.firmware } : {}), rig: this.opts.rig },
    };
  }

  /** Start every queued command whose boards are free, in the order they came. */
  private pump(): void {
    if (this.stopping || !this.connection) return;
    for (const entry of [...this.pending]) {
      const c = entry.command!;
      let devices: string[];
      if (c.devices) devices = c.devices;
      else {
        const free = this.boards.find((b) => b.chip === c.chip && b.uri !== c.peer && !this.busy.has(b.uri));
        if (!free) continue;
        devices = [free.uri];
      }
      const claim = [...devices, ...(c.peer ? [c.peer] : [])];
      if (claim.some((d) => this.busy.has(d))) continue;
      this.pending.splice(this.pending.indexOf(entry), 1);
      for (const d of claim) this.busy.add(d);
      const abort = new AbortController();
      const done = this.execute(entry, devices, abort).finally(() => {
        for (const d of claim) this.busy.delete(d);
        this.running.delete(entry.id);
        void this.announceDevices().catch(() => {});
        this.pump();
      });
      this.running.set(entry.id, { entry, abort, done });
      void this.announceDevices().catch(() => {});
    }
  }

  private async execute(entry: JournalEntry, devices: string[], abort: AbortController): Promise<void> {
    const c = entry.command!;
    entry.state = 'running';
    entry.devices = devices;
    this.journal.save(entry);
    this.sendState(entry);
    this.log(`command ${entry.id}: running on ${devices.join(', ')}`);
    const timer = c.timeoutS ? setTimeout(() => abort.abort(), c.timeoutS * 1000) : null;
    const live = new LivePublisher(this.opts.rig, (m) => this.send(m), this.opts.intervalFlushMs ?? 1000);
    try {
      const job = this.jobOf(c, devices);
      if (c.firmware) {
        const image = resolveImage(this.opts.firmwareDir, c.firmware);
        // What the image says it is (app descriptor); the command's labels win.
        const identity = descriptorLabels(await readFirmwareImage(image));
        for (const [k, v] of Object.entries(identity)) if (!(k in c.labels) && k !== 'rig') job.labels[k] = v;
        const flash = this.opts.flash ?? espflashFlasher({ ...(this.opts.espflash ? { espflash: this.opts.espflash } : {}), log: this.log });
        for (const d of devices) await flash(this.boards.find((b) => b.uri === d)!, image, abort.signal);
      }
      const records = await runJob(job, {
        listen: this.opts.listen,
        hostIp: this.opts.hostIp,
        signal: abort.signal,
        version: this.opts.version,
        newRunId: () => {
          const id = makeRunId();
          entry.current.push(id);
          this.journal.save(entry);
          // Single-board jobs (protocol-v1 ones have no samples to learn it from).
          if (devices.length === 1) live.runStarted(devices[0]!, id);
          return id;
        },
        onProgress: (p) => live.progress(p),
        onSample: (s) => live.sample(s),
      });
      live.close();
      for (const record of records) await this.keep(entry, record);
      if (this.stopping) {
        // Cut short by stop(): the aborted runs are kept, the command runs again on the next start.
        entry.state = 'queued';
        this.journal.save(entry);
        return;
      }
      const timedOut = abort.signal.aborted;
      this.finish(entry, timedOut ? 'failed' : 'done', timedOut ? `no end within timeoutS ${c.timeoutS} s: the run was stopped and kept as aborted` : null, records);
    } catch (err) {
      live.close();
      this.log(`command ${entry.id} failed: ${(err as Error).message}`);
      this.finish(entry, 'failed', (err as Error).message);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  /** Store, learn the chip, outbox, publish. */
  private async keep(entry: JournalEntry, record: RunRecord): Promise<void> {
    await this.opts.store.save(record);
    const board = this.boards.find((b) => b.uri === record.device.uri);
    if (board && !board.chip && record.device.chip) board.chip = record.device.chip;
    this.outbox.add(record.runId, entry.id);
    entry.current = entry.current.filter((id) => id !== record.runId);
    if (!entry.runIds.includes(record.runId)) entry.runIds.push(record.runId);
    this.journal.save(entry);
    this.log(`run ${record.runId} (${record.device.uri}): ${record.status}, stored`);
    void this.flushOutbox();
  }

  private finish(entry: JournalEntry, state: 'done' | 'failed' | 'rejected', reason: string | null, records: RunRecord[] = []): void {
    entry.state = state;
    entry.reason = reason;
    this.journal.save(entry);
    const results = records.flatMap((r) => r.results);
    const notRun = results.filter((r) => r.status === 'failed' && r.failure?.kind === 'not-run').length;
    this.sendState(entry, {
      ok: results.filter((r) => r.status === 'ok').length,
      failed: results.filter((r) => r.status === 'failed').length - notRun,
      notRun,
    });
    if (state !== 'rejected') this.log(`command ${entry.id}: ${state}${reason ? ` (${reason})` : ''}`);
  }

  private sendState(entry: JournalEntry, results?: CommandState['results']): void {
    const rig = this.opts.rig;
    this.send({
      kind: 'command-state',
      rig,
      commandId: entry.id,
      payload: {
        v: PAYLOAD_VERSION,
        rig,
        commandId: entry.id,
        state: entry.state,
        at: new Date().toISOString(),
        reason: entry.reason,
        runIds: entry.runIds,
        ...(results ? { results } : {}),
        ...(entry.devices.length ? { devices: entry.devices } : {}),
      },
    });
  }

  // --- records ----------------------------------------------------------------------------------

  /** Publish every record in the outbox; keep those the broker did not take with reason code 0. */
  flushOutbox(): Promise<void> {
    this.outboxChain = this.outboxChain.then(() => this.publishOutbox()).catch((err: Error) => this.log(`outbox: ${err.message}`));
    return this.outboxChain;
  }

  /** Records not yet acknowledged by the broker. */
  get unacknowledged(): string[] {
    return this.outbox.list().map((o) => o.runId);
  }

  private async publishOutbox(): Promise<void> {
    const client = this.mqtt;
    if (!client?.connected) return;
    for (const { runId, commandId } of this.outbox.list()) {
      let record: RunRecord;
      try {
        record = await this.opts.store.get(runId);
      } catch (err) {
        this.log(`outbox: run ${runId} is not in the store (${(err as Error).message}); dropped from the outbox`);
        this.outbox.remove(runId);
        continue;
      }
      const rig = this.opts.rig;
      const out = encodeMessage({ kind: 'record', rig, runId, payload: { v: PAYLOAD_VERSION, rig, commandId, record: { ...record, labels: { ...record.labels, rig } } } });
      let code: number;
      try {
        code = await publishMessage(client, out);
      } catch (err) {
        this.note(`record ${runId} not accepted by the broker (${(err as Error).message}); kept, publishing again`);
        continue;
      }
      if (code === 0) {
        this.outbox.remove(runId);
        this.log(`record ${runId} published`);
      } else {
        this.note(`record ${runId}: broker answered reason code ${code}${code === 16 ? ' (no ingester subscribed yet)' : ''}; kept, publishing again`);
      }
    }
  }

  /** Log a repeating outbox problem once, not every retry. */
  private note(line: string): void {
    if (line === this.lastOutboxNote) return;
    this.lastOutboxNote = line;
    this.log(line);
  }

  // --- restart ----------------------------------------------------------------------------------

  /**
   * What a previous agent left: runs it was killed in become aborted records (their live samples may
   * already be in InfluxDB; now they belong to a run that says what happened), and its unfinished
   * commands are queued again.
   */
  private async recover(): Promise<void> {
    for (const entry of this.journal.load()) {
      if (entry.state !== 'queued' && entry.state !== 'running') continue;
      if (!entry.command) continue;
      for (const runId of entry.current) {
        let stored = true;
        try {
          await this.opts.store.get(runId);
        } catch {
          stored = false;
        }
        if (!stored) await this.opts.store.save(abortedRecord(runId, entry, this.opts));
        this.outbox.add(runId, entry.id);
        if (!entry.runIds.includes(runId)) entry.runIds.push(runId);
        this.log(`command ${entry.id}: run ${runId} was cut short when the agent stopped; kept as aborted, the command runs again`);
      }
      entry.current = [];
      entry.state = 'queued';
      this.journal.save(entry);
      this.pending.push(entry);
    }
  }
}

/** A run the agent died in: what it knows of it, no results. */
function abortedRecord(runId: string, entry: JournalEntry, opts: AgentOptions): RunRecord {
  const device = entry.devices[0] ?? entry.command?.devices?.[0] ?? 'unknown';
  const chip = opts.boards.find((b) => b.uri === device)?.chip ?? entry.command?.chip ?? null;
  const now = new Date().toISOString();
  const stamp = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})/.exec(runId);
  const startedAt = stamp ? `${stamp[1]}-${stamp[2]}-${stamp[3]}T${stamp[4]}:${stamp[5]}:${stamp[6]}.000Z` : now;
  return {
    version: 1,
    runId,
    startedAt,
    endedAt: now,
    status: 'aborted',
    error: `the agent of rig ${opts.rig} stopped during this run; command ${entry.id} was run again`,
    device: { uri: device, chip, ip: null, resetReason: null },
    labels: { ...(entry.command?.labels ?? {}), ...(entry.command?.firmware ? { firmware_image: entry.command.firmware } : {}), rig: opts.rig },
    host: { hostname: hostname(), platform: process.platform, espbenchVersion: opts.version, listen: opts.listen, portBase: 0 },
    testDurationS: entry.command?.durationS ?? 10,
    iterations: entry.command?.iterations ?? 0,
    results: [],
    log: [],
  };
}

/** Progress (QoS 0, at most once a second per board) and interval samples (QoS 0, batched per run) of a running command. */
class LivePublisher {
  private readonly batches = new Map<string, { head: LiveSample; samples: IntervalSampleMessage[] }>();
  private readonly previousT = new Map<string, number>();
  /** The runner's Progress names the board, not the run: each board's run id, from newRunId or its samples. */
  private readonly runOf = new Map<string, string>();
  private readonly lastProgress = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly rig: string,
    private readonly send: (m: MqttMessage) => void,
    flushMs: number,
  ) {
    this.timer = setInterval(() => this.flush(), flushMs);
  }

  runStarted(device: string, runId: string): void {
    this.runOf.set(device, runId);
  }

  progress(p: Progress): void {
    const runId = this.runOf.get(p.device);
    if (!runId) return;
    const now = Date.now();
    const final = p.phase === 'done' || p.phase === 'failed' || p.phase === 'aborted';
    if (!final && now - (this.lastProgress.get(p.device) ?? 0) < 1000) return;
    this.lastProgress.set(p.device, now);
    const rig = this.rig;
    this.send({
      kind: 'progress',
      rig,
      runId,
      payload: { v: PAYLOAD_VERSION, rig, runId, device: p.device, iteration: p.iteration, iterations: p.iterations, scenario: p.scenario, phase: p.phase, liveKiBps: p.liveKiBps, last: p.last?.slice(0, 1024) ?? null, at: new Date(now).toISOString() },
    });
  }

  sample(s: LiveSample): void {
    this.runOf.set(s.device, s.runId);
    const key = `${s.runId}\u0000${s.scenario}\u0000${s.startedAt}`;
    const previousT = this.previousT.get(key) ?? 0;
    this.previousT.set(key, s.interval.t);
    // Samples of a board whose chip is not known yet wait (as RunPublisher does); the record has them anyway.
    const batch = this.batches.get(s.runId) ?? { head: s, samples: [] };
    if (s.chip) batch.head = s;
    batch.samples.push({ scenario: s.scenario, iteration: s.iteration, startedAt: s.startedAt, interval: s.interval, previousT });
    this.batches.set(s.runId, batch);
    if (batch.samples.length >= 1000) this.flush();
  }

  flush(): void {
    for (const [runId, b] of this.batches) {
      const chip = b.head.chip;
      if (!chip) continue;
      this.batches.delete(runId);
      const rig = this.rig;
      this.send({
        kind: 'intervals',
        rig,
        runId,
        payload: { v: PAYLOAD_VERSION, rig, runId, device: b.head.device, chip, labels: { ...b.head.labels, rig }, hostname: b.head.hostname, samples: b.samples },
      });
    }
  }

  close(): void {
    this.flush();
    clearInterval(this.timer);
    this.batches.clear();
  }
}
