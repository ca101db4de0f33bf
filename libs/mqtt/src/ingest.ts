import { EventEmitter } from 'node:events';
import { intervalPoint, pointsForRecord, runContext, type InfluxWriter, type RejectedPoint } from '@espbench/influx';
import type { MqttClient } from 'mqtt';
import { brokerAccess, connectBroker, type BrokerConnection, type BrokerOptions } from './connect.js';
import { parsePayload, type Rejection, type RunIntervals, type RunRecordMessage } from './payloads.js';
import { filters, segment, shared } from './topics.js';

export const DEFAULT_SHARE_GROUP = 'espbench-ingest';

/** MQTT 5 reason code in the PUBACK of a payload we refused (it is acknowledged: redelivery cannot fix it). */
export const PAYLOAD_FORMAT_INVALID = 0x99;

export interface IngesterOptions extends Pick<BrokerOptions, 'username' | 'password' | 'ca' | 'cert' | 'key' | 'reconnect' | 'keepaliveSeconds' | 'firstConnectTimeoutMs'> {
  /**
   * Fixed per ingester (say `espbench-ingest-<host>`): the broker keeps this ingester's session and its
   * share of unacknowledged records under it while it is away.
   */
  clientId: string;
  /** Ingesters in one share group split the messages between them. */
  group?: string;
  /** Where points go. Give it a Spool: a record is acknowledged once it is in the database *or the spool*. */
  writer: InfluxWriter;
  /** How long the broker keeps the session while this ingester is away (default 7 days). */
  sessionExpirySeconds?: number;
  /** Subscribe to interval samples too (default true). */
  intervals?: boolean;
  /** After a record could not be made durable, wait this long before asking the broker to send it again (default 5 s). */
  retryDelayMs?: number;
  /**
   * Interval batches the writer may have queued; beyond that, live interval samples are dropped (and
   * counted) instead of queued (default 32, 160,000 points at the writer's default batch size). Reading from the broker never pauses: Mosquitto drops
   * messages, records included, for a client whose queue is full, and sends a dropped record again
   * only at the next reconnection. A dropped sample is not lost: the run's record carries it.
   */
  maxQueuedBatches?: number;
  /** One line per event (rejected payloads with their reason, connection changes); never a password. */
  log?: (line: string) => void;
}

export interface IngestStats {
  /** Records written and acknowledged. */
  records: number;
  /** Points of those records (pointsForRecord). */
  recordPoints: number;
  /** Interval messages and the samples in them. */
  intervalMessages: number;
  samples: number;
  /** Live samples dropped while the writer was backed up (the records carry them). */
  samplesDropped: number;
  /** Payloads refused (logged with the reason and acknowledged). */
  invalid: number;
  /** Records that were neither in the database nor the spool after a flush: not acknowledged, the broker sends them again. */
  retried: number;
}

interface IngesterEvents {
  /** A record is in the database or the spool and was acknowledged. */
  record: [RunRecordMessage];
  intervals: [RunIntervals];
  /** A payload was refused (and acknowledged). */
  invalid: [Rejection];
}

/**
 * Subscribes to run records (QoS 1) and interval samples (QoS 0) of every rig with an MQTT 5 shared
 * subscription on a persistent session, and writes them to InfluxDB with the InfluxWriter.
 *
 * Acknowledgement is manual: mqtt.js calls `customHandleAcks` for each QoS 1 message before it
 * sends the PUBACK and before it reads the next packet of the connection. The ingester writes the
 * record's points, waits for `writer.flush()` and only then lets the PUBACK go. When the points are
 * neither in the database nor in the spool, no PUBACK is sent: the ingester drops the connection and
 * the broker sends the record again when the session resumes.
 *
 * Several ingesters in one group: the broker gives each record to one of them. Should one be given
 * twice (a PUBACK lost in a broker restart, an ingester killed after writing), writing it again changes
 * nothing: every point has the same series and timestamp, so InfluxDB overwrites it.
 */
export class Ingester extends EventEmitter<IngesterEvents> {
  readonly stats: IngestStats = { records: 0, recordPoints: 0, intervalMessages: 0, samples: 0, samplesDropped: 0, invalid: 0, retried: 0 };
  private dropping = false;
  private connection: BrokerConnection | null = null;
  /** Set before the first CONNACK: a resumed session may deliver before `connectBroker` resolves. */
  private mqtt: MqttClient | null = null;
  private inflight: Promise<unknown> = Promise.resolve();
  private readonly log: (line: string) => void;

  /** Attach `record`/`intervals`/`invalid` listeners, then `connect`: a resumed session delivers at once. */
  constructor(private readonly opts: IngesterOptions) {
    super();
    this.log = opts.log ?? (() => {});
    const writer = opts.writer;
    writer.on('rejected', (points: RejectedPoint[]) => this.log(`InfluxDB refused ${points.length} point(s): ${points[0]?.reason ?? ''}`));
    writer.on('spooled', (s) => this.log(`${s.lines} point(s) kept in the spool: ${s.reason}`));
    // Without a listener an 'error' event would throw; the writer keeps spooling after it.
    writer.on('error', (err) => this.log(`InfluxDB: ${err.message}`));
  }

  /** `new Ingester(opts)` and `connect(url)`. */
  static async start(url: string, opts: IngesterOptions): Promise<Ingester> {
    const ingester = new Ingester(opts);
    await ingester.connect(url);
    return ingester;
  }

  get client(): MqttClient {
    if (!this.connection) throw new Error('the ingester is not connected');
    return this.connection.client;
  }

  /** Whether the broker resumed this ingester's earlier session on the first connection. */
  get sessionPresent(): boolean {
    return this.connection?.sessionPresent ?? false;
  }

  /** Connect, subscribe, and start writing. Rejects when the broker cannot be reached, refuses the login or the subscription. */
  async connect(url: string): Promise<void> {
    if (this.connection) throw new Error('the ingester is already connected');
    const o = this.opts;
    const group = segment('share group', o.group ?? DEFAULT_SHARE_GROUP);
    this.connection = await connectBroker(url, {
      clientId: o.clientId,
      ...brokerAccess(o),
      clean: false,
      sessionExpirySeconds: o.sessionExpirySeconds ?? 7 * 24 * 3600,
      log: this.log,
      customHandleAcks: (topic, message, _packet, done) => {
        const work = this.reliable(topic, message).then(
          (code) => done(code),
          (err: Error) => this.notDurable(topic, err, done),
        );
        this.inflight = this.inflight.then(() => work);
      },
      setup: (client) => {
        this.mqtt = client;
        // QoS 0 (interval samples): at most once by design; written without waiting for the database.
        client.on('message', (topic, message, packet) => {
          if (packet.qos === 0) this.intervalsMessage(topic, message);
        });
      },
    });
    const conn = this.connection;
    const subs: Record<string, { qos: 0 | 1 }> = { [shared(group, filters.records)]: { qos: 1 } };
    if (o.intervals ?? true) subs[shared(group, filters.intervals)] = { qos: 0 };
    const subscribe = async () => {
      // `resubscribe: true`: otherwise mqtt.js skips filters it has subscribed to before and sends nothing.
      const granted = await conn.client.subscribeAsync({ ...subs, resubscribe: true } as unknown as typeof subs);
      const refused = granted.filter((g) => g.qos >= 0x80);
      if (refused.length) {
        throw new Error(`${conn.where} refused the subscription to ${refused.map((g) => g.topic).join(', ')} (reason code ${refused[0]!.qos}); check the broker's ACL for this user`);
      }
    };
    try {
      await subscribe();
    } catch (err) {
      this.connection = null;
      await conn.close();
      throw err;
    }
    // Subscribe again on every reconnection, resumed session or not: Mosquitto 2.0.11 restores a
    // session and its queued messages from its persistence file after a restart, but not its shared
    // subscriptions. Subscribing again to the same filter replaces the subscription (MQTT 5 3.8.4).
    conn.client.on('connect', () => {
      subscribe().catch((err: Error) => this.log(`subscribing again failed: ${err.message}`));
    });
  }

  /** A QoS 1 message: the reason code for its PUBACK once it is durable; throws when it is not. */
  private async reliable(topic: string, message: Buffer): Promise<number> {
    const parsed = parsePayload(topic, message);
    if (!parsed.ok) return this.invalid(parsed);
    const m = parsed.message;
    const writer = this.opts.writer;
    const lostBefore = writer.stats.lost;
    let points = 0;
    if (m.kind === 'record') {
      const list = pointsForRecord(m.payload.record);
      points = list.length;
      writer.write(list);
    } else if (m.kind === 'intervals') {
      this.writeIntervals(m.payload);
    } else {
      return 0; // not ours to store (a broader subscription); acknowledged
    }
    await writer.flush();
    // No spool and no database: nothing holds these points. Do not acknowledge.
    if (writer.stats.lost > lostBefore) throw new Error(`InfluxDB did not take the points and the writer has no spool`);
    if (m.kind === 'record') {
      this.stats.records++;
      this.stats.recordPoints += points;
      this.emit('record', m.payload);
    }
    return 0;
  }

  private notDurable(topic: string, err: Error, done: (error: Error | number, code?: number) => void): Promise<void> {
    this.stats.retried++;
    this.log(`${topic}: not acknowledged, the broker will send it again: ${err.message}`);
    const delay = this.opts.retryDelayMs ?? 5000;
    return new Promise<void>((resolve) =>
      setTimeout(() => {
        // MQTT has no negative acknowledgement: a message is sent again when the session resumes.
        this.mqtt?.stream?.destroy();
        done(err);
        resolve();
      }, delay),
    );
  }

  private intervalsMessage(topic: string, message: Buffer): void {
    const parsed = parsePayload(topic, message);
    if (!parsed.ok) {
      this.invalid(parsed);
      return;
    }
    if (parsed.message.kind !== 'intervals') return;
    const max = this.opts.maxQueuedBatches ?? 32;
    if (this.opts.writer.queuedBatches > max) {
      this.stats.samplesDropped += parsed.message.payload.samples.length;
      if (!this.dropping) this.log(`InfluxDB is behind (${this.opts.writer.queuedBatches} batches queued): dropping live interval samples until it catches up; the records carry them`);
      this.dropping = true;
      return;
    }
    if (this.dropping) this.log(`InfluxDB caught up; ${this.stats.samplesDropped} live samples dropped so far`);
    this.dropping = false;
    this.writeIntervals(parsed.message.payload);
  }

  private writeIntervals(p: RunIntervals): void {
    const ctx = runContext({ runId: p.runId, device: { uri: p.device, chip: p.chip }, labels: p.labels, host: { hostname: p.hostname } });
    this.opts.writer.write(p.samples.map((s) => intervalPoint(ctx, s)));
    this.stats.intervalMessages++;
    this.stats.samples += p.samples.length;
    this.emit('intervals', p);
  }

  private invalid(r: Rejection): number {
    this.stats.invalid++;
    this.log(`refused ${r.kind === 'topic' ? 'a message' : 'a payload'}: ${r.reason}`);
    this.emit('invalid', r);
    return PAYLOAD_FORMAT_INVALID;
  }

  /**
   * Finish the record being written (its PUBACK goes out), disconnect (the session stays on the broker)
   * and flush the interval samples received so far. The writer stays open: it is the caller's.
   */
  async close(): Promise<IngestStats> {
    const conn = this.connection;
    await this.inflight.catch(() => {});
    if (conn) await conn.close();
    await this.inflight.catch(() => {});
    await this.opts.writer.flush();
    return { ...this.stats };
  }
}
