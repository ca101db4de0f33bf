import { lstatSync, realpathSync } from 'node:fs';
import { join, sep } from 'node:path';
import { flashBoards } from '@espbench/flash';
import { parseDeviceUri } from '@espbench/link';
import { CHIP_RADIOS } from '@espbench/schema';

/** A board the agent was configured with. Commands select among these; nothing else is ever opened. */
export interface RigBoard {
  uri: string;
  /** Declared (`esp32c3=/dev/ttyACM0`), from a `sim:<chip>` URI, or learned from a run; null until known. */
  chip: string | null;
}

export class RigConfigError extends Error {
  override readonly name = 'RigConfigError';
}

/** `/dev/ttyACM0`, `esp32c3=/dev/ttyACM0` (chip declared), `sim:esp32c6?fw=v1` (chip from the URI). */
export function parseBoard(spec: string): RigBoard {
  const declared = /^([a-z0-9]+)=(.+)$/.exec(spec);
  if (declared && !declared[1]!.startsWith('sim')) {
    const chip = declared[1]!;
    if (!(chip in CHIP_RADIOS)) throw new RigConfigError(`--device ${spec}: "${chip}" is not a chip espbench knows (${Object.keys(CHIP_RADIOS).join(', ')})`);
    return { uri: declared[2]!, chip };
  }
  const sim = /^sim:([a-z0-9]+)/.exec(spec);
  if (sim) {
    if (!(sim[1]! in CHIP_RADIOS)) throw new RigConfigError(`--device ${spec}: "${sim[1]}" is not a chip espbench knows (${Object.keys(CHIP_RADIOS).join(', ')})`);
    return { uri: spec, chip: sim[1]! };
  }
  return { uri: spec, chip: null };
}

export class FirmwareError extends Error {
  override readonly name = 'FirmwareError';
}

/**
 * The file of an image name inside the firmware directory, or why not. The name was validated as a
 * plain file name; this also refuses symlinks that lead out of the directory.
 */
export function resolveImage(firmwareDir: string | undefined, name: string): string {
  if (!firmwareDir) throw new FirmwareError(`firmware ${name}: this rig has no firmware directory (start the agent with --firmware-dir DIR)`);
  if (name.includes('/') || name.includes('\\') || name.startsWith('.') || name.includes('..')) throw new FirmwareError(`firmware ${name}: a file name is expected, not a path`);
  let dir: string;
  let file: string;
  try {
    dir = realpathSync(firmwareDir);
    file = realpathSync(join(dir, name));
  } catch {
    throw new FirmwareError(`firmware ${name}: no such image in the firmware directory ${firmwareDir}`);
  }
  if (!file.startsWith(dir + sep)) throw new FirmwareError(`firmware ${name}: leads outside the firmware directory`);
  if (!lstatSync(file).isFile()) throw new FirmwareError(`firmware ${name}: not a file`);
  return file;
}

/** Puts an image on a board before a command runs. */
export type Flasher = (board: RigBoard, imagePath: string, signal: AbortSignal) => Promise<void>;

/**
 * Serial boards are flashed with the user's espflash (on PATH, or `espflash`), checked against the
 * image's chip as `espbench run --flash` does. Simulated boards run what they simulate: nothing to
 * flash, the image is only named in the record. Other links (exec:, tcp://) cannot be flashed.
 */
export function espflashFlasher(opts: { espflash?: string; log?: (line: string) => void } = {}): Flasher {
  return async (board, imagePath, signal) => {
    if (board.uri.startsWith('sim:')) return;
    const spec = parseDeviceUri(board.uri);
    if (spec.kind !== 'serial') throw new FirmwareError(`${board.uri} is not a serial port: there is nothing espflash can write to`);
    const [result] = await flashBoards({ ports: [spec.path], image: imagePath, signal, display: 'none', ...(opts.espflash ? { espflash: opts.espflash } : {}) });
    if (result) opts.log?.(`flashed ${imagePath} to ${spec.path} (${result.chip ?? 'chip not reported'}, ${(result.durationMs / 1000).toFixed(1)} s)`);
  };
}

export const defaultFlasher: Flasher = espflashFlasher();
