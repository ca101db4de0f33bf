import { readFileSync } from 'node:fs';
import { connect, type IClientOptions, type IConnackPacket, type MqttClient } from 'mqtt';

export interface BrokerOptions {
  /** Fixed per agent or ingester: the broker keeps the session (subscriptions, unacknowledged messages) under it. */
  clientId: string;
  username?: string;
  password?: string;
  /** TLS (an `mqtts://` URL): file path of the CA certificate(s) that signed the broker's certificate. */
  ca?: string;
  /** TLS client certificate and key, file paths (brokers with `require_certificate true`). */
  cert?: string;
  key?: string;
  /** Last will: what the broker publishes when this connection drops without a DISCONNECT. */
  will?: { topic: string; payload: Buffer | string; qos: 0 | 1; retain: boolean };
  /** Start a new session (drops queued messages and subscriptions). Default false: a persistent session. */
  clean?: boolean;
  /** How long the broker keeps the session (and queues QoS 1 messages) while this client is away. */
  sessionExpirySeconds: number;
  keepaliveSeconds?: number;
  /** Reconnect backoff: the first retry after `minMs`, doubling up to `maxMs`, with jitter. */
  reconnect?: { minMs?: number; maxMs?: number };
  /** One connection attempt (TCP, TLS, CONNACK) gives up after this long. */
  connectTimeoutMs?: number;
  /**
   * `connectBroker` rejects when the first connection is not up within this long (default 30 s;
   * `Infinity` waits). A refused login or certificate fails at once. Once connected, a lost connection
   * is retried forever.
   */
  firstConnectTimeoutMs?: number;
  /**
   * MQTT 5 manual acknowledgement (mqtt.js `customHandleAcks`): called for each incoming QoS 1/2
   * message before it is delivered; the PUBACK goes out when `done` is called (see ingest.ts).
   */
  customHandleAcks?: IClientOptions['customHandleAcks'];
  /** Called with the client before it connects: attach `message` handlers here, or early messages of a resumed session are missed. */
  setup?: (client: MqttClient) => void;
  /** Connection events, one line each (never a password). */
  log?: (line: string) => void;
}

/** Credentials, TLS files and connection tuning a caller passes through to `connectBroker` as given. */
export type BrokerAccess = Pick<BrokerOptions, 'username' | 'password' | 'ca' | 'cert' | 'key' | 'reconnect' | 'keepaliveSeconds' | 'firstConnectTimeoutMs'>;

/** The BrokerAccess settings of `o` that are set (exactOptionalPropertyTypes: absent, not undefined). */
export function brokerAccess(o: BrokerAccess): BrokerAccess {
  const out: BrokerAccess = {};
  if (o.username !== undefined) out.username = o.username;
  if (o.password !== undefined) out.password = o.password;
  if (o.ca) out.ca = o.ca;
  if (o.cert) out.cert = o.cert;
  if (o.key) out.key = o.key;
  if (o.reconnect) out.reconnect = o.reconnect;
  if (o.keepaliveSeconds) out.keepaliveSeconds = o.keepaliveSeconds;
  if (o.firstConnectTimeoutMs !== undefined) out.firstConnectTimeoutMs = o.firstConnectTimeoutMs;
  return out;
}

/** The broker could not be reached or refused us. The message never holds a password. */
export class BrokerError extends Error {
  override readonly name = 'BrokerError';
  constructor(
    message: string,
    /** MQTT reason code of a refused CONNACK (134 bad user name or password, 135 not authorised, ...), else null. */
    readonly reasonCode: number | null = null,
  ) {
    super(message);
  }
}

export interface BrokerConnection {
  readonly client: MqttClient;
  /** The broker resumed an earlier session of this client id (subscriptions and queued messages kept). */
  readonly sessionPresent: boolean;
  /** The broker URL without credentials, for messages. */
  readonly where: string;
  /**
   * Disconnect cleanly (no last will). The session stays on the broker for `sessionExpirySeconds`
   * unless `forgetSession`, which also drops what is queued for this client.
   */
  close(opts?: { forgetSession?: boolean }): Promise<void>;
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//***@');
}

/** Remove secrets (and URL credentials) from a message. */
export function redactSecrets(message: string, secrets: readonly (string | undefined)[]): string {
  let out = redactUrl(message);
  for (const s of secrets) if (s) out = out.split(s).join('***');
  return out;
}

/** Broker settings from the environment: ESPBENCH_MQTT_URL, _USER, _PASSWORD, _CA, _CERT, _KEY. */
export function mqttSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): { url?: string; username?: string; password?: string; ca?: string; cert?: string; key?: string } {
  const pick = (k: string) => env[`ESPBENCH_MQTT_${k}`] || undefined;
  const out = { url: pick('URL'), username: pick('USER'), password: pick('PASSWORD'), ca: pick('CA'), cert: pick('CERT'), key: pick('KEY') };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
}

const PROTOCOLS: Record<string, IClientOptions['protocol']> = { 'mqtt:': 'mqtt', 'mqtts:': 'mqtts', 'tcp:': 'mqtt', 'ssl:': 'mqtts', 'ws:': 'ws', 'wss:': 'wss' };

function readPem(what: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new BrokerError(`cannot read the ${what} file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/**
 * Connect over MQTT 5 and resolve once the broker accepted the connection. Lost connections are
 * retried with exponential backoff and jitter; the session persists (clean: false) unless asked.
 * Credentials may come in the URL (`mqtt://user:password@host`); they are never logged.
 */
export async function connectBroker(url: string, opts: BrokerOptions): Promise<BrokerConnection> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BrokerError(`MQTT broker URL "${redactUrl(url)}" is not a URL (example: mqtt://broker.lab:1883)`);
  }
  const protocol = PROTOCOLS[parsed.protocol];
  if (!protocol) throw new BrokerError(`MQTT broker URL must be mqtt://, mqtts://, ws:// or wss://, got "${redactUrl(url)}"`);
  const username = opts.username ?? (parsed.username ? decodeURIComponent(parsed.username) : undefined);
  const password = opts.password ?? (parsed.password ? decodeURIComponent(parsed.password) : undefined);
  parsed.username = '';
  parsed.password = '';
  const where = parsed.toString().replace(/\/$/, '');
  const secrets = [password, parsed.password ? decodeURIComponent(parsed.password) : undefined];
  const tls = protocol === 'mqtts' || protocol === 'wss';
  if (!tls && (opts.ca || opts.cert || opts.key)) throw new BrokerError(`TLS options (CA file, client certificate) need an mqtts:// URL, got ${where}`);
  if (Boolean(opts.cert) !== Boolean(opts.key)) throw new BrokerError('a TLS client certificate needs both the certificate and its key file');

  const minMs = opts.reconnect?.minMs ?? 500;
  const maxMs = Math.max(minMs, opts.reconnect?.maxMs ?? 30_000);
  const log = opts.log ?? (() => {});
  const port = parsed.port ? Number(parsed.port) : tls ? 8883 : 1883;

  const options: IClientOptions = {
    protocol,
    hostname: parsed.hostname.replace(/^\[|\]$/g, ''),
    port,
    ...(protocol === 'ws' || protocol === 'wss' ? { path: parsed.pathname || '/mqtt' } : {}),
    protocolVersion: 5,
    clientId: opts.clientId,
    clean: opts.clean ?? false,
    keepalive: opts.keepaliveSeconds ?? 30,
    connectTimeout: opts.connectTimeoutMs ?? 10_000,
    reconnectPeriod: minMs,
    // A refused CONNACK after the first connection (broker restarting, ACL reload) is retried too.
    reconnectOnConnackError: true,
    resubscribe: true,
    properties: { sessionExpiryInterval: opts.sessionExpirySeconds },
    // mqtt.js's debug log prints whole CONNECT packets, password included: never let it.
    log: () => {},
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(opts.will ? { will: { topic: opts.will.topic, payload: Buffer.from(opts.will.payload), qos: opts.will.qos, retain: opts.will.retain } } : {}),
    ...(opts.customHandleAcks ? { customHandleAcks: opts.customHandleAcks } : {}),
    ...(tls
      ? {
          rejectUnauthorized: true,
          ...(opts.ca ? { ca: readPem('CA', opts.ca) } : {}),
          ...(opts.cert ? { cert: readPem('client certificate', opts.cert) } : {}),
          ...(opts.key ? { key: readPem('client key', opts.key) } : {}),
        }
      : {}),
  };

  const client = connect(options);
  let attempt = 0;
  let connectedOnce = false;
  // Before mqtt.js's own close handler schedules the next attempt: the next delay, doubling with jitter.
  client.prependListener('close', () => {
    const delay = Math.min(maxMs, minMs * 2 ** attempt) * (0.5 + Math.random() / 2);
    attempt = Math.min(attempt + 1, 30);
    client.options.reconnectPeriod = Math.max(50, Math.round(delay));
  });
  client.on('connect', (ack: IConnackPacket) => {
    if (connectedOnce) log(`connected to ${where} again (session ${ack.sessionPresent ? 'resumed' : 'new'})`);
    attempt = 0;
    connectedOnce = true;
  });
  client.on('offline', () => log(`lost the connection to ${where}; reconnecting`));
  let lastError = 'no answer';
  client.on('error', (err: Error & { code?: string | number }) => {
    lastError = redactSecrets(err.message, secrets).replace(/\s*\n\s*/g, ' ').trim();
    if (connectedOnce) log(`${where}: ${lastError}`);
  });
  opts.setup?.(client);

  const close = async (how: { forgetSession?: boolean } = {}) => {
    await client.endAsync(false, how.forgetSession ? { properties: { sessionExpiryInterval: 0 } } : {});
  };

  return new Promise<BrokerConnection>((resolve, reject) => {
    const limit = opts.firstConnectTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | null = null;
    const cleanup = () => {
      if (timer) clearTimeout(timer);
      client.removeListener('connect', onConnect);
      client.removeListener('error', onError);
    };
    const fail = (err: BrokerError) => {
      cleanup();
      client.end(true);
      reject(err);
    };
    const onConnect = (ack: IConnackPacket) => {
      cleanup();
      resolve({ client, sessionPresent: ack.sessionPresent, where, close });
    };
    const onError = (err: Error & { code?: string | number }) => {
      const message = redactSecrets(err.message, secrets).replace(/\s*\n\s*/g, ' ').trim();
      if (typeof err.code === 'number' && /^Connection refused/.test(err.message)) {
        const hint = err.code === 134 || err.code === 135 ? '; check the user name and password (ESPBENCH_MQTT_USER, ESPBENCH_MQTT_PASSWORD)' : '';
        fail(new BrokerError(`${where} refused the connection: ${message.replace(/^Connection refused: /, '')} (reason code ${err.code})${hint}`, err.code));
      } else if (typeof err.code === 'string' && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/.test(err.code)) {
        fail(new BrokerError(`${where}: TLS failed: ${message} (${err.code}); check the CA file and client certificate`));
      }
    };
    client.on('connect', onConnect);
    client.on('error', onError);
    if (Number.isFinite(limit)) {
      timer = setTimeout(() => fail(new BrokerError(`no connection to ${where} within ${Math.round(limit / 1000)} s: ${lastError}`)), limit);
    }
  });
}

/** MQTT 5 PUBACK reason code: the broker took the message but no subscription matched it, so nobody got it. */
export const NO_MATCHING_SUBSCRIBERS = 0x10;

const pubacks = new WeakMap<MqttClient, Map<number, number>>();

/** Reason codes of PUBACKs by message id; mqtt.js hands a publish callback the sent packet, not the PUBACK. */
function pubackCodes(client: MqttClient): Map<number, number> {
  let codes = pubacks.get(client);
  if (!codes) {
    const map = new Map<number, number>();
    codes = map;
    pubacks.set(client, map);
    client.on('packetreceive', (packet) => {
      if (packet.cmd !== 'puback' || packet.messageId === undefined) return;
      map.set(packet.messageId, packet.reasonCode ?? 0);
      if (map.size > 1000) map.delete(map.keys().next().value!);
    });
  }
  return codes;
}

/**
 * Publish and resolve with the broker's answer: for QoS 1 the PUBACK reason code once it arrives
 * (after a reconnect if the connection drops first), 0 for QoS 0 once written. A refusal (135 not
 * authorised, ...) rejects. 16 (`NO_MATCHING_SUBSCRIBERS`) resolves: the broker accepted the message and
 * dropped it, nobody subscribed (no ingester yet, or right after a Mosquitto 2.0 restart, before the
 * ingesters subscribed again). A publisher that must not lose it (an agent with a record) keeps it and
 * publishes it again later.
 */
export async function publishMessage(client: MqttClient, out: { topic: string; payload: Buffer | string; qos: 0 | 1; retain?: boolean }): Promise<number> {
  const codes = out.qos > 0 ? pubackCodes(client) : null;
  return new Promise<number>((resolve, reject) => {
    client.publish(out.topic, out.payload, { qos: out.qos, retain: out.retain ?? false }, (err, packet) => {
      if (err) return reject(err);
      const id = packet?.messageId;
      if (!codes || id === undefined) return resolve(0);
      const code = codes.get(id) ?? 0;
      codes.delete(id);
      resolve(code);
    });
  });
}
