import type { Command } from 'commander';
import { brokerAccess } from '@espbench/mqtt';
import { Agent, parseBoard, type RigBoard } from '@espbench/rig';
import { LocalStore, resolveResultsDir } from '@espbench/store';
import { EXIT, UsageError } from '../errors.js';
import { addMqttOptions, mqttSettings, type MqttFlags } from '../mqtt.js';
import { VERSION } from '../version.js';

interface AgentFlags extends MqttFlags {
  rig?: string;
  device: string[];
  firmwareDir?: string;
  espflash?: string;
  results?: string;
  listen: string;
  hostIp?: string;
  clientId?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerAgent(program: Command): void {
  const cmd = program
    .command('agent')
    .description('run on a rig host: announce the rig and its boards over MQTT, run the commands sent to it, publish progress and results')
    .option('--rig <name>', 'this rig\'s name (letters, digits, . _ -); with an ACL, also its broker user name')
    .option('-d, --device <board>', 'a board of this rig, repeatable: /dev/ttyACM0, esp32c3=/dev/ttyACM0 (chip declared), sim:esp32c6?fw=v1', collect, [])
    .option('--firmware-dir <dir>', 'the only place firmware images named in commands are taken from')
    .option('--espflash <path>', 'the espflash that flashes commands\' images to serial boards (default: espflash on PATH)')
    .option('--listen <addr>', 'traffic server listen address', '0.0.0.0')
    .option('--host-ip <ip>', 'protocol-v1 WiFi scenarios: the address of this host the boards connect to')
    .option('--client-id <id>', 'MQTT client id (default espbench-agent-<rig>); keep it fixed, the broker queues commands under it')
    .option('--results <dir>', 'local store directory (default $ESPBENCH_RESULTS or ./espbench-results)');
  addMqttOptions(cmd)
    .addHelpText(
      'after',
      `
Examples:
  espbench agent --rig rig-a --mqtt mqtt://broker.lab:1883 -d esp32c3=/dev/ttyACM0 -d esp32c6=/dev/ttyACM1
  ESPBENCH_MQTT_USER=rig-a ESPBENCH_MQTT_PASSWORD=... espbench agent --rig rig-a \\
    --mqtt mqtts://broker.lab:8883 --mqtt-ca ca.crt -d /dev/ttyACM0 --firmware-dir /srv/firmware
  espbench agent --rig sim-rig --mqtt mqtt://localhost:1883 -d 'sim:esp32c3?rate=1000000&duration=2'

Commands are data (docs/mqtt.md): they pick boards given here and image names in --firmware-dir,
never a command line. Records are stored in --results before they are published and are
published again until the broker acknowledges them. Stop with Ctrl-C or SIGTERM: a running
command is stopped, its run kept as aborted, and the command runs again when the agent is back.`,
    )
    .action(async (flags: AgentFlags) => {
      process.exitCode = await agent(flags);
    });
}

async function agent(flags: AgentFlags): Promise<number> {
  if (!flags.rig) throw new UsageError('--rig <name> is required: the name this rig has on the broker');
  if (!flags.device.length) throw new UsageError('give the rig\'s boards with --device (repeatable), e.g. --device esp32c3=/dev/ttyACM0');
  const mqtt = mqttSettings(flags);
  let boards: RigBoard[];
  try {
    boards = flags.device.map(parseBoard);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const dupe = boards.find((b, i) => boards.findIndex((o) => o.uri === b.uri) !== i);
  if (dupe) throw new UsageError(`--device ${dupe.uri} is given twice`);
  const store = new LocalStore(resolveResultsDir(flags.results));
  const log = (line: string) => process.stderr.write(`espbench agent ${flags.rig}: ${line}\n`);
  const instance = new Agent({
    rig: flags.rig,
    boards,
    store,
    ...(flags.firmwareDir ? { firmwareDir: flags.firmwareDir } : {}),
    ...(flags.espflash ? { espflash: flags.espflash } : {}),
    listen: flags.listen,
    hostIp: flags.hostIp ?? null,
    ...(flags.clientId ? { clientId: flags.clientId } : {}),
    ...brokerAccess(mqtt),
    version: VERSION,
    log,
  });
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await instance.connect(mqtt.url);
  log(`online with ${boards.map((b) => `${b.uri}${b.chip ? ` (${b.chip})` : ''}`).join(', ')}; results in ${store.dir}`);
  await stopped;
  log('stopping');
  await instance.stop();
  const left = instance.unacknowledged;
  if (left.length) log(`${left.length} record(s) not yet acknowledged by the broker stay in the outbox and are published when the agent runs again`);
  return EXIT.ok;
}
