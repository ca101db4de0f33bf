/**
 * The InfluxDB schema: one definition shared by the writer and the dashboards.
 * docs/influxdb.md describes it for people; a test keeps the two in step.
 */

export type FieldType = 'float' | 'integer' | 'string';

export interface MeasurementDef {
  readonly name: string;
  readonly description: string;
  /** Tags every point carries (a tag whose value is unknown is left out, as line protocol requires). */
  readonly tags: readonly string[];
  readonly fields: Readonly<Record<string, FieldType>>;
}

export const RESULT = {
  name: 'espbench_result',
  description: "One point per result (scenario x iteration) at the result's end time.",
  tags: ['rig', 'device', 'chip', 'scenario', 'ref', 'run_id', 'status', 'coex'],
  fields: {
    host_kibps: 'float',
    device_kibps: 'float',
    bytes: 'integer',
    duration_s: 'float',
    iteration: 'integer',
    failure: 'string',
    degradation_pct: 'float',
    loss_pct: 'float',
    jitter_ms: 'float',
    rssi: 'float',
    channel: 'integer',
    phy: 'string',
    mtu: 'integer',
    conn_interval_ms: 'float',
  },
} as const satisfies MeasurementDef;

export const INTERVAL = {
  name: 'espbench_interval',
  description: "One point per interval sample at the interval's end (result start + t).",
  tags: ['rig', 'run_id', 'device', 'chip', 'scenario', 'ref', 'direction'],
  fields: { kibps: 'float', bytes: 'integer' },
} as const satisfies MeasurementDef;

export const RUN = {
  name: 'espbench_run',
  description: "One point per run (one device's run record) at the run's start time.",
  tags: ['rig', 'chip', 'ref', 'status', 'device', 'run_id'],
  fields: { duration_s: 'float', iterations: 'integer', results: 'integer', failures: 'integer', error: 'string' },
} as const satisfies MeasurementDef;

export const EVENT = {
  name: 'espbench_event',
  description: 'Resets, panics, connect failures and other test or run failures, usable as Grafana annotations.',
  tags: ['rig', 'device', 'chip', 'ref', 'run_id', 'scenario', 'kind'],
  fields: { title: 'string', text: 'string', iteration: 'integer', reset_reason: 'string' },
} as const satisfies MeasurementDef;

export const MEASUREMENTS = [RESULT, INTERVAL, RUN, EVENT] as const;

/** `coex` tag value of a result measured with the other radio idle. */
export const COEX_ALONE = 'alone';

/** Tag keys the schema sets itself; a run label with one of these names is written as `label_<name>`. */
export const RESERVED_TAGS: ReadonlySet<string> = new Set([
  ...MEASUREMENTS.flatMap((m) => [...m.tags, ...Object.keys(m.fields)]),
  'time',
  'direction',
  'kind',
]);

/** Labels that become schema tags instead of extra ones. */
export const LABEL_TAGS = ['rig', 'ref'] as const;
