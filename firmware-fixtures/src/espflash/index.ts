import { fileURLToPath } from 'node:url';

export { STANDIN_CHIPS, standinChip, standinChipById, compareVersions, type StandinChip, type Arch } from './chips.js';
export { buildTestElf, buildAppBin, buildMergedBin, readElf, isElf, ElfError, type ElfFacts, type TestElfOptions } from './images.js';
export { runEspflash, readSettings, DEFAULT_VERSION, DEFAULT_CHIP, FAILURES, type Failure, type StandinSettings } from './program.js';
export { parseArgs, parseU32, ClapError } from './args.js';

/** The directory holding the `espflash` stand-in executable: put it first on PATH. */
export const ESPFLASH_STANDIN_DIR = fileURLToPath(new URL('../../bin/', import.meta.url)).replace(/\/$/, '');
/** The stand-in executable itself (a `#!/usr/bin/env node` shim running dist/espflash/main.js). */
export const ESPFLASH_STANDIN = `${ESPFLASH_STANDIN_DIR}/espflash`;
