import { spawn, type ChildProcess } from 'node:child_process';
import { basename, resolve } from 'node:path';
import { FlashAbortedError, FlashError, INSTALL_HINT } from './errors.js';
import { findEspflash, whichSync, type Espflash } from './find.js';
import { CHIPS, isChip, readImageInfo, type Chip, type ImageInfo } from './image.js';
import { OutputSplitter, parseReport, type BarFrame, type EspflashReport } from './output.js';

export type FlashPhase = 'connecting' | 'connected' | 'writing' | 'verifying' | 'done';

export interface FlashProgress {
  port: string;
  phase: FlashPhase;
  /** What espflash found, from `connected` on. */
  chip?: string;
  revision?: string;
  /** The flash segment being written (0x0 bootloader, 0x8000 partition table, 0x10000 app, ...). */
  address?: number;
  /** 0..100 of that segment. Only when espflash draws its bars, i.e. runs on a pseudo-terminal. */
  percent?: number;
  /** Blocks in that segment (espflash's bar length). */
  blocks?: number;
  skipped?: boolean;
}

export interface FlashOptions {
  /** From findEspflash(), or a path / name to find. */
  espflash: Espflash | string;
  /** The board's serial port, e.g. /dev/ttyACM0. */
  port: string;
  /** The image path, or what readImageInfo() said about it. */
  image: string | ImageInfo;
  /** The chip the board should be; refused before flashing when the image says otherwise. */
  chip?: Chip;
  /** espflash `--baud` for flashing (it connects at 115200, then switches). */
  baud?: number;
  signal?: AbortSignal;
  onProgress?: (p: FlashProgress) => void;
  /** Every line espflash printed, ANSI codes removed, progress bars left out. */
  onLine?: (line: string) => void;
  /**
   * Run espflash on a pseudo-terminal (util-linux `script`) so that it draws its progress bars, which it
   * hides when stderr is not a terminal. 'auto' (default): on Linux when `script` is on PATH.
   */
  pty?: boolean | 'auto';
  env?: NodeJS.ProcessEnv;
}

export interface FlashResult {
  port: string;
  image: ImageInfo;
  espflash: Espflash;
  chip?: string;
  revision?: string;
  /** espflash's argv (without the program). */
  args: string[];
  durationMs: number;
  /** Did we see espflash's bars (a pseudo-terminal)? */
  progress: boolean;
}

/** Chooses the subcommand: `flash` for an ELF, `write-bin <address>` for a .bin. */
export function espflashArgs(tool: Espflash, image: ImageInfo, port: string, chip?: string, baud?: number): string[] {
  const args = [image.format === 'elf' ? 'flash' : 'write-bin', '--port', port];
  if (chip) args.push('--chip', chip);
  if (baud) args.push('--baud', String(baud));
  if (tool.nonInteractive) args.push('--non-interactive');
  if (tool.skipUpdateCheck) args.push('--skip-update-check');
  const file = resolve(image.path);
  if (image.format === 'elf') args.push(file);
  else args.push(`0x${(image.address ?? 0).toString(16)}`, file);
  return args;
}

const shq = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

function usePty(pty: FlashOptions['pty'], env: NodeJS.ProcessEnv): string | null {
  if (pty === false) return null;
  const script = process.platform === 'linux' ? whichSync('script', env) : null;
  if (pty === true && !script) throw new FlashError('failed', 'cannot run espflash on a pseudo-terminal: util-linux `script` was not found (or this is not Linux); install util-linux or flash without a pty');
  return script;
}

function start(tool: Espflash, args: string[], env: NodeJS.ProcessEnv, script: string | null): ChildProcess {
  const childEnv: NodeJS.ProcessEnv = { ...env, ESPFLASH_SKIP_UPDATE_CHECK: 'true' };
  if (!script) return spawn(tool.path, args, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  // A wide terminal keeps the bars and miette's reports on one line each.
  const command = `stty cols 200 rows 50 2>/dev/null; exec ${[tool.path, ...args].map(shq).join(' ')}`;
  const term = env.TERM && env.TERM !== 'dumb' ? env.TERM : 'xterm';
  // stdin is a pipe so that stopping can type Ctrl-C on espflash's terminal (see flashImage).
  const child = spawn(script, ['-q', '-e', '-f', '-c', command, '/dev/null'], { env: { ...childEnv, SHELL: '/bin/sh', TERM: term }, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin?.on('error', () => {});
  return child;
}

const CONNECT_CODES = new Set(['espflash::connection_failed', 'espflash::serial_not_found', 'espflash::no_serial', 'espflash::serial_not_selected', 'espflash::no_sync_reply', 'espflash::wrong_boot_mode', 'espflash::chip_detect_error', 'espflash::slip_framing']);
const IMAGE_CODES = /^espflash::(invalid_elf|app_desc::|invalid_app_descriptor|image_too_big|not_ram_loadable|invalid_bootloader)/;
const CODE_FIXES: Record<string, string> = {
  'espflash::timeout': 'check the USB cable and port (a hub or a long cable often causes this) and try again',
  'espflash::verify_failed': 'try again; if it keeps failing the board\'s flash may be faulty',
  'espflash::unsupported_chip_revision': 'this board\'s chip revision is older than the image needs; build for it or use a newer board',
};

const lower = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

/** One line from what espflash said. */
function said(r: EspflashReport): string {
  return [r.message, ...r.causes].filter(Boolean).join(': ');
}

interface Context {
  port: string;
  image: ImageInfo;
  tool: Espflash;
  args: string[];
  connected: boolean;
  output: string[];
  exitCode: number | null;
}

function mismatch(ctx: Context, built: string, detected: string, fromImage: boolean, extra: Partial<FlashError['details']> = {}): FlashError {
  const name = basename(ctx.image.path);
  const msg = fromImage
    ? `${name} is built for ${built} but the board on ${ctx.port} is ${detected}: flash an ${detected} build of the firmware, or connect the ${built} board`
    : `the board on ${ctx.port} is ${detected}, not ${built}: connect the ${built} board, or flash an ${detected} build`;
  return new FlashError('chip-mismatch', msg, { port: ctx.port, expected: built, detected, command: [ctx.tool.path, ...ctx.args], output: ctx.output.slice(-20), exitCode: ctx.exitCode, ...extra });
}

function classify(ctx: Context, r: EspflashReport | null, signal: NodeJS.Signals | null): FlashError {
  const base = { port: ctx.port, command: [ctx.tool.path, ...ctx.args], output: ctx.output.slice(-20), exitCode: ctx.exitCode };
  const byHand = `run it by hand to see more: ${base.command.map(shq).join(' ')}`;
  if (!r) {
    const last = ctx.output.at(-1);
    const how = signal ? `was killed by ${signal}` : `exited with code ${ctx.exitCode}`;
    return new FlashError(ctx.connected ? 'failed' : 'connect', `espflash ${how} while flashing ${ctx.port}${last ? ` (last line: "${last}")` : ''}; ${byHand}`, base);
  }
  const details = { ...base, ...(r.code ? { code: r.code } : {}), detail: said(r) };
  if (r.usage) {
    return new FlashError('failed', `espflash ${ctx.tool.version} (${ctx.tool.path}) refused the arguments espbench gave it (${r.message}); update it: ${INSTALL_HINT}`, details);
  }
  const text = [r.message, ...r.causes].join(' ');
  const firmware = /firmware was built for (\S+?),? but the detected chip is (\S+)/.exec(text);
  if (firmware) return mismatch(ctx, firmware[1]!, firmware[2]!, true, details);
  const arg = /Chip provided (?:with `-c\/--chip` )?\((\S+)\)(?: with `-c\/--chip`)? does not match the detected chip \((\S+)\)/.exec(text);
  if (arg) return mismatch(ctx, arg[1]!, arg[2]!, ctx.image.chip === arg[1], details);
  if (r.code === 'espflash::chip_mismatch' || r.code === 'espflash::chip_missmatch') {
    return new FlashError('chip-mismatch', `the board on ${ctx.port} is not the chip ${basename(ctx.image.path)} is built for (${said(r)}); flash a matching build`, details);
  }
  if (r.code && IMAGE_CODES.test(r.code)) {
    return new FlashError('image', `espflash cannot flash ${basename(ctx.image.path)}: ${said(r)}${r.help ? `; ${r.help}` : ''}`, details);
  }
  const connectish = (r.code && CONNECT_CODES.has(r.code)) || /serial port|connecting to device|connect to the device/i.test(text);
  if (connectish) {
    const fix = r.help ? lower(r.help) : 'check the cable and the port, close any serial monitor using it, or hold BOOT while pressing RESET';
    return new FlashError('connect', `espflash could not connect to the board on ${ctx.port}: ${said(r)}; ${fix}`, details);
  }
  const fix = (r.help ? lower(r.help) : undefined) ?? (r.code ? CODE_FIXES[r.code] : undefined) ?? byHand;
  return new FlashError('failed', `flashing ${ctx.port} failed: ${said(r)}; ${fix}`, details);
}

/**
 * Flashes one board with the user's espflash: `espflash flash` for an ELF, `espflash write-bin` for a
 * .bin, non-interactively and without the update check where the version supports them. Reports
 * espflash's progress, and throws FlashError (kind and a one-line message with the fix) when it cannot
 * flash, or FlashAbortedError when `signal` aborts (espflash is stopped with SIGTERM, then SIGKILL).
 */
export async function flashImage(opts: FlashOptions): Promise<FlashResult> {
  const env = opts.env ?? process.env;
  const tool = typeof opts.espflash === 'string' ? await findEspflash(opts.espflash, env) : opts.espflash;
  const image = typeof opts.image === 'string' ? await readImageInfo(opts.image) : opts.image;
  const port = opts.port;
  if (opts.chip && image.chip && opts.chip !== image.chip) {
    throw new FlashError('chip-mismatch', `${basename(image.path)} is built for ${image.chip} but the board on ${port} should be ${opts.chip}: flash an ${opts.chip} build`, { port, expected: image.chip, detected: opts.chip });
  }
  if (opts.chip && !image.chip && image.arch && CHIPS[opts.chip].arch !== image.arch) {
    throw new FlashError('chip-mismatch', `${basename(image.path)} is ${image.arch === 'xtensa' ? 'an Xtensa' : 'a RISC-V'} build but the board on ${port} should be ${opts.chip}: flash an ${opts.chip} build`, { port, detected: opts.chip });
  }
  if (opts.signal?.aborted) throw new FlashAbortedError(port);
  // For a .bin only we know the chip: espflash checks an ELF's own (4.x), and --chip makes it refuse
  // another board before writing anything (and does the same check for an ELF on 3.x).
  const chipArg = opts.chip ?? image.chip;
  const args = espflashArgs(tool, image, port, chipArg, opts.baud);
  const script = usePty(opts.pty ?? 'auto', env);
  const started = Date.now();
  const progress = (p: Omit<FlashProgress, 'port'>) => opts.onProgress?.({ port, ...p });

  return new Promise<FlashResult>((resolvePromise, reject) => {
    const ctx: Context = { port, image, tool, args, connected: false, output: [], exitCode: null };
    let chip: string | undefined;
    let revision: string | undefined;
    let sawBar = false;
    let archMismatch: FlashError | null = null;
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    const child = start(tool, args, env, script);

    // Stopping: on a pseudo-terminal, Ctrl-C on espflash's terminal (the line discipline sends SIGINT
    // to it, as when a user presses it; util-linux `script` itself answers SIGTERM only after a 2 s
    // grace); without one, SIGTERM. SIGKILL when it is still there 3 s later.
    const stop = () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (script && child.stdin?.writable) {
        child.stdin.write('\x03');
        killTimer = setTimeout(() => {
          child.kill('SIGTERM');
          killTimer = setTimeout(() => child.kill('SIGKILL'), 3000);
        }, 2000);
      } else {
        child.kill('SIGTERM');
        killTimer = setTimeout(() => child.kill('SIGKILL'), 3000);
      }
    };
    const onAbort = () => {
      aborted = true;
      stop();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    const onLine = (line: string) => {
      ctx.output.push(line);
      if (ctx.output.length > 200) ctx.output.shift();
      opts.onLine?.(line);
      let m: RegExpExecArray | null;
      if (/\]\s+Connecting\.\.\.\s*$/.test(line)) progress({ phase: 'connecting' });
      else if ((m = /^Chip type:\s+(\S+)(?:\s+\(revision v([^)]+)\))?/.exec(line))) {
        chip = m[1]!;
        revision = m[2];
        ctx.connected = true;
        progress({ phase: 'connected', chip, ...(revision ? { revision } : {}) });
        // An ELF without esp-hal's chip name: espflash would write it to any chip; refuse another
        // architecture (an Xtensa build on a RISC-V chip or the other way round).
        if (!image.chip && image.arch && isChip(chip) && CHIPS[chip].arch !== image.arch && !archMismatch) {
          const kind = (a: string) => (a === 'xtensa' ? 'Xtensa' : 'RISC-V');
          archMismatch = new FlashError('chip-mismatch', `${basename(image.path)} is ${image.arch === 'xtensa' ? 'an' : 'a'} ${kind(image.arch)} build but the board on ${port} is ${chip} (${kind(CHIPS[chip].arch)}): flash an ${chip} build of the firmware, or connect the board it was built for`, { port, detected: chip, command: [tool.path, ...args] });
          stop();
        }
      } else if (/Flashing has completed!|Binary successfully written to flash!/.test(line)) progress({ phase: 'done', ...(chip ? { chip } : {}) });
    };
    const onBar = (f: BarFrame) => {
      sawBar = true;
      progress({ phase: f.verifying ? 'verifying' : 'writing', address: f.address, percent: f.percent, blocks: f.len, ...(chip ? { chip } : {}), ...(f.skipped ? { skipped: true } : {}) });
    };
    const outSplit = new OutputSplitter(onLine, onBar);
    const errSplit = new OutputSplitter(onLine, onBar);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => outSplit.push(d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => errSplit.push(d));

    child.on('error', (err) => {
      opts.signal?.removeEventListener('abort', onAbort);
      reject(new FlashError('missing', `cannot run ${script ?? tool.path}: ${err.message}; ${INSTALL_HINT}`, { port }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(killTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      outSplit.end();
      errSplit.end();
      ctx.exitCode = code;
      if (aborted) return reject(new FlashAbortedError(port));
      if (archMismatch) return reject(archMismatch);
      const report = parseReport(ctx.output);
      if (code === 0 && !signal && !report) {
        return resolvePromise({ port, image, espflash: tool, ...(chip ? { chip } : {}), ...(revision ? { revision } : {}), args, durationMs: Date.now() - started, progress: sawBar });
      }
      reject(classify(ctx, report, signal));
    });
  });
}
