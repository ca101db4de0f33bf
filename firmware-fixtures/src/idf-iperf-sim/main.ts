#!/usr/bin/env node
// Standalone ESP-IDF iperf console board: stdout is its UART TX, stdin its UART RX.
import { IdfIperfBoard } from './board.js';
import { SimUriError, parseIdfIperfSimUri } from './options.js';

const USAGE = "usage: node dist/idf-iperf-sim/main.js 'sim:<chip>?fw=idf-iperf&report=3&rate=<bytes/s>&...'";

function fail(message: string, showUsage: boolean): never {
  process.stderr.write(`idf-iperf-sim: ${message}\n${showUsage ? `${USAGE}\n` : ''}`);
  process.exit(2);
}

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (argv.length !== 1) fail(argv.length === 0 ? 'a sim URI is required' : `unexpected argument '${argv[1]}'`, true);

let board: IdfIperfBoard;
try {
  board = new IdfIperfBoard({ options: parseIdfIperfSimUri(argv[0] as string), serial: process.stdout });
} catch (err) {
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
process.stdout.on('error', () => exit(0));
// A closed stdin is a disconnected RX line: the board stays powered.
process.stdin.on('data', (chunk: Buffer) => board.receive(chunk));
process.stdin.on('error', () => {});
process.stdin.resume();
board.on('error', (err) => {
  process.stderr.write(`idf-iperf-sim: internal error: ${err.stack ?? err.message}\n`);
  exit(1);
});
board.start();
