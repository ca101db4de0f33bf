import type { Scenario } from '@espbench/schema';

export type Phase = 'opening' | 'attaching' | 'connecting' | 'testing' | 'waiting' | 'recovering' | 'reconnecting' | 'done' | 'failed' | 'aborted';

export interface Progress {
  device: string;
  iteration: number;
  iterations: number;
  scenario: Scenario | null;
  phase: Phase;
  /** Host-side KiB/s of the last interval sample of the running test. */
  liveKiBps: number | null;
  /** The last finished result's host KiB/s, or its failure. */
  last: string | null;
}
