import type { Progress } from '@espbench/runner';

/**
 * One status line per device on a TTY, redrawn in place: phase, iteration i/N, live KiB/s.
 * Redraws are throttled so a fast stream of samples costs nothing.
 */
export class ProgressDisplay {
  private readonly lines = new Map<string, string>();
  private drawn = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly out: NodeJS.WriteStream) {}

  update(p: Progress): void {
    const what = p.scenario ? p.scenario.replace('wifi-tcp-', '') : '';
    const live = p.liveKiBps !== null ? `${p.liveKiBps.toFixed(1).padStart(8)} KiB/s` : '';
    const last = p.last ? `  (last: ${p.last})` : '';
    this.lines.set(p.device, `${p.device}  [${p.iteration}/${p.iterations}] ${p.phase.padEnd(10)} ${what.padEnd(8)} ${live}${last}`);
    if (!this.timer) this.timer = setTimeout(() => this.draw(), 100);
  }

  private draw(): void {
    this.timer = null;
    const width = this.out.columns || 120;
    let text = this.drawn ? `\x1b[${this.drawn}A` : '';
    for (const line of this.lines.values()) text += `\x1b[2K${line.slice(0, width - 1)}\n`;
    this.drawn = this.lines.size;
    this.out.write(text);
  }

  /** Leave the last state on screen. */
  stop(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.draw();
    }
  }
}
