import { ALONE, BUSY, E, I, INTERVAL_VAR, OK, R, RESULT_FILTERS, RN, TIME_FILTER, groupBy, matches, where } from './influxql.js';

/**
 * Every InfluxQL statement the dashboards run, as plain functions so tests and the README can name
 * them. Grafana substitutes `$chip`, `$rig`, `$scenario`, ... ; `$timeFilter` and `$__interval` come
 * from the time picker.
 */

/** How many earlier runs the nightly table compares the latest run against. */
export const PREVIOUS_RUNS = 14;

const kibps = R.field('host_kibps');
const chipScenario = groupBy(R.tag('chip'), R.tag('scenario'));

/** ok results with the other radio idle, narrowed by the chip/rig/scenario variables and the time picker. */
const aloneResults = (...extra: string[]) => where(OK, ALONE, ...RESULT_FILTERS, ...extra, TIME_FILTER);

/** Median, min and max per time bucket: the min-max band panels (one chip x scenario each). */
export function nightlyBand(): string {
  return (
    `SELECT median(${kibps}) AS "median", min(${kibps}) AS "min", max(${kibps}) AS "max" FROM ${R.m} ` +
    `WHERE ${aloneResults()} GROUP BY time(${INTERVAL_VAR}), ${chipScenario} fill(none)`
  );
}

/** Median per time bucket for every chip x scenario: the overview. */
export function nightlyMedian(): string {
  return `SELECT median(${kibps}) AS "median" FROM ${R.m} WHERE ${aloneResults()} GROUP BY time(${INTERVAL_VAR}), ${chipScenario} fill(none)`;
}

/**
 * Latest run against the median of the PREVIOUS_RUNS runs before it, per chip x scenario, entirely
 * in InfluxQL (tested on InfluxDB 1.6.7):
 *
 * 1. `perRun`: one point per run, its median ok result. `percentile(x, 50)` rather than `median()`
 *    because percentile is a selector: the point keeps a real timestamp (its result's end), which
 *    the transformations below need; for an odd number of iterations it is the median, for an even
 *    number the lower of the two middle values (nearest rank).
 * 2. Merged per chip x scenario, InfluxDB orders these points by series key, i.e. by `run_id`, which
 *    for espbench ids (`YYYYMMDD-HHMMSS-xxxxxx`, the UTC start) is run order. `ORDER BY time DESC
 *    LIMIT 14 OFFSET 1` cannot pick the runs: over a subquery grouped by a tag, 1.6 returns the points
 *    in series-key order whatever the direction, so the LIMIT takes the oldest runs. Instead, in one
 *    pass over the run-ordered points:
 *      idx  = cumulative_sum(1)                       the run's position, 1..N
 *      cs   = cumulative_sum(v)                       running total of the run values
 *      prev = moving_average(v, 2) - difference(v)/2  = the value of the run before (rows 2..N)
 * 3. `top(idx, 14), prev` keeps the last 14 rows, whose `prev` are the 14 runs before the latest.
 * 4. latest = max(cs) - sum(prev over all rows) (= v_N: throughput is never negative, so cs is
 *    monotonic), previous = median(prev of those 14); the delta is math between aggregates.
 *
 * Limits: runs are ordered by run_id, so ids must sort like start times (espbench's do; two runs of
 * one chip started in the same second are ordered by the id's random suffix). A chip x scenario
 * needs two runs in the time range to show a latest value (`prev` does not exist for the first run).
 * Only runs inside the time picker's range count.
 */
export function nightlyLatestVsPrevious(previous = PREVIOUS_RUNS): string {
  const perRun = `SELECT percentile(${kibps}, 50) AS "v" FROM ${R.m} WHERE ${aloneResults()} GROUP BY ${chipScenario}, ${R.tag('run_id')}`;
  const withOne = `SELECT "v", "v" * 0 + 1 AS "one" FROM (${perRun})`;
  const running =
    `SELECT cumulative_sum("one") AS "idx", cumulative_sum("v") AS "cs", moving_average("v", 2) - difference("v") / 2 AS "prev" ` +
    `FROM (${withOne}) GROUP BY ${chipScenario}`;
  const all = `SELECT "cs", "prev" AS "pall" FROM (${running})`;
  const lastN = `SELECT top("idx", ${previous}) AS "idx", "prev" FROM (${running}) GROUP BY ${chipScenario}`;
  const latest = `max("cs") - sum("pall")`;
  return (
    `SELECT ${latest} AS "latest", median("prev") AS "previous", count("prev") AS "runs", ` +
    `(${latest} - median("prev")) / median("prev") * 100 AS "delta_pct" ` +
    `FROM (${all}), (${lastN}) GROUP BY ${chipScenario}`
  );
}

/** Failed results per time bucket; `not-run` (skipped after an earlier failure) is not counted. */
export function nightlyFailures(): string {
  return (
    `SELECT count(${R.field('iteration')}) AS "failed" FROM ${R.m} ` +
    `WHERE ${where(`${R.tag('status')} = 'failed'`, `${R.field('failure')} != 'not-run'`, ...RESULT_FILTERS, TIME_FILTER)} ` +
    `GROUP BY time(${INTERVAL_VAR}), ${chipScenario} fill(none)`
  );
}

/** Failure events per time bucket by kind (reset, panic, ..., run-failed). No scenario filter: run events have none. */
export function nightlyEventsByKind(): string {
  return (
    `SELECT count(${E.field('title')}) AS "events" FROM ${E.m} ` +
    `WHERE ${where(matches(E.tag('chip'), 'chip'), matches(E.tag('rig'), 'rig'), TIME_FILTER)} ` +
    `GROUP BY time(${INTERVAL_VAR}), ${E.tag('kind')} fill(none)`
  );
}

/** Annotation: every failure event of the selected chips and rigs. */
export function eventsAnnotation(): string {
  return (
    `SELECT ${E.field('title')}, ${E.field('text')}, ${E.tag('kind')}, ${E.tag('run_id')} FROM ${E.m} ` +
    `WHERE ${where(matches(E.tag('chip'), 'chip'), matches(E.tag('rig'), 'rig'), TIME_FILTER)}`
  );
}

/**
 * Two result sets side by side: `a` and `b` are the columns, each the median of its own subquery.
 * Several subqueries in one FROM work in 1.6; each aggregate reads its own column, the outer GROUP
 * BY pairs them per series, and math between aggregates gives the delta.
 */
function sideBySide(a: { name: string; where: string }, b: { name: string; where: string }, by: string): string {
  const sub = (s: { name: string; where: string }) => `SELECT ${kibps} AS "${s.name}" FROM ${R.m} WHERE ${s.where}`;
  return (
    `SELECT median("${a.name}") AS "${a.name}", median("${b.name}") AS "${b.name}", ` +
    `(median("${b.name}") - median("${a.name}")) / median("${a.name}") * 100 AS "delta_pct", ` +
    `count("${a.name}") AS "n_${a.name}", count("${b.name}") AS "n_${b.name}" ` +
    `FROM (${sub(a)}), (${sub(b)}) GROUP BY ${by}`
  );
}

/** Baseline vs candidate ref: medians of all their ok results (alone) in the range, delta %. */
export function releaseComparison(by: 'chip-scenario' | 'scenario'): string {
  return sideBySide(
    { name: 'baseline', where: aloneResults(matches(R.tag('ref'), 'baseline')) },
    { name: 'candidate', where: aloneResults(matches(R.tag('ref'), 'candidate')) },
    by === 'scenario' ? R.tag('scenario') : chipScenario,
  );
}

/**
 * Throughput against RSSI: every ok result (other radio idle) of the baseline and candidate refs
 * that has an RSSI, one row each (rssi, host_kibps) tagged with chip, scenario and ref. RSSI is the
 * device under test's, from protocol-v1 details or ESP-IDF's scan; esp-hal results have none and
 * are left out by the field condition (any real dBm value is above -200).
 */
export function releaseThroughputVsRssi(): string {
  const rssi = R.field('rssi');
  const refs = `(${matches(R.tag('ref'), 'baseline')} OR ${matches(R.tag('ref'), 'candidate')})`;
  return (
    `SELECT ${rssi} AS "rssi", ${kibps} AS "host_kibps" FROM ${R.m} ` +
    `WHERE ${aloneResults(refs, `${rssi} > -200`)} GROUP BY ${chipScenario}, ${R.tag('ref')}`
  );
}

const coexResults = (which: string) => where(OK, which, ...RESULT_FILTERS, TIME_FILTER);

/**
 * Alone vs other radio busy. The outer `WHERE "n_busy" > 0` (a field condition on the aggregated
 * subquery) drops chip x scenario pairs without busy results, so the panel says "No data" until
 * coexistence results exist rather than showing half-empty rows.
 */
export function coexComparison(by: 'chip-scenario' | 'scenario'): string {
  const tags = by === 'scenario' ? R.tag('scenario') : chipScenario;
  const inner = sideBySide({ name: 'alone', where: coexResults(ALONE) }, { name: 'busy', where: coexResults(BUSY) }, tags);
  return `SELECT "alone", "busy", "delta_pct", "n_alone", "n_busy" FROM (${inner}) WHERE "n_busy" > 0 GROUP BY ${tags}`;
}

/** Busy results per coexistence scenario (the `coex` tag value). */
export function coexByScenario(): string {
  return (
    `SELECT median(${kibps}) AS "median", count(${kibps}) AS "results" FROM ${R.m} ` +
    `WHERE ${coexResults(BUSY)} GROUP BY ${chipScenario}, ${R.tag('coex')}`
  );
}

/** Busy throughput over time per chip x scenario x coexistence scenario. */
export function coexOverTime(): string {
  return (
    `SELECT median(${kibps}) AS "median" FROM ${R.m} WHERE ${coexResults(BUSY)} ` +
    `GROUP BY time(${INTERVAL_VAR}), ${chipScenario}, ${R.tag('coex')} fill(none)`
  );
}

/** The run's own point (no time filter: a run is found whatever the time picker says). */
export function runSummary(): string {
  return (
    `SELECT ${RN.field('duration_s')}, ${RN.field('iterations')}, ${RN.field('results')}, ${RN.field('failures')}, ${RN.field('error')} ` +
    `FROM ${RN.m} WHERE ${matches(RN.tag('run_id'), 'run_id')} ` +
    `GROUP BY ${groupBy(RN.tag('chip'), RN.tag('device'), RN.tag('ref'), RN.tag('rig'), RN.tag('status'))}`
  );
}

/** Every result of the run (no time filter either). */
export function runResults(): string {
  return (
    `SELECT ${R.field('iteration')}, ${kibps}, ${R.field('device_kibps')}, ${R.field('bytes')}, ${R.field('duration_s')}, ${R.field('failure')} ` +
    `FROM ${R.m} WHERE ${where(matches(R.tag('run_id'), 'run_id'), matches(R.tag('scenario'), 'scenario'))} ` +
    `GROUP BY ${groupBy(R.tag('device'), R.tag('scenario'), R.tag('status'), R.tag('coex'))}`
  );
}

/** Interval samples of the run, per scenario and device. */
export function runIntervals(): string {
  return (
    `SELECT ${I.field('kibps')} AS "kibps" FROM ${I.m} ` +
    `WHERE ${where(matches(I.tag('run_id'), 'run_id'), matches(I.tag('scenario'), 'scenario'), TIME_FILTER)} ` +
    `GROUP BY ${groupBy(I.tag('scenario'), I.tag('device'))}`
  );
}

/** Annotation: the run's failure events. */
export function runEventsAnnotation(): string {
  return (
    `SELECT ${E.field('title')}, ${E.field('text')}, ${E.tag('kind')}, ${E.tag('scenario')} FROM ${E.m} ` +
    `WHERE ${where(matches(E.tag('run_id'), 'run_id'), TIME_FILTER)}`
  );
}
