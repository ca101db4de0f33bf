import type { LiveSample, Progress } from '@espbench/runner';
import { parsePlan, runBench, runV1Bench } from '@espbench/runner';
import { SCENARIOS, type RunRecord } from '@espbench/schema';

/** One benchmark to run on this machine's boards: what a nightly item or an MQTT run command asks for. */
export interface Job {
  /** Boards under test (protocol-v1 plans take exactly one). */
  devices: string[];
  /** The BLE peer board, protocol-v1 only. */
  peer?: string;
  /** Protocol-v1 scenarios and coexistence pairs; both empty: esp-hal's bench loop. */
  scenarios: string[];
  coex: string[];
  iterations: number;
  durationS?: number;
  pauseS?: number;
  labels: Record<string, string>;
}

export interface JobContext {
  /** Traffic server listen address. */
  listen: string;
  /** The address boards reach this host at (protocol-v1 WiFi scenarios); null: derived from `listen`, or 127.0.0.1 for simulators. */
  hostIp: string | null;
  signal?: AbortSignal;
  newRunId: () => string;
  version: string;
  onProgress?: (p: Progress) => void;
  onSample?: (s: LiveSample) => void;
}

export class JobError extends Error {
  override readonly name = 'JobError';
}

export function isV1Job(job: Pick<Job, 'scenarios' | 'coex'>): boolean {
  return job.scenarios.length > 0 || job.coex.length > 0;
}

/** Throws PlanError/JobError for a job that cannot start (unknown scenario, missing host address, ...). */
export function checkJob(job: Job, ctx: Pick<JobContext, 'listen' | 'hostIp'>): void {
  if (!isV1Job(job)) {
    if (job.peer) throw new JobError('a peer board is for protocol-v1 scenarios: the bench loop takes none');
    return;
  }
  parsePlan(job.scenarios, job.coex, SCENARIOS);
  if (job.devices.length !== 1) throw new JobError(`protocol-v1 plans run on one board under test, got ${job.devices.length}`);
  if (job.peer && job.peer === job.devices[0]) throw new JobError('the peer must be another board than the one under test');
  hostIpFor(job, ctx);
}

function hostIpFor(job: Job, ctx: Pick<JobContext, 'listen' | 'hostIp'>): string {
  const listen = ctx.listen;
  const sims = [...job.devices, ...(job.peer ? [job.peer] : [])].every((d) => d.startsWith('sim:'));
  const ip = ctx.hostIp ?? (listen !== '0.0.0.0' && listen !== '::' ? listen : sims ? '127.0.0.1' : null);
  if (!ip) throw new JobError(`protocol-v1 WiFi scenarios on ${job.devices[0]} need the address of this host the board can reach (--host-ip)`);
  return ip;
}

/**
 * Run a job to the end and return its records (one per board under test). Simulators take whatever
 * ports are free; real esp-hal bench firmware connects to the fixed ports 4321-4323.
 */
export async function runJob(job: Job, ctx: JobContext): Promise<RunRecord[]> {
  checkJob(job, ctx);
  const sims = job.devices.every((d) => d.startsWith('sim:')) && (!job.peer || job.peer.startsWith('sim:'));
  const portBase = sims ? 0 : 4321;
  const common = {
    iterations: job.iterations,
    labels: job.labels,
    listen: ctx.listen,
    portBase,
    version: ctx.version,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}),
  };
  if (isV1Job(job)) {
    const { record } = await runV1Bench({
      ...common,
      device: job.devices[0]!,
      ...(job.peer ? { peer: job.peer } : {}),
      plan: parsePlan(job.scenarios, job.coex, SCENARIOS),
      durationS: job.durationS ?? 10,
      hostIp: hostIpFor(job, ctx),
      runId: ctx.newRunId(),
    });
    return [record];
  }
  return runBench({
    ...common,
    devices: job.devices,
    ...(job.durationS !== undefined ? { testDurationS: job.durationS } : {}),
    ...(job.pauseS !== undefined ? { pauseS: job.pauseS } : {}),
    newRunId: ctx.newRunId,
    ...(ctx.onSample ? { onSample: ctx.onSample } : {}),
  });
}
