import { createHash, randomBytes } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeTarget, type InfluxTarget } from './target.js';

/**
 * Points on their way to one InfluxDB target, on disk next to the local store. Every batch is written
 * here before it is sent and removed once the database has it, so neither a dead database nor a
 * killed process loses a point. Replaying a batch that did arrive changes nothing in the database:
 * the same series and timestamp overwrite.
 */
export class Spool {
  readonly dir: string;
  private seq = 0;
  private ready = false;

  constructor(
    readonly root: string,
    readonly target: InfluxTarget,
  ) {
    this.dir = join(root, spoolKey(target));
  }

  /** Write a batch durably; returns its file name. */
  async add(lines: readonly string[]): Promise<string> {
    await this.ensureDir();
    // Time first (replay order), then what keeps two writers of one process apart.
    const name = `${Date.now().toString().padStart(15, '0')}-${process.pid}-${randomBytes(4).toString('hex')}-${(this.seq++).toString().padStart(6, '0')}.jsonl`;
    const tmp = join(this.dir, `${name}.tmp`);
    // One JSON string per line: a point's string fields may hold newlines.
    await writeFile(tmp, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    await rename(tmp, join(this.dir, name));
    return name;
  }

  async remove(name: string): Promise<void> {
    await unlink(join(this.dir, name)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  /** Batch files waiting, oldest first. */
  async pending(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).filter((n) => n.endsWith('.jsonl')).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  async read(name: string): Promise<string[]> {
    try {
      const text = await readFile(join(this.dir, name), 'utf8');
      const lines: string[] = [];
      for (const l of text.split('\n')) {
        if (!l) continue;
        try {
          lines.push(JSON.parse(l) as string);
        } catch {
          // A line cut short by a crash mid-write; the rest of the batch is still good.
        }
      }
      return lines;
    } catch (err) {
      // Another process replayed and removed it meanwhile.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  /** Lines the database refused for good (bad data, not a bad connection), kept for inspection. */
  async reject(entries: readonly { line: string; reason: string }[]): Promise<string> {
    await this.ensureDir();
    const file = join(this.dir, 'rejected.txt');
    await appendFile(file, entries.map((e) => `# ${new Date().toISOString()} ${e.reason.replace(/\n/g, ' ')}\n${e.line || '(the database did not say which point)'}\n`).join(''));
    return file;
  }

  private async ensureDir(): Promise<void> {
    if (this.ready) return;
    await mkdir(this.dir, { recursive: true });
    // Lets `espbench publish` name the target of spooled points; never holds a secret.
    await writeFile(join(this.dir, 'target.txt'), describeTarget(this.target) + '\n');
    this.ready = true;
  }
}

/** One directory per target (URL, API, database or org/bucket, retention policy), named readably. */
export function spoolKey(t: InfluxTarget): string {
  const where = t.api === 'v1' ? `${t.db}${t.rp ? `.${t.rp}` : ''}` : `${t.org ?? ''}.${t.bucket}`;
  const hash = createHash('sha256').update(JSON.stringify([t.url, t.api, t.db, t.rp, t.org, t.bucket])).digest('hex').slice(0, 10);
  return `${where.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 40)}-${hash}`;
}

/** Spooled batches for every target under a root, for `espbench publish` to report. */
export async function spoolDirs(root: string): Promise<{ dir: string; target: string; batches: number }[]> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: { dir: string; target: string; batches: number }[] = [];
  for (const name of names.sort()) {
    const dir = join(root, name);
    const files = await readdir(dir).catch(() => [] as string[]);
    const target = await readFile(join(dir, 'target.txt'), 'utf8').catch(() => name);
    out.push({ dir, target: target.trim(), batches: files.filter((f) => f.endsWith('.jsonl')).length });
  }
  return out;
}
