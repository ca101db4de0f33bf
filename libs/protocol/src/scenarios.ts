import type { UpstreamScenario as Scenario } from '@espbench/schema';

/** The bench firmware's DOWNLOAD_PORT; upload and upload+download follow at +1 and +2. */
export const DEFAULT_PORT_BASE = 4321;

const PORT_ORDER: readonly Scenario[] = ['wifi-tcp-download', 'wifi-tcp-upload', 'wifi-tcp-updown'];

/** The word the firmware prints before `: N kB/s` (and after `Testing `) for each scenario. */
export const SCENARIO_LABELS: Readonly<Record<Scenario, string>> = {
  'wifi-tcp-download': 'download',
  'wifi-tcp-upload': 'upload',
  'wifi-tcp-updown': 'upload+download',
};

/** 4321 -> download, 4322 -> upload, 4323 -> upload+download (relative to portBase); null otherwise. */
export function scenarioForPort(port: number, portBase: number = DEFAULT_PORT_BASE): Scenario | null {
  const offset = port - portBase;
  return Number.isInteger(offset) ? (PORT_ORDER[offset] ?? null) : null;
}

export function portForScenario(scenario: Scenario, portBase: number = DEFAULT_PORT_BASE): number {
  return portBase + PORT_ORDER.indexOf(scenario);
}

/** `download` | `upload` | `upload+download` -> scenario; null for anything else. */
export function scenarioForLabel(label: string): Scenario | null {
  for (const scenario of PORT_ORDER) {
    if (SCENARIO_LABELS[scenario] === label) return scenario;
  }
  return null;
}
