#!/usr/bin/env node
// Standalone simulated board: stdout is its UART TX, stdin its (ignored) RX.
import { SimulatedBoard } from './board.js';
import { CliUsageError, USAGE, parseCliArgs } from './cli.js';
import { SimUriError, parseSimUri } from './sim-uri.js';

function fail(message: string, showUsage: boolean): never {
  process.stderr.write(`wifi-bench-sim: ${message}\n${showUsage ? `${USAGE}\n` : ''}`);
  process.exit(2);
}

let board: SimulatedBoard;
try {
  const args = parseCliArgs(process.argv.slice(2));
  board = new SimulatedBoard({ options: parseSimUri(args.uri), host: args.host, portBase: args.portBase, serial: process.stdout });
} catch (err) {
  if (err instanceof CliUsageError) fail(err.message, true);
  if (err instanceof SimUriError) fail(err.message, false);
  throw err;
}

let exiting = false;
const exit = (code: number): void => {
  if (exiting) return;
  exiting = true;
  void board.stop().finally(() => process.exit(code));
};

process.on('SIGTERM', () => exit(0));
process.on('SIGINT', () => exit(0));
process.on('SIGHUP', () => exit(0));
// The reader went away (EPIPE): nobody can see the serial output any more.
process.stdout.on('error', () => exit(0));
process.stdin.on('data', () => {});
process.stdin.on('error', () => {});
process.stdin.resume();
board.on('error', (err) => {
  process.stderr.write(`wifi-bench-sim: internal error: ${err.stack ?? err.message}\n`);
  exit(1);
});
board.start();
