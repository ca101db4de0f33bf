/**
 * The MQTT topic layout, version 1 (docs/mqtt.md). Every topic starts with `espbench/v1/`; a layout
 * that old readers would misread gets a new prefix (`espbench/v2/`), payloads carry their own `v`.
 */
export const TOPIC_PREFIX = 'espbench/v1';

/** What a topic carries. */
export type TopicKind = 'status' | 'devices' | 'command' | 'command-state' | 'progress' | 'intervals' | 'record';

export type ParsedTopic =
  | { kind: 'status' | 'devices'; rig: string }
  | { kind: 'command' | 'command-state'; rig: string; commandId: string }
  | { kind: 'progress' | 'intervals' | 'record'; rig: string; runId: string };

/** QoS and retain flag per kind: what publishers use and subscribers ask for. */
export const DELIVERY: Readonly<Record<TopicKind, { qos: 0 | 1; retain: boolean }>> = {
  status: { qos: 1, retain: true },
  devices: { qos: 1, retain: true },
  command: { qos: 1, retain: false },
  'command-state': { qos: 1, retain: false },
  progress: { qos: 0, retain: false },
  intervals: { qos: 0, retain: false },
  record: { qos: 1, retain: false },
};

/** A rig name, run id, command id or share group that cannot be one topic segment. */
export class TopicError extends Error {
  override readonly name = 'TopicError';
}

/**
 * One topic segment: starts with a letter or digit, then letters, digits, `.`, `_`, `-`; at most 128
 * characters. So never `+`, `#`, `/`, `$`, spaces, control characters or an empty string. Run ids
 * (`20261122-043015-3f9a2c`) and store file names follow the same rule.
 */
export const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function isSegment(value: unknown): value is string {
  return typeof value === 'string' && SEGMENT.test(value);
}

/** `value` when it is a valid segment; throws TopicError naming `what` and the rule otherwise. */
export function segment(what: string, value: string): string {
  if (isSegment(value)) return value;
  throw new TopicError(
    `${what} ${JSON.stringify(value)} cannot be an MQTT topic segment: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit (no '+', '#', '/' or spaces)`,
  );
}

const rigBase = (rig: string) => `${TOPIC_PREFIX}/rigs/${segment('rig name', rig)}`;

/** Topic names to publish to. Each validates its segments. */
export const topics = {
  /** Retained; the offline one is the rig's last will. */
  status: (rig: string) => `${rigBase(rig)}/status`,
  /** Retained: the boards attached to a rig. */
  devices: (rig: string) => `${rigBase(rig)}/devices`,
  /** QoS 1, not retained: a run command for one rig. */
  command: (rig: string, commandId: string) => `${rigBase(rig)}/commands/${segment('command id', commandId)}`,
  /** QoS 1: what became of a command (queued, running, done, failed, rejected). */
  commandState: (rig: string, commandId: string) => `${rigBase(rig)}/commands/${segment('command id', commandId)}/state`,
  /** QoS 0: live progress of a run. */
  progress: (rig: string, runId: string) => `${rigBase(rig)}/runs/${segment('run id', runId)}/progress`,
  /** QoS 0: interval samples of a run. */
  intervals: (rig: string, runId: string) => `${rigBase(rig)}/runs/${segment('run id', runId)}/intervals`,
  /** QoS 1: the finished RunRecord. */
  record: (rig: string, runId: string) => `${rigBase(rig)}/runs/${segment('run id', runId)}/record`,
};

/** The topic of a parsed topic (inverse of parseTopic). */
export function topicOf(t: ParsedTopic): string {
  switch (t.kind) {
    case 'status':
      return topics.status(t.rig);
    case 'devices':
      return topics.devices(t.rig);
    case 'command':
      return topics.command(t.rig, t.commandId);
    case 'command-state':
      return topics.commandState(t.rig, t.commandId);
    case 'progress':
      return topics.progress(t.rig, t.runId);
    case 'intervals':
      return topics.intervals(t.rig, t.runId);
    case 'record':
      return topics.record(t.rig, t.runId);
  }
}

/** Topic filters to subscribe to (`rig` given: that rig's; otherwise every rig's). */
export const filters = {
  status: (rig = '+') => `${TOPIC_PREFIX}/rigs/${rig === '+' ? rig : segment('rig name', rig)}/status`,
  devices: (rig = '+') => `${TOPIC_PREFIX}/rigs/${rig === '+' ? rig : segment('rig name', rig)}/devices`,
  /** What an agent subscribes to: its commands, not their state messages. */
  commands: (rig: string) => `${rigBase(rig)}/commands/+`,
  commandStates: (rig = '+') => `${TOPIC_PREFIX}/rigs/${rig === '+' ? rig : segment('rig name', rig)}/commands/+/state`,
  records: `${TOPIC_PREFIX}/rigs/+/runs/+/record`,
  intervals: `${TOPIC_PREFIX}/rigs/+/runs/+/intervals`,
  progress: `${TOPIC_PREFIX}/rigs/+/runs/+/progress`,
};

/** An MQTT 5 shared subscription: the broker hands each message to one member of `group`. */
export function shared(group: string, filter: string): string {
  return `$share/${segment('share group', group)}/${filter}`;
}

/** What a topic name means, or a reason it is not one of ours. */
export function parseTopic(topic: string): { ok: true; topic: ParsedTopic } | { ok: false; reason: string } {
  const prefix = `${TOPIC_PREFIX}/rigs/`;
  if (!topic.startsWith(prefix)) {
    const other = /^espbench\/(v[^/]*)\//.exec(topic);
    if (other && other[1] !== 'v1') return { ok: false, reason: `topic layout ${other[1]} is not supported (this espbench reads ${TOPIC_PREFIX}/)` };
    return { ok: false, reason: `topic ${JSON.stringify(topic)} is not under ${prefix}` };
  }
  const parts = topic.slice(prefix.length).split('/');
  const [rig, kind, id, leaf] = parts;
  const bad = parts.find((p) => !isSegment(p));
  if (bad !== undefined) return { ok: false, reason: `topic ${JSON.stringify(topic)} has an invalid segment ${JSON.stringify(bad)}` };
  if (parts.length === 2 && (kind === 'status' || kind === 'devices')) return { ok: true, topic: { kind, rig: rig! } };
  if (kind === 'commands' && parts.length === 3) return { ok: true, topic: { kind: 'command', rig: rig!, commandId: id! } };
  if (kind === 'commands' && parts.length === 4 && leaf === 'state') return { ok: true, topic: { kind: 'command-state', rig: rig!, commandId: id! } };
  if (kind === 'runs' && parts.length === 4 && (leaf === 'progress' || leaf === 'intervals' || leaf === 'record')) {
    return { ok: true, topic: { kind: leaf, rig: rig!, runId: id! } };
  }
  return { ok: false, reason: `topic ${JSON.stringify(topic)} is not one of the ${TOPIC_PREFIX} topics (docs/mqtt.md)` };
}
