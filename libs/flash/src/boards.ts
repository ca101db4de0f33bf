import { basename } from 'node:path';
import { findEspflash, type Espflash } from './find.js';
import { flashImage, type FlashProgress, type FlashResult } from './flash.js';
import { readImageInfo, type ImageInfo } from './image.js';

/** `tty`: one line per board redrawn in place; `lines`: a few plain lines; `none`: silent. */
export type FlashDisplay = 'tty' | 'lines' | 'none';

const hex = (n: number) => `0x${n.toString(16)}`;

/** Shows flashing progress on a stream (stderr): a percentage line on a TTY, sparse lines otherwise. */
export class FlashReporter {
  private lastStep = new Map<string, number>();
  private open = false;

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly display: FlashDisplay,
  ) {}

  private write(text: string): void {
    if (this.display !== 'none') this.out.write(text);
  }

  private line(text: string): void {
    if (this.display === 'tty') {
      this.write(`\r\x1b[2K${text}`);
      this.open = true;
    } else this.write(`${text}\n`);
  }

  private close(): void {
    if (this.open) this.write('\n');
    this.open = false;
  }

  start(image: ImageInfo, tool: Espflash, ports: readonly string[]): void {
    const what = [image.format === 'elf' ? 'ELF' : image.format, image.chip].filter(Boolean).join(', ');
    this.write(`espbench: flashing ${basename(image.path)} (${what}) to ${ports.join(', ')} with espflash ${tool.version}\n`);
  }

  update = (p: FlashProgress): void => {
    const prefix = `  ${p.port}:`;
    if (p.phase === 'connecting') return this.line(`${prefix} connecting`);
    if (p.phase === 'connected') return this.line(`${prefix} ${p.chip}${p.revision ? ` (revision v${p.revision})` : ''}`);
    if ((p.phase === 'writing' || p.phase === 'verifying') && p.address !== undefined && p.percent !== undefined) {
      const what = p.skipped ? 'unchanged' : p.phase === 'verifying' ? 'verifying' : 'writing';
      if (this.display === 'tty') return this.line(`${prefix} ${what} ${hex(p.address)} ${String(p.percent).padStart(3)}%`);
      // Plain lines: each quarter of a segment once, and nothing for the small ones (bootloader,
      // partition table) that take a moment.
      const key = `${p.port} ${p.address}`;
      const step = Math.floor(p.percent / 25);
      if (p.phase === 'writing' && (p.blocks ?? 0) >= 8 && step > (this.lastStep.get(key) ?? 0)) {
        this.lastStep.set(key, step);
        this.line(`${prefix} ${hex(p.address)} ${step * 25}%`);
      }
    }
  };

  done(r: FlashResult): void {
    this.line(`  ${r.port}: flashed${r.chip ? ` ${r.chip}` : ''} in ${(r.durationMs / 1000).toFixed(1)} s`);
    this.close();
  }

  /** Ends a half-drawn line so that an error prints on its own. */
  failed(): void {
    this.close();
  }
}

export interface FlashBoardsOptions {
  /** Serial ports, flashed one after the other. */
  ports: readonly string[];
  image: string;
  /** `--espflash`: a path, or a name on PATH; default `espflash` on PATH. */
  espflash?: string;
  baud?: number;
  signal?: AbortSignal;
  display?: FlashDisplay;
  /** Where progress goes; default process.stderr. */
  out?: NodeJS.WritableStream;
  pty?: boolean | 'auto';
  env?: NodeJS.ProcessEnv;
}

/**
 * Checks the image, finds espflash, then flashes each port in turn, showing progress. Stops at the
 * first board that fails (FlashError) or when `signal` aborts (FlashAbortedError).
 */
export async function flashBoards(o: FlashBoardsOptions): Promise<FlashResult[]> {
  const env = o.env ?? process.env;
  const image = await readImageInfo(o.image);
  const tool = await findEspflash(o.espflash, env);
  const reporter = new FlashReporter(o.out ?? process.stderr, o.display ?? 'lines');
  reporter.start(image, tool, o.ports);
  const results: FlashResult[] = [];
  for (const port of o.ports) {
    try {
      const r = await flashImage({ espflash: tool, port, image, env, onProgress: reporter.update, ...(o.baud ? { baud: o.baud } : {}), ...(o.signal ? { signal: o.signal } : {}), ...(o.pty !== undefined ? { pty: o.pty } : {}) });
      reporter.done(r);
      results.push(r);
    } catch (err) {
      reporter.failed();
      throw err;
    }
  }
  return results;
}
