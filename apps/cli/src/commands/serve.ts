import type { Command } from 'commander';
import { TrafficServer, type ConnectionSummary } from '@espbench/traffic';
import { parsePort, parsePositiveNumber } from '../errors.js';
import { mbit } from '../render/table.js';

interface ServeFlags {
  listen: string;
  portBase: number;
  interval: number;
  json?: boolean;
  quiet?: boolean;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run only the traffic server: a metered drop-in for esp-hal\'s extras/bench-server')
    .option('--listen <addr>', 'listen address', '0.0.0.0')
    .option('--port-base <port>', 'download port; upload is +1, upload+download (echo) +2', parsePort('--port-base'), 4321)
    .option('--interval <s>', 'interval sample length, seconds', parsePositiveNumber('--interval'), 1)
    .option('--json', 'print one JSON object per finished connection')
    .option('-q, --quiet', 'print nothing but errors')
    .addHelpText(
      'after',
      `
Examples:
  espbench serve                         # 0.0.0.0:4321 download, :4322 upload, :4323 echo
  espbench serve --listen 192.168.1.2 --port-base 5000 --json

Boards then run esp-hal's bench firmware as usual; each connection's throughput is printed when it ends.
Stop with Ctrl-C.`,
    )
    .action(async (flags: ServeFlags) => {
      const server = await TrafficServer.start({ host: flags.listen, portBase: flags.portBase, intervalMs: flags.interval * 1000 });
      const { download, upload, echo } = server.ports;
      if (!flags.quiet && !flags.json) {
        process.stderr.write(`espbench serve: listening on ${flags.listen} download ${download}, upload ${upload}, echo ${echo}; Ctrl-C to stop\n`);
      }
      const tty = process.stderr.isTTY && !flags.quiet && !flags.json;
      server.on('connection', (conn) => {
        if (!tty) return;
        let prev = 0;
        conn.on('interval', (s) => {
          const bytes = conn.endpoint === 'upload' ? s.rxBytes : s.ackedTxBytes;
          const kibps = bytes / 1024 / Math.max(s.t - prev, 1e-3);
          prev = s.t;
          process.stderr.write(`\x1b[2K  ${conn.endpoint} ${conn.remoteAddress}:${conn.remotePort} ${s.t.toFixed(0)} s ${kibps.toFixed(1)} KiB/s\r`);
        });
      });
      server.on('connection-end', (s: ConnectionSummary) => {
        if (flags.quiet) return;
        if (flags.json) {
          process.stdout.write(JSON.stringify(s) + '\n');
          return;
        }
        const e = s.estimate;
        process.stdout.write(
          `${tty ? '\x1b[2K' : ''}${s.endpoint.padEnd(8)} ${s.remoteAddress}:${s.remotePort}  ${e.durationS.toFixed(1)} s  ${e.kibps.toFixed(1)} KiB/s (${mbit(e.kibps)} Mbit/s, ${e.method})  tx ${s.txBytes} B  rx ${s.rxBytes} B  ${s.closeReason}\n`,
        );
      });
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await server.close();
    });
}
