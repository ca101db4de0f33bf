import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ESPFLASH_STANDIN_DIR, buildAppBin, buildMergedBin, buildTestElf } from '@espbench/firmware-fixtures/espflash';

export const dir = mkdtempSync(join(tmpdir(), 'espbench-flash-'));

/** The stand-in never opens the port; espflash (and so the stand-in) canonicalizes it, so it must exist. */
export const PORT = join(dir, 'ttyACM0');
writeFileSync(PORT, '');

export function write(name: string, data: Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}

export const images = {
  c3: write('c3.elf', buildTestElf({ chip: 'esp32c3' })),
  c6: write('c6.elf', buildTestElf({ chip: 'esp32c6' })),
  xtensaNoMeta: write('idf-xtensa.elf', buildTestElf({ chip: null, arch: 'xtensa' })),
  riscvNoMeta: write('idf-riscv.elf', buildTestElf({ chip: null, arch: 'riscv' })),
  c3Bin: write('c3.bin', buildAppBin({ chip: 'esp32c3' })),
  s3Merged: write('s3-merged.bin', buildMergedBin({ chip: 'esp32s3' })),
  esp32Merged: write('esp32-merged.bin', buildMergedBin({ chip: 'esp32' })),
};

/** An environment whose PATH finds the stand-in first, and the stand-in's settings. */
export function standinEnv(settings: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, PATH: `${ESPFLASH_STANDIN_DIR}${delimiter}${process.env.PATH ?? ''}`, ESPBENCH_FAKE_ESPFLASH_BLOCK_MS: '1', ...settings };
}

let logs = 0;
export function logFile(): string {
  return join(dir, `argv-${logs++}.log`);
}

export function invocations(log: string): { argv: string[]; pid: number; tty: { stderr: boolean }; env: Record<string, string | null> }[] {
  try {
    return readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((e) => e.argv && e.argv[0] !== '--version');
  } catch {
    return [];
  }
}

export const hasScript = process.platform === 'linux' && spawnSync('script', ['--version']).status === 0;

/** Is the process there (a zombie nobody reaps counts as gone)? */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}
