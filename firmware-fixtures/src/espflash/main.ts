#!/usr/bin/env node
// espbench's stand-in for espflash: bin/espflash runs this. See program.ts and firmware-fixtures/README.md.
import { runEspflash } from './program.js';

process.exitCode = await runEspflash(process.argv.slice(2), { env: process.env, stdout: process.stdout, stderr: process.stderr });
