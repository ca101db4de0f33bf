// node tools/dist/perf/serve-main.js <host> <portBase>
// The espbench traffic server on its own (--lib-server), to tell the library's throughput from the
// CLI's. Stops on SIGTERM/SIGINT.
import { TrafficServer } from '@espbench/traffic';

const [host = '127.0.0.1', portBase = '4321'] = process.argv.slice(2);
const server = await TrafficServer.start({ host, portBase: Number(portBase) });
const stop = () => void server.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
