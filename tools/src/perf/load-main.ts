// node tools/dist/perf/load-main.js <download|upload|echo> <host> <port> <conns> <warmupS> <seconds>
// Prints one LoadResult as JSON.
import { runLoad, type PerfEndpoint } from './load.js';

const [endpoint, host, port, conns, warmupS, seconds] = process.argv.slice(2);
runLoad(endpoint as PerfEndpoint, host ?? '127.0.0.1', Number(port), Number(conns), Number(warmupS), Number(seconds)).then(
  (r) => {
    process.stdout.write(JSON.stringify(r) + '\n');
    process.exit(0);
  },
  (err: unknown) => {
    process.stderr.write(`perf load: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
