import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseRunRecord, type RunRecord } from '@espbench/schema';

export const DEFAULT_RESULTS_DIR = 'espbench-results';

/** Where runs are kept: --results DIR, else $ESPBENCH_RESULTS, else ./espbench-results. */
export function resolveResultsDir(option?: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(option ?? env.ESPBENCH_RESULTS ?? DEFAULT_RESULTS_DIR);
}

export class StoreError extends Error {
  override readonly name = 'StoreError';
}

export interface RunSummary {
  runId: string;
  startedAt: string;
  status: RunRecord['status'];
  device: string;
  chip: string | null;
  labels: Record<string, string>;
  results: number;
  failures: number;
}

export interface ListOutcome {
  runs: RunSummary[];
  /** Files in the store that are not valid RunRecords, with why. They are left untouched. */
  unreadable: { file: string; reason: string }[];
}

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The embedded local store: one `<runId>.json` per run in a directory. */
export class LocalStore {
  constructor(readonly dir: string) {}

  fileFor(runId: string): string {
    if (!RUN_ID.test(runId)) throw new StoreError(`invalid run id "${runId}"`);
    return join(this.dir, `${runId}.json`);
  }

  /** Write atomically (temp file + rename), so a crash never leaves half a record. */
  async save(record: RunRecord): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const file = this.fileFor(record.runId);
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(record, null, 2) + '\n');
    await rename(tmp, file);
    return file;
  }

  /** Write the serial bytes as received next to the record. */
  async saveRawLog(runId: string, data: Buffer): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const file = join(this.dir, `${runId}.serial.log`);
    await writeFile(file, data);
    return file;
  }

  async get(runId: string): Promise<RunRecord> {
    const id = await this.resolveId(runId);
    const file = this.fileFor(id);
    return parseRunRecord(JSON.parse(await readFile(file, 'utf8')), file);
  }

  async list(): Promise<ListOutcome> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { runs: [], unreadable: [] };
      throw err;
    }
    const outcome: ListOutcome = { runs: [], unreadable: [] };
    for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
      const file = join(this.dir, name);
      try {
        outcome.runs.push(summarize(parseRunRecord(JSON.parse(await readFile(file, 'utf8')), name)));
      } catch (err) {
        outcome.unreadable.push({ file, reason: err instanceof Error ? err.message : String(err) });
      }
    }
    outcome.runs.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.runId.localeCompare(b.runId));
    return outcome;
  }

  /** Exact id, else a unique prefix of one (like git's short hashes). */
  private async resolveId(runId: string): Promise<string> {
    let names: string[] = [];
    try {
      names = (await readdir(this.dir)).filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5));
    } catch {
      // empty store
    }
    if (names.includes(runId)) return runId;
    const matches = names.filter((n) => n.startsWith(runId));
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) {
      const shown = matches.slice(0, 5).join(', ') + (matches.length > 5 ? `, and ${matches.length - 5} more` : '');
      throw new StoreError(`run id "${runId}" matches ${matches.length} runs (${shown}); give more of the id`);
    }
    throw new StoreError(`no run "${runId}" in ${this.dir}; list runs with: espbench runs`);
  }
}

export function summarize(record: RunRecord): RunSummary {
  return {
    runId: record.runId,
    startedAt: record.startedAt,
    status: record.status,
    device: record.device.uri,
    chip: record.device.chip,
    labels: record.labels,
    results: record.results.length,
    failures: record.results.filter((r) => r.status === 'failed').length,
  };
}

/** Sortable, unique enough for one store, readable: 20261122-043015-3f9a2c. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const rand = Math.floor(Math.random() * 0xffffff).toString(16).padStart(6, '0');
  return `${stamp}-${rand}`;
}
