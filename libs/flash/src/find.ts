import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { FlashError, INSTALL_HINT } from './errors.js';

/** espflash as found on this machine, and what its version accepts. */
export interface Espflash {
  path: string;
  /** `major.minor.patch` from `espflash --version`. */
  version: string;
  /** `--non-interactive` (in ConnectArgs since 4.0.0, esp-rs/espflash#906). */
  nonInteractive: boolean;
  /** `-S/--skip-update-check` (since 3.2.0, esp-rs/espflash#689). */
  skipUpdateCheck: boolean;
}

/** The oldest espflash espbench drives: 3.0.0 added `-c/--chip` (esp-rs/espflash#514). */
export const MIN_ESPFLASH = '3.0.0';

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function executable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    if (process.platform !== 'win32') accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first `name` on PATH (with PATHEXT on Windows), or null. */
export function whichSync(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const exts = process.platform === 'win32' ? ['', ...(env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';')] : [''];
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const candidate = join(dir, name + ext);
      if (executable(candidate)) return candidate;
    }
  }
  return null;
}

function runVersion(path: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; error?: Error }> {
  return new Promise((resolve) => {
    let out = '';
    const child = spawn(path, ['--version'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, out, error });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/**
 * Finds the user's espflash: `explicit` (a path, or a name looked up on PATH) or `espflash` on PATH.
 * Runs `espflash --version` to make sure it is espflash and new enough. Throws FlashError `missing`
 * with a one-line message that says how to install it.
 */
export async function findEspflash(explicit?: string, env: NodeJS.ProcessEnv = process.env): Promise<Espflash> {
  let path: string | null;
  if (explicit) {
    const isPath = explicit.includes('/') || explicit.includes('\\');
    path = isPath ? (executable(explicit) ? explicit : null) : whichSync(explicit, env);
    if (!path) {
      throw new FlashError('missing', isPath ? `espflash not found at ${explicit} (or not executable): give the path of an espflash binary, or ${INSTALL_HINT}` : `${explicit} not found on PATH: give the path of an espflash binary, or ${INSTALL_HINT}`);
    }
  } else {
    path = whichSync('espflash', env);
    if (!path) throw new FlashError('missing', `espflash not found on PATH: ${INSTALL_HINT}, or give its path with --espflash <path>`);
  }
  const r = await runVersion(path, env);
  const m = /^espflash (\d+\.\d+\.\d+)/m.exec(r.out);
  if (r.error || r.code !== 0 || !m) {
    const said = r.error ? r.error.message : r.out.trim().split('\n')[0] || `exit code ${r.code}`;
    throw new FlashError('missing', `${path} is not a working espflash (\`${path} --version\` said: ${said}): ${INSTALL_HINT}`);
  }
  const version = m[1]!;
  if (compareVersions(version, MIN_ESPFLASH) < 0) {
    throw new FlashError('missing', `espflash ${version} at ${path} is too old (espbench needs ${MIN_ESPFLASH} or later): ${INSTALL_HINT}`);
  }
  return {
    path,
    version,
    nonInteractive: compareVersions(version, '4.0.0') >= 0,
    skipUpdateCheck: compareVersions(version, '3.2.0') >= 0,
  };
}
