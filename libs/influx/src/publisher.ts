import type { Interval, Result, RunRecord } from '@espbench/schema';
import type { SeriesPoint } from './point.js';
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
  /** Points of runs whose chip is not known yet: tags must not change once the chip shows up. */
  private readonly held = new Map<string, ((chip: string) => SeriesPoint[])[]>();

  constructor(readonly writer: InfluxWriter) {}

  sample(s: LiveRunInfo & { scenario: string; startedAt: string; interval: Interval }): void {
    const key = `${s.runId}\u0000${s.scenario}\u0000${s.startedAt}`;
    const previousT = this.previousT.get(key) ?? 0;
    this.previousT.set(key, s.interval.t);
    this.send(s, (chip) => [intervalPoint(contextOf({ ...s, chip }), { scenario: s.scenario, startedAt: s.startedAt, interval: s.interval, previousT })]);
  }

  result(r: LiveRunInfo & { result: Result }): void {
    this.send(r, (chip) => pointsForResult(contextOf({ ...r, chip }), r.result));
  }

  /**
   * The finished run: all its points again, with the record's chip. Points held back because the
   * chip was never seen during the run are covered by these.
   */
  record(record: RunRecord): void {
    for (const key of this.previousT.keys()) if (key.startsWith(`${record.runId}\u0000`)) this.previousT.delete(key);
    this.held.delete(record.runId);
    this.writer.write(pointsForRecord(record));
  }

  private send(run: LiveRunInfo, make: (chip: string) => SeriesPoint[]): void {
    if (!run.chip) {
      // Attached to a running board: its chip shows up at its next reset, or never (then the record decides).
      const list = this.held.get(run.runId) ?? [];
      list.push(make);
      this.held.set(run.runId, list);
      return;
    }
    const held = this.held.get(run.runId);
    if (held) {
      this.held.delete(run.runId);
      for (const h of held) this.writer.write(h(run.chip));
    }
    this.writer.write(make(run.chip));
  }
}

function contextOf(r: LiveRunInfo): RunContext {
  return runContext({ runId: r.runId, device: { uri: r.device, chip: r.chip }, labels: r.labels, host: { hostname: r.hostname } });
}
