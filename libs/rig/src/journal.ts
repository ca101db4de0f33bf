import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunCommand } from '@espbench/mqtt';

export type JournalState = 'queued' | 'running' | 'done' | 'failed' | 'rejected';

/** What an agent knows about one command; on disk so a restarted agent carries on where it stopped. */
export interface JournalEntry {
  id: string;
  command: RunCommand | null;
  state: JournalState;
  reason: string | null;
  receivedAt: string;
  /** Runs of this command whose records are stored (and in the outbox until the broker has them). */
  runIds: string[];
  /** Runs started and not yet stored: a run cut short by the agent's death. */
  current: string[];
  devices: string[];
}

/** Finished commands are remembered this long, so a command the broker sends again is not run twice. */
const KEEP_MS = 14 * 24 * 3600_000;

/**
 * One JSON file per command under `<dir>`, replaced atomically (write + rename) on every change.
 * Written synchronously: an entry is on disk before the command is acknowledged to the broker.
 */
export class CommandJournal {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  private file(id: string): string {
    return join(this.dir, `${id}.json`);
  }

  save(entry: JournalEntry): void {
    const file = this.file(entry.id);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(entry, null, 2) + '\n');
    renameSync(tmp, file);
  }

  get(id: string): JournalEntry | null {
    try {
      return JSON.parse(readFileSync(this.file(id), 'utf8')) as JournalEntry;
    } catch {
      return null;
    }
  }

  /** Every entry, oldest first; finished entries past KEEP_MS are removed. */
  load(now = Date.now()): JournalEntry[] {
    const out: JournalEntry[] = [];
    for (const name of readdirSync(this.dir)) {
      if (!name.endsWith('.json')) continue;
      let entry: JournalEntry;
      try {
        entry = JSON.parse(readFileSync(join(this.dir, name), 'utf8')) as JournalEntry;
      } catch {
        continue;
      }
      const finished = entry.state === 'done' || entry.state === 'failed' || entry.state === 'rejected';
      if (finished && now - Date.parse(entry.receivedAt) > KEEP_MS) {
        unlinkSync(join(this.dir, name));
        continue;
      }
      out.push(entry);
    }
    return out.sort((a, b) => a.receivedAt.localeCompare(b.receivedAt));
  }
}

/**
 * Run ids whose records the broker has not acknowledged yet. The record itself is in the local store;
 * the outbox holds `<runId>.json` with the command that asked for it.
 */
export class Outbox {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  add(runId: string, commandId: string | null): void {
    const file = join(this.dir, `${runId}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify({ runId, commandId }) + '\n');
    renameSync(`${file}.tmp`, file);
  }

  remove(runId: string): void {
    try {
      unlinkSync(join(this.dir, `${runId}.json`));
    } catch {
      // already gone
    }
  }

  list(): { runId: string; commandId: string | null }[] {
    return readdirSync(this.dir)
      .filter((n) => n.endsWith('.json'))
      .sort()
      .flatMap((n) => {
        try {
          return [JSON.parse(readFileSync(join(this.dir, n), 'utf8')) as { runId: string; commandId: string | null }];
        } catch {
          return [];
        }
      });
  }
}
