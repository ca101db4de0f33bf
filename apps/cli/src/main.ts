#!/usr/bin/env node
import { Command } from 'commander';
import { registerAgent } from './commands/agent.js';
import { registerCheck, registerCompare } from './commands/compare.js';
import { registerDashboards } from './commands/dashboards.js';
import { registerDevices } from './commands/devices.js';
import { registerDoctor } from './commands/doctor.js';
import { registerIngest } from './commands/ingest.js';
import { registerInspect } from './commands/inspect.js';
import { registerNightly } from './commands/nightly.js';
import { registerPublish } from './commands/publish.js';
import { registerReport } from './commands/report.js';
import { registerRun } from './commands/run.js';
import { registerRuns } from './commands/runs.js';
import { registerServe } from './commands/serve.js';
import { registerShow } from './commands/show.js';
import { reportError } from './errors.js';
import { VERSION } from './version.js';

// `espbench compare | head`: a reader that goes away is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const program = new Command('espbench')
  .description('WiFi throughput benchmarks for Espressif boards running esp-hal firmware')
  .version(VERSION)
  .showHelpAfterError('(add --help for usage)')
  .exitOverride()
  .addHelpText(
    'after',
    `
Start here:
  espbench run --device 'sim:esp32c3?rate=1000000&duration=2'   # a simulated board, no hardware
  espbench run --device /dev/ttyACM0 --iterations 3 --label ref=v1.0.0
  espbench runs && espbench show <runId>`,
  );
registerRun(program);
registerRuns(program);
registerShow(program);
registerCompare(program);
registerCheck(program);
registerReport(program);
registerNightly(program);
registerPublish(program);
registerIngest(program);
registerAgent(program);
registerDashboards(program);
registerServe(program);
registerDevices(program);
registerDoctor(program);
registerInspect(program);
for (const cmd of program.commands) cmd.exitOverride().showHelpAfterError('(add --help for usage)');

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = reportError(err);
}
