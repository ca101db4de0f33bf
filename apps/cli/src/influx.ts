import { join } from 'node:path';
import { Option, type Command } from 'commander';
import {
  describeTarget,
  InfluxWriter,
  resolveTarget,
  settingsFromConfigFile,
  settingsFromEnv,
  Spool,
  type InfluxTarget,
  type WriteStats,
} from '@espbench/influx';
import { parsePositiveInt } from './errors.js';

export interface InfluxFlags {
  influx?: string;
  influxApi?: string;
  influxDb?: string;
  influxRp?: string;
  influxOrg?: string;
  influxBucket?: string;
  influxUser?: string;
  influxPassword?: string;
  influxToken?: string;
  influxBatchSize?: number;
  influxGzip?: boolean;
  config?: string;
}

export function addInfluxOptions(cmd: Command, use: 'write' | 'read' = 'write'): Command {
  cmd.option(
    '--influx <url>',
    use === 'write' ? 'InfluxDB to publish to, e.g. http://localhost:8086 (or $ESPBENCH_INFLUX_URL)' : 'read the results from this InfluxDB instead of the local store (other settings from $ESPBENCH_INFLUX_*)',
  );
  if (use === 'write') {
    cmd
      .option('--influx-batch-size <n>', 'points per write request', parsePositiveInt('--influx-batch-size'), 5000)
      .option('--no-influx-gzip', 'send write requests uncompressed');
  }
  return cmd
    .addOption(new Option('--influx-api <api>', 'v1: /write (InfluxDB 1.x, or v1 compatibility); v2: /api/v2/write (2.x, 3.x). Default: v2 when a bucket or org is set').choices(['v1', 'v2']))
    .option('--influx-db <name>', 'InfluxDB 1.x database (default espbench; or $ESPBENCH_INFLUX_DB)')
    .option('--influx-rp <name>', 'InfluxDB 1.x retention policy (or $ESPBENCH_INFLUX_RP)')
    .option('--influx-org <name>', 'InfluxDB 2.x organisation (or $ESPBENCH_INFLUX_ORG)')
    .option('--influx-bucket <name>', 'InfluxDB 2.x/3.x bucket (or $ESPBENCH_INFLUX_BUCKET)')
    .option('--influx-user <name>', 'InfluxDB 1.x user (or $ESPBENCH_INFLUX_USER)')
    .option('--influx-password <pw>', 'InfluxDB 1.x password; prefer $ESPBENCH_INFLUX_PASSWORD, which stays out of shell history')
    .option('--influx-token <token>', 'InfluxDB 2.x/3.x token; prefer $ESPBENCH_INFLUX_TOKEN, which stays out of shell history')
    .option('--config <file>', `JSON config file with an "influx" section (default ./espbench.config.json if present, or $ESPBENCH_CONFIG)`);
}

/** Flags over $ESPBENCH_INFLUX_* over the config file; null when no URL is set anywhere. */
export function influxTarget(flags: InfluxFlags): InfluxTarget | null {
  const fromFlags = {
    url: flags.influx,
    api: flags.influxApi,
    db: flags.influxDb,
    rp: flags.influxRp,
    org: flags.influxOrg,
    bucket: flags.influxBucket,
    user: flags.influxUser,
    password: flags.influxPassword,
    token: flags.influxToken,
  };
  return resolveTarget([fromFlags, settingsFromEnv(), settingsFromConfigFile(flags.config)]);
}

/** Spooled points live next to the local store. */
export function spoolRoot(resultsDir: string): string {
  return join(resultsDir, 'influx-spool');
}

export function openWriter(target: InfluxTarget, resultsDir: string, warn: (line: string) => void, flags: InfluxFlags = {}): InfluxWriter {
  const writer = new InfluxWriter(target, {
    spool: new Spool(spoolRoot(resultsDir), target),
    batchSize: flags.influxBatchSize,
    gzip: flags.influxGzip,
  });
  let warnedDown = false;
  writer.on('spooled', ({ reason }) => {
    if (warnedDown || writer.error) return;
    warnedDown = true;
    warn(`espbench: InfluxDB: ${reason}; keeping points in ${spoolRoot(resultsDir)} (sent on the next write or by espbench publish)`);
  });
  writer.on('error', (err) => warn(`espbench: InfluxDB: ${err.message}; keeping points in ${spoolRoot(resultsDir)}`));
  writer.on('rejected', (points) => {
    for (const p of points.slice(0, 5)) warn(`espbench: InfluxDB refused a point: ${p.reason}: ${p.line.slice(0, 200)}`);
    if (points.length > 5) warn(`espbench: InfluxDB refused ${points.length - 5} more points (all kept in the spool's rejected.txt)`);
  });
  return writer;
}

/** One line for people: what reached the database and what waits in the spool. */
export function writeSummary(target: InfluxTarget, s: WriteStats): string {
  const parts = [`${s.written} points written`];
  if (s.replayed) parts.push(`${s.replayed} spooled points sent`);
  if (s.spooled) parts.push(`${s.spooled} kept in the spool`);
  if (s.rejected) parts.push(`${s.rejected} refused`);
  return `InfluxDB ${describeTarget(target)}: ${parts.join(', ')}`;
}
