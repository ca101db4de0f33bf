// node tools/dist/perf/serve-main.js <host> <portBase>
// The espbench traffic server on its own, for when apps/cli is not built. Stops on SIGTERM/SIGINT.
// Loaded from libs/traffic/dist at run time (npm run perf builds it first), so that tools, which
// other packages' tests depend on, does not depend on the traffic library at build time.
import { fileURLToPath, pathToFileURL } from 'node:url';

interface TrafficServerLike {
  close(): Promise<void>;
}
interface TrafficModule {
  TrafficServer: { start(opts: { host: string; portBase: number }): Promise<TrafficServerLike> };
}

const [host = '127.0.0.1', portBase = '4321'] = process.argv.slice(2);
const lib = fileURLToPath(new URL('../../../libs/traffic/dist/index.js', import.meta.url));
const { TrafficServer } = (await import(pathToFileURL(lib).href)) as TrafficModule;
const server = await TrafficServer.start({ host, portBase: Number(portBase) });
const stop = () => void server.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
