#!/usr/bin/env node
// Standalone protocol-v1 board: stdout is its UART TX, stdin its UART RX (the host's command lines).
import { V1Board } from './board.js';
import { CliUsageError, V1_USAGE, parseV1CliArgs } from './cli.js';
import { SimUriError, parseV1SimUri } from './uri.js';

function fail(message: string, showUsage: boolean): never {
  process.stderr.write(`v1-sim: ${message}\n${showUsage ? `${V1_USAGE}\n` : ''}`);
  process.exit(2);
}

let board: V1Board;
try {
  const args = parseV1CliArgs(process.argv.slice(2));
  board = new V1Board({ options: parseV1SimUri(args.uri), airDir: args.airDir, serial: process.stdout });
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
// A closed stdin is a disconnected RX line: the board stays powered.
process.stdin.on('data', (chunk: Buffer) => board.receive(chunk));
process.stdin.on('error', () => {});
process.stdin.resume();
board.on('error', (err) => {
  process.stderr.write(`v1-sim: internal error: ${err.stack ?? err.message}\n`);
  exit(1);
});
board.start();
