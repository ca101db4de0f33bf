// npm run perf [-- options]: a benchmark, not a test. See args.ts for the options.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { generatorProcs, parsePerfArgs, USAGE, type PerfOptions } from './args.js';
import { measure, median } from './harness.js';
import { cell, formatTable, type Cell } from './report.js';
import { startEspbench, startSocat, type RunningServer } from './servers.js';

const root = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');

function socatVersion(): string | null {
  try {
    const out = execFileSync('socat', ['-V'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return /socat version (\S+)/.exec(out)?.[1] ?? 'unknown';
  } catch {
    return null;
  }
}

async function run(o: PerfOptions): Promise<void> {
  const version = o.socat ? socatVersion() : null;
  if (o.socat && !version) throw new Error('socat not found: install it (Debian/Ubuntu: apt-get install -y socat) or pass --no-socat');
  const servers: RunningServer[] = [];
  try {
    const espbench = await startEspbench(root, o.host, o.libServer);
    servers.push(espbench);
    const socat = o.socat ? await startSocat(o.host, o.socatBlock) : null;
    if (socat) servers.push(socat);
    const cells: Cell[] = [];
    for (const endpoint of o.endpoints) {
      for (const conns of o.connections) {
        const load = { host: o.host, warmupS: o.warmupS, seconds: o.seconds, procs: generatorProcs(o, conns) };
        const ours: number[] = [];
        const theirs: number[] = [];
        // Alternate the two servers so that drifting machine load does not favour one.
        for (let i = 0; i < o.repeat; i++) {
          ours.push(await measure(root, espbench, endpoint, conns, load));
          if (socat) theirs.push(await measure(root, socat, endpoint, conns, load));
        }
        const c = cell(endpoint, conns, median(ours), socat ? median(theirs) : null);
        cells.push(c);
        if (!o.json) process.stderr.write(`  ${endpoint} x${conns}: espbench ${c.espbenchMBps.toFixed(0)} MB/s${c.socatMBps === null ? '' : `, socat ${c.socatMBps.toFixed(0)} MB/s`}\n`);
      }
    }
    if (o.json) {
      const report = {
        seconds: o.seconds,
        warmupS: o.warmupS,
        repeat: o.repeat,
        unit: 'MB/s (10^6 bytes per second)',
        espbench: espbench.command,
        socat: socat ? { version, block: o.socatBlock ?? 8192, command: socat.command } : null,
        cells,
      };
      process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    } else {
      process.stdout.write(formatTable(cells) + '\n');
      process.stdout.write(`espbench: ${espbench.command}\n`);
      if (socat) process.stdout.write(`socat ${version}, block ${o.socatBlock ?? 8192} B: ${socat.command}\n`);
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

let opts: PerfOptions;
try {
  opts = parsePerfArgs(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`perf: ${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
  process.exit(2);
}
if (opts.help) {
  process.stdout.write(USAGE + '\n');
  process.exit(0);
}
run(opts).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`perf: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
