import type { Interval, Result, RunRecord } from '@espbench/schema';
import { intervalPoint, pointsForRecord, pointsForResult, runContext, type RunContext } from './points.js';
import type { InfluxWriter } from './writer.js';

/** The runner's live view of a run (structurally its LiveRun: the influx lib does not import the runner). */
export interface LiveRunInfo {
  runId: string;
  device: string;
  chip: string | null;
  labels: Record<string, string>;
  hostname: string;
}

/**
 * Publishes a run while it runs: interval samples as they are measured, each result as soon as it is
 * final, and the whole record at the end. The points are the ones `pointsForRecord` makes from the
 * saved record (same series and times), so publishing the run again later changes nothing.
 */
export class RunPublisher {
  private readonly previousT = new Map<string, number>();

  constructor(readonly writer: InfluxWriter) {}

  sample(s: LiveRunInfo & { scenario: string; startedAt: string; interval: Interval }): void {
    const key = `${s.runId}\u0000${s.scenario}\u0000${s.startedAt}`;
    const previousT = this.previousT.get(key) ?? 0;
    this.previousT.set(key, s.interval.t);
    this.writer.write(intervalPoint(contextOf(s), { scenario: s.scenario, startedAt: s.startedAt, interval: s.interval, previousT }));
  }

  result(r: LiveRunInfo & { result: Result }): void {
    this.writer.write(pointsForResult(contextOf(r), r.result));
  }

  record(record: RunRecord): void {
    for (const key of this.previousT.keys()) if (key.startsWith(`${record.runId}\u0000`)) this.previousT.delete(key);
    this.writer.write(pointsForRecord(record));
  }
}

function contextOf(r: LiveRunInfo): RunContext {
  return runContext({ runId: r.runId, device: { uri: r.device, chip: r.chip }, labels: r.labels, host: { hostname: r.hostname } });
}
