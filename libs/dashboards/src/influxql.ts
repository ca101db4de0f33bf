import { COEX_ALONE, EVENT, INTERVAL, RESULT, RUN, type MeasurementDef } from '@espbench/influx';

/**
 * Small helpers that spell InfluxQL from the shared schema (libs/influx/src/series.ts), so a renamed
 * measurement, tag or field fails to compile here instead of silently emptying a panel.
 */

/** A double-quoted InfluxQL identifier. */
export function ident(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A single-quoted InfluxQL string literal. */
export function literal(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function measurement(m: MeasurementDef): string {
  return ident(m.name);
}

/** A tag of `m`, quoted; only names the schema declares compile. */
export function tag<const M extends MeasurementDef>(_m: M, name: M['tags'][number]): string {
  return ident(name);
}

/** A field of `m`, quoted; only names the schema declares compile. */
export function field<const M extends MeasurementDef>(_m: M, name: keyof M['fields'] & string): string {
  return ident(name);
}

/**
 * `"tag" =~ /^$variable$/`. Every variable is used in regex form: Grafana then formats multi-value
 * and All as `(a|b)` with each value regex-escaped, and a single value escaped or verbatim (both
 * match). A variable compared with `=` would be escaped too whenever the query holds any other
 * regex around it, which breaks values with dots such as `v1.2.0`.
 */
export function matches(quotedTag: string, variable: string): string {
  return `${quotedTag} =~ /^$${variable}$/`;
}

export const TIME_FILTER = '$timeFilter';
export const INTERVAL_VAR = '$__interval';

export const R = {
  m: measurement(RESULT),
  tag: (name: (typeof RESULT.tags)[number]) => tag(RESULT, name),
  field: (name: keyof typeof RESULT.fields) => field(RESULT, name),
};
export const I = {
  m: measurement(INTERVAL),
  tag: (name: (typeof INTERVAL.tags)[number]) => tag(INTERVAL, name),
  field: (name: keyof typeof INTERVAL.fields) => field(INTERVAL, name),
};
export const RN = {
  m: measurement(RUN),
  tag: (name: (typeof RUN.tags)[number]) => tag(RUN, name),
  field: (name: keyof typeof RUN.fields) => field(RUN, name),
};
export const E = {
  m: measurement(EVENT),
  tag: (name: (typeof EVENT.tags)[number]) => tag(EVENT, name),
  field: (name: keyof typeof EVENT.fields) => field(EVENT, name),
};

/** Results measured with the other radio idle. */
export const ALONE = `${R.tag('coex')} = ${literal(COEX_ALONE)}`;
/** Results measured with the other radio busy: any coex value but `alone` (and not a missing tag). */
export const BUSY = `${R.tag('coex')} != ${literal(COEX_ALONE)} AND ${R.tag('coex')} =~ /./`;
/** Statistics only ever use results that succeeded. */
export const OK = `${R.tag('status')} = 'ok'`;

/** The chip/rig/scenario variable filters on espbench_result. */
export const RESULT_FILTERS = [matches(R.tag('chip'), 'chip'), matches(R.tag('rig'), 'rig'), matches(R.tag('scenario'), 'scenario')];

export function where(...conditions: string[]): string {
  return conditions.join(' AND ');
}

export function groupBy(...tags: string[]): string {
  return tags.join(', ');
}
