import { Interval, RUN_RECORD_VERSION, RunRecord, Scenario } from '@espbench/schema';
import { z } from 'zod';
import { DELIVERY, parseTopic, SEGMENT, topicOf, type ParsedTopic, type TopicKind } from './topics.js';

/**
 * Payload version 1. Every payload is a JSON object with `v: 1`. Fields added later within v1 are
 * optional and ignored by older readers; a change an older reader would misread bumps `v`, and a
 * reader rejects a version it does not know (with a reason naming it) instead of guessing.
 */
export const PAYLOAD_VERSION = 1;

const v = z.literal(PAYLOAD_VERSION);
const Segment = z.string().regex(SEGMENT, "1-128 letters, digits, '.', '_' or '-', starting with a letter or digit");
const Timestamp = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO 8601 time');
/** Label keys as `--label` accepts them. */
const LabelKey = z.string().max(256).regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'a label key: a letter or _, then letters, digits, _ . -');
const Labels = z.record(LabelKey, z.string().max(1024));
const Chip = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'a chip name like esp32c3');
/** A device URI as a rig names it. Never opened from a message: an agent only runs devices it was configured with. */
const DeviceUri = z.string().min(1).max(1024);

/**
 * A firmware image by name: a file name in the agent's configured firmware directory, never a path.
 * No `/`, `\`, `..`, leading `.`, spaces or control characters.
 */
export const FirmwareImageName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$/, "a file name (letters, digits, '.', '_', '+', '-'), not a path")
  .refine((s) => !s.includes('..'), 'a file name without ".."');

/** `rigs/<rig>/status`, retained. `offline` is also the rig's last will (then `since` is null: the broker sends it). */
export const RigStatus = z.object({
  v,
  rig: Segment,
  state: z.enum(['online', 'offline']),
  /** When the rig came online or went offline; null in the last will. */
  since: Timestamp.nullable(),
  host: z.string().max(256),
  /** espbench version of the agent. */
  version: z.string().max(64),
});
export type RigStatus = z.infer<typeof RigStatus>;

export const RigDevice = z.object({
  uri: DeviceUri,
  /** From the ROM banner or the protocol-v1 hello; null until the board was seen booting. */
  chip: Chip.nullable(),
  /** Scenarios the board's firmware announced, `ble-peer`, ... ; empty for esp-hal's bench loop. */
  capabilities: z.array(z.string().max(64)).max(64),
  /** Runs a command now. */
  busy: z.boolean().optional(),
  firmware: z.object({ name: z.string().max(200), version: z.string().max(64) }).nullable().optional(),
});
export type RigDevice = z.infer<typeof RigDevice>;

/** `rigs/<rig>/devices`, retained. */
export const RigDevices = z.object({
  v,
  rig: Segment,
  at: Timestamp,
  devices: z.array(RigDevice).max(256),
});
export type RigDevices = z.infer<typeof RigDevices>;

/**
 * `rigs/<rig>/commands/<id>`, QoS 1, not retained: run a benchmark. Data only: which boards, how
 * long, which scenarios, which firmware image *name*. There is no field for a command line.
 */
export const RunCommand = z
  // Strict: an agent never ignores a field it does not know (say, a future `flash`), it refuses the command.
  .strictObject({
    v,
    id: Segment,
    rig: Segment,
    issuedAt: Timestamp,
    /** Boards by URI, each one the rig announced; or `chip` (any free board of that chip). Exactly one of the two. */
    devices: z.array(DeviceUri).min(1).max(64).optional(),
    chip: Chip.optional(),
    /** The BLE peer board by URI (protocol-v1 BLE scenarios). */
    peer: DeviceUri.optional(),
    iterations: z.number().int().min(1).max(1000),
    /** Test duration per scenario, seconds (protocol-v1) or the firmware's TEST_DURATION (esp-hal's loop). */
    durationS: z.number().positive().max(3600).optional(),
    pauseS: z.number().nonnegative().max(3600).optional(),
    /** Run labels (`ref`, ...); `rig` is the agent's own and cannot be set. */
    labels: Labels.refine((l) => !('rig' in l), 'label "rig" is set by the agent, not by a command').default({}),
    scenarios: z.array(Scenario).min(1).max(32).optional(),
    /** Coexistence pairs, `wifi-tcp-upload+ble-notify`. */
    coex: z.array(z.string().regex(/^[a-z0-9-]+\+[a-z0-9-]+$/)).max(32).optional(),
    /** Flash this image (a name in the agent's firmware directory) before running; absent: run what is on the board. */
    firmware: FirmwareImageName.optional(),
    /** The agent gives up on the command after this long, seconds. */
    timeoutS: z.number().positive().max(7 * 24 * 3600).optional(),
  })
  .refine((c) => (c.devices === undefined) !== (c.chip === undefined), { message: 'give exactly one of devices and chip', path: ['devices'] });
export type RunCommand = z.infer<typeof RunCommand>;

/** `rigs/<rig>/commands/<id>/state`, QoS 1: what became of a command. */
export const CommandState = z.object({
  v,
  rig: Segment,
  commandId: Segment,
  state: z.enum(['queued', 'running', 'done', 'failed', 'rejected']),
  at: Timestamp,
  /** Why it failed or was rejected. */
  reason: z.string().max(4096).nullable(),
  /** Runs it produced so far (their records arrive on `runs/<runId>/record`). */
  runIds: z.array(Segment).max(1024),
  /** `done`/`failed`: results of those runs by status (added within v1, optional). */
  results: z.object({ ok: z.number().int().nonnegative(), failed: z.number().int().nonnegative(), notRun: z.number().int().nonnegative() }).optional(),
  /** The boards the command ran on (added within v1, optional). */
  devices: z.array(DeviceUri).max(64).optional(),
});
export type CommandState = z.infer<typeof CommandState>;

/** `rigs/<rig>/runs/<runId>/progress`, QoS 0: the runner's Progress of one board. */
export const RunProgress = z.object({
  v,
  rig: Segment,
  runId: Segment,
  device: DeviceUri,
  iteration: z.number().int().nonnegative(),
  iterations: z.number().int().nonnegative(),
  scenario: Scenario.nullable(),
  phase: z.string().max(32),
  liveKiBps: z.number().nonnegative().nullable(),
  last: z.string().max(1024).nullable(),
  at: Timestamp,
});
export type RunProgress = z.infer<typeof RunProgress>;

/** One sample: the runner's LiveSample without the run fields, plus the `t` of the sample before it. */
export const IntervalSampleMessage = z.object({
  scenario: Scenario,
  iteration: z.number().int().positive(),
  /** The result's startedAt: `interval.t` counts from it. */
  startedAt: Timestamp,
  interval: Interval,
  /** `t` of the sample before in the same test (0 for the first): the sample covers (previousT, t]. */
  previousT: z.number().nonnegative(),
});
export type IntervalSampleMessage = z.infer<typeof IntervalSampleMessage>;

/**
 * `rigs/<rig>/runs/<runId>/intervals`, QoS 0: interval samples of one run, one or many per message.
 * The run fields plus one sample are the runner's LiveSample. `chip` must be known: an agent holds
 * samples of a board whose chip it has not seen yet, like RunPublisher (the record carries them anyway).
 * `labels.rig` must be the rig of the topic, so the points land in the rig's series.
 */
export const RunIntervals = z.object({
  v,
  rig: Segment,
  runId: Segment,
  device: DeviceUri,
  chip: Chip,
  labels: Labels,
  hostname: z.string().max(256),
  samples: z.array(IntervalSampleMessage).min(1).max(10_000),
});
export type RunIntervals = z.infer<typeof RunIntervals>;

/**
 * `rigs/<rig>/runs/<runId>/record`, QoS 1: the finished RunRecord (libs/schema), validated whole.
 * `record.labels.rig` must be the topic's rig.
 */
export const RunRecordMessage = z.object({
  v,
  rig: Segment,
  /** The command that asked for the run, when one did. */
  commandId: Segment.nullable().optional(),
  record: RunRecord,
});
export type RunRecordMessage = z.infer<typeof RunRecordMessage>;

const SCHEMAS = {
  status: RigStatus,
  devices: RigDevices,
  command: RunCommand,
  'command-state': CommandState,
  progress: RunProgress,
  intervals: RunIntervals,
  record: RunRecordMessage,
} as const satisfies Record<TopicKind, z.ZodType>;

/** A message of ours: where it goes (or came from) and its payload. */
export type MqttMessage =
  | { kind: 'status'; rig: string; payload: RigStatus }
  | { kind: 'devices'; rig: string; payload: RigDevices }
  | { kind: 'command'; rig: string; commandId: string; payload: RunCommand }
  | { kind: 'command-state'; rig: string; commandId: string; payload: CommandState }
  | { kind: 'progress'; rig: string; runId: string; payload: RunProgress }
  | { kind: 'intervals'; rig: string; runId: string; payload: RunIntervals }
  | { kind: 'record'; rig: string; runId: string; payload: RunRecordMessage };

export type RejectionKind = 'topic' | 'json' | 'version' | 'schema' | 'mismatch';

export interface Rejection {
  ok: false;
  topic: string;
  kind: RejectionKind;
  /** One line for a log: what is wrong and where. */
  reason: string;
}

export type ParseOutcome = { ok: true; message: MqttMessage } | Rejection;

/**
 * Validate a received message: its topic, JSON, version, schema, and that the payload's rig, run id
 * or command id agree with the topic (the broker's ACL vouches for the topic, not for the payload).
 */
export function parsePayload(topic: string, payload: Buffer | Uint8Array | string): ParseOutcome {
  const reject = (kind: RejectionKind, reason: string): Rejection => ({ ok: false, topic, kind, reason: `${topic}: ${reason}` });
  const where = parseTopic(topic);
  if (!where.ok) return { ok: false, topic, kind: 'topic', reason: where.reason };
  const t = where.topic;
  let data: unknown;
  try {
    data = JSON.parse(typeof payload === 'string' ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
  } catch (err) {
    return reject('json', `payload is not JSON (${(err as Error).message})`);
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) return reject('schema', 'payload must be a JSON object');
  const version = (data as Record<string, unknown>).v;
  if (version === undefined) return reject('version', `payload has no version field "v" (this espbench reads v ${PAYLOAD_VERSION})`);
  if (version !== PAYLOAD_VERSION) {
    return reject('version', `payload version ${JSON.stringify(version)} is not supported (this espbench reads version ${PAYLOAD_VERSION})`);
  }
  if (t.kind === 'record') {
    const rv = ((data as Record<string, unknown>).record as Record<string, unknown> | undefined)?.version;
    if (rv !== undefined && rv !== RUN_RECORD_VERSION) {
      return reject('version', `RunRecord version ${JSON.stringify(rv)} is not supported (this espbench reads version ${RUN_RECORD_VERSION})`);
    }
  }
  const parsed = SCHEMAS[t.kind].safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue?.path.length ? issue.path.join('.') : '(root)';
    return reject('schema', `invalid ${t.kind} payload at ${at}: ${issue?.message ?? 'unknown'}`);
  }
  const message = { ...t, payload: parsed.data } as MqttMessage;
  const mismatch = mismatchOf(message);
  if (mismatch) return reject('mismatch', mismatch);
  return { ok: true, message };
}

/** Where the payload contradicts its topic, or null. */
function mismatchOf(m: MqttMessage): string | null {
  const p = m.payload as { rig: string };
  if (p.rig !== m.rig) return `payload rig ${JSON.stringify(p.rig)} is not the topic's rig ${JSON.stringify(m.rig)}`;
  switch (m.kind) {
    case 'command':
      return m.payload.id === m.commandId ? null : `command id ${JSON.stringify(m.payload.id)} is not the topic's ${JSON.stringify(m.commandId)}`;
    case 'command-state':
      return m.payload.commandId === m.commandId ? null : `command id ${JSON.stringify(m.payload.commandId)} is not the topic's ${JSON.stringify(m.commandId)}`;
    case 'progress':
      return m.payload.runId === m.runId ? null : `run id ${JSON.stringify(m.payload.runId)} is not the topic's ${JSON.stringify(m.runId)}`;
    case 'intervals':
      if (m.payload.runId !== m.runId) return `run id ${JSON.stringify(m.payload.runId)} is not the topic's ${JSON.stringify(m.runId)}`;
      if (m.payload.labels.rig !== m.rig) return `labels.rig ${JSON.stringify(m.payload.labels.rig ?? null)} is not the topic's rig ${JSON.stringify(m.rig)}`;
      return null;
    case 'record': {
      const r = m.payload.record;
      if (r.runId !== m.runId) return `record runId ${JSON.stringify(r.runId)} is not the topic's ${JSON.stringify(m.runId)}`;
      if (r.labels.rig !== m.rig) return `record labels.rig ${JSON.stringify(r.labels.rig ?? null)} is not the topic's rig ${JSON.stringify(m.rig)}`;
      return null;
    }
    default:
      return null;
  }
}

/** What to hand to `client.publish`. */
export interface Outgoing {
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
  retain: boolean;
}

/** Thrown by `encodeMessage` for a message readers would reject. */
export class PayloadError extends Error {
  override readonly name = 'PayloadError';
}

/**
 * Topic, JSON and delivery flags of a message, checked by the same rules `parsePayload` applies (so a
 * publisher never sends what ingesters reject). Throws PayloadError.
 */
export function encodeMessage(m: MqttMessage): Outgoing {
  let topic: string;
  try {
    topic = topicOf(m as ParsedTopic);
  } catch (err) {
    throw new PayloadError((err as Error).message);
  }
  const payload = Buffer.from(JSON.stringify(m.payload));
  const check = parsePayload(topic, payload);
  if (!check.ok) throw new PayloadError(check.reason);
  return { topic, payload, ...DELIVERY[m.kind] };
}

/** The samples of an intervals message as the runner's LiveSample (plus previousT). */
export function liveSamples(p: RunIntervals): (IntervalSampleMessage & { runId: string; device: string; chip: string; labels: Record<string, string>; hostname: string })[] {
  return p.samples.map((s) => ({ ...s, runId: p.runId, device: p.device, chip: p.chip, labels: p.labels, hostname: p.hostname }));
}

/** The retained status message and the matching last will of a rig. */
export function rigStatus(rig: string, state: 'online' | 'offline', info: { host: string; version: string; since?: string | null }): Outgoing {
  return encodeMessage({
    kind: 'status',
    rig,
    payload: { v: PAYLOAD_VERSION, rig, state, since: info.since === undefined ? new Date().toISOString() : info.since, host: info.host, version: info.version },
  });
}

/** The last will for `connectBroker`: `offline`, retained, QoS 1, `since: null`. */
export function rigWill(rig: string, info: { host: string; version: string }): Outgoing {
  return rigStatus(rig, 'offline', { ...info, since: null });
}

