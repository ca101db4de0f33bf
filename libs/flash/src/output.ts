// Reading espflash's output. What it prints (esp-rs/espflash 3.x/4.x):
// - env_logger lines on stderr: `[2026-08-04T10:00:00Z INFO ] Serial port: '/dev/ttyACM0'`,
//   `... Connecting...`, `... Using flash stub`, `... Flashing has completed!` (flash) or
//   `... Binary successfully written to flash!` (write-bin);
// - the board on stdout: `Chip type:         esp32c3 (revision v0.4)`, `Crystal frequency: ...`, ...;
// - one indicatif bar per flash segment on stderr, `[00:00:01] [=====>   ]      40/226     0x10000`,
//   drawn only when stderr is a terminal, redrawn in place with `\r` and ANSI codes;
// - on failure, miette's report on stderr, `Error: espflash::connection_failed`, then `  × message`,
//   `  ╰─▶ cause`, `  help: ...` (ASCII `x`, `` `-> `` when not on a terminal), exit code 1;
// - clap's `error: unexpected argument '--x' found` for arguments it does not take, exit code 2.

/** Removes ANSI escape sequences (CSI, OSC and two-byte escapes). */
export function stripAnsi(text: string): string {
  return text.replace(/\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g, '');
}

export interface BarFrame {
  address: number;
  pos: number;
  len: number;
  /** 0..100 within this segment. */
  percent: number;
  verifying: boolean;
  /** `Skipped! (checksum matches)`: the segment was already on the board. */
  skipped: boolean;
}

const BAR = /^\[\d+:\d\d:\d\d\]\s+\[[=>\- #]*\]\s+(\d+)\/(\d+)\s+(0x[0-9a-fA-F]+)(.*)$/;

export function parseBar(line: string): BarFrame | null {
  const m = BAR.exec(line.trim());
  if (!m) return null;
  const pos = Number(m[1]);
  const len = Number(m[2]);
  const rest = m[4] ?? '';
  return {
    address: Number.parseInt(m[3]!, 16),
    pos,
    len,
    percent: len > 0 ? Math.min(100, Math.floor((pos / len) * 100)) : 100,
    verifying: /Verifying/.test(rest),
    skipped: /Skipped!/.test(rest),
  };
}

/**
 * Splits espflash's output (stdout and stderr, or the pty that merges them) into lines and bar frames.
 * A bar frame is reported as soon as it is complete on screen, not when the next redraw starts.
 */
export class OutputSplitter {
  private pending = '';
  private lastFrame = '';

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly onBar: (frame: BarFrame) => void,
  ) {}

  push(chunk: string): void {
    this.pending += chunk;
    const parts = this.pending.split(/\r\n|\r|\n/);
    this.pending = parts.pop() ?? '';
    for (const p of parts) this.take(p, true);
    // indicatif leaves the bar without a line end until the next redraw: take it now.
    const frame = stripAnsi(this.pending).trim();
    if (frame && parseBar(frame)) this.take(this.pending, false);
  }

  end(): void {
    if (this.pending) this.take(this.pending, true);
    this.pending = '';
  }

  private take(raw: string, final: boolean): void {
    const line = stripAnsi(raw).replace(/\s+$/, '');
    // A report printed right after a bar that was left without a line end.
    const err = line.indexOf('Error: ');
    if (err > 0 && parseBar(line.slice(0, err))) {
      this.take(line.slice(0, err), final);
      this.take(line.slice(err), final);
      return;
    }
    const bar = parseBar(line);
    if (bar) {
      if (line !== this.lastFrame) {
        this.lastFrame = line;
        this.onBar(bar);
      }
      return;
    }
    if (final && line.trim()) this.onLine(line);
  }
}

/** What a miette report (or clap error) said. */
export interface EspflashReport {
  code?: string;
  message: string;
  causes: string[];
  help?: string;
  /** A clap usage error rather than a miette report. */
  usage: boolean;
}

/**
 * Parses the lines from `Error:` (miette) or `error:` (clap) to the end of the output. miette wraps
 * long lines at the terminal width; indented continuation lines are joined back.
 */
export function parseReport(lines: readonly string[]): EspflashReport | null {
  const start = lines.findIndex((l) => /^Error:/.test(l) || /^error:/.test(l));
  if (start < 0) return null;
  const first = lines[start]!;
  if (first.startsWith('error:')) {
    return { message: first.slice('error:'.length).trim(), causes: [], usage: true };
  }
  let code: string | undefined;
  const items: { kind: 'message' | 'cause' | 'help'; text: string }[] = [];
  const head = first.slice('Error:'.length).trim();
  const codeMatch = /^(espflash::[\w:]+)/.exec(head);
  const body = codeMatch ? [] : head ? [head] : [];
  if (codeMatch) code = codeMatch[1];
  for (const raw of [...body.map((b) => `  ${b}`), ...lines.slice(start + 1)]) {
    const l = raw.trimEnd();
    if (!l.trim()) continue;
    let m: RegExpExecArray | null;
    if ((m = /^\s*(?:×|x)\s+(.*)$/.exec(l))) items.push({ kind: 'message', text: m[1]! });
    else if ((m = /^\s*(?:[├╰]─+▶|[|`]->)\s*(.*)$/.exec(l))) items.push({ kind: 'cause', text: m[1]! });
    else if ((m = /^\s*help:\s*(.*)$/.exec(l))) items.push({ kind: 'help', text: m[1]! });
    else if (/^\s+/.test(l) && items.length) {
      const last = items[items.length - 1]!;
      last.text = `${last.text} ${l.replace(/^\s*[│|]?\s*/, '')}`.trim();
    } else if (!items.length && !code && (m = /^\s*(espflash::[\w:]+)\s*$/.exec(l))) code = m[1];
  }
  const message = items.find((i) => i.kind === 'message')?.text ?? head ?? '';
  const help = items.find((i) => i.kind === 'help')?.text;
  return { ...(code ? { code } : {}), message, causes: items.filter((i) => i.kind === 'cause').map((i) => i.text), ...(help ? { help } : {}), usage: false };
}
