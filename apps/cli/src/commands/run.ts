import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { detectFamily, FAMILY_NAMES, familyOfSim, IDF_IPERF_SCENARIOS, parsePlan, readIdfBle, runBench, planDevices, runIdfIperf, runV1Bench, type FamilyName, type IdfIperfScenario, type Progress } from '@espbench/runner';
import { parseDeviceUri } from '@espbench/link';
import { descriptorLabels, readFirmwareImage } from '@espbench/firmware';
import { flashBoards, FlashError } from '@espbench/flash';
import { parseLabels, SCENARIOS, type RunRecord } from '@espbench/schema';
import { RunPublisher } from '@espbench/influx';
import { LocalStore, newRunId, resolveResultsDir } from '@espbench/store';
import { collect, EXIT, parsePort, parsePositiveInt, parsePositiveNumber, UsageError } from '../errors.js';
import { addInfluxOptions, influxTarget, openWriter, writeSummary, type InfluxFlags } from '../influx.js';
import { ProgressDisplay } from '../render/progress.js';
import { resultsTable } from '../render/results.js';
import { colours } from '../render/style.js';
import { VERSION } from '../version.js';

interface RunFlags extends InfluxFlags {
  scenario: string[];
  coex: string[];
  peer?: string;
  hostIp?: string;
  idfBle?: boolean;
  udpRate: number;
  udpPayload: number;
  blePhy?: '1M' | '2M' | 'coded';
  bleMtu?: number;
  bleInterval?: number;
  device: string[];
  iterations: number;
  label: string[];
  json?: boolean;
  quiet?: boolean;
  results?: string;
  listen: string;
  portBase: number;
  interval: number;
  duration: number;
  pause: number;
  attachTimeout?: number;
  flash?: string;
  espflash?: string;
  reset?: boolean;
  firmware?: FamilyName;
  ssid?: string;
  password?: string;
  promptTimeout?: number;
}

export function registerRun(program: Command): void {
  const cmd = program
    .command('run')
    .description('benchmark boards running esp-hal\'s WiFi bench firmware (download, upload, upload+download per round), or protocol-v1 firmware with --scenario/--coex (WiFi TCP/UDP, BLE, coexistence)')
    .requiredOption('-d, --device <uri>', 'board to measure, repeatable: /dev/ttyACM0, serial:///dev/ttyUSB0?baud=115200, exec:<cmd>, tcp://host:port, sim:<chip>?rate=<B/s>&duration=<s>', collect)
    .option('-n, --iterations <n>', 'firmware rounds to measure per device', parsePositiveInt('--iterations'), 1)
    .option('-l, --label <k=v>', 'label the run, repeatable (ref=v1.0.0 names the firmware version)', collect, [])
    .option('--json', 'print the RunRecord (an array for several devices) to stdout and nothing else there')
    .option('-q, --quiet', 'no progress display and no table; only why a run failed')
    .option('--results <dir>', 'local store directory (default $ESPBENCH_RESULTS or ./espbench-results)')
    .option('--listen <addr>', 'traffic server listen address', '0.0.0.0')
    .option('--port-base <port>', 'download port; upload is +1, upload+download +2 (must match the firmware)', parsePort('--port-base'), 4321)
    .option('--interval <s>', 'interval sample length, seconds', parsePositiveNumber('--interval'), 1)
    .option('--duration <s>', 'TEST_DURATION the firmware was built with (sim: devices use their own); with --scenario/--coex: seconds each run moves data; with --idf-ble: seconds of the example to take', parsePositiveNumber('--duration'), 15)
    .option('--pause <s>', 'the firmware\'s pause between rounds', parsePositiveNumber('--pause'), 10)
    .option('-s, --scenario <name>', 'protocol-v1 firmware: run this scenario (repeatable): wifi-tcp-download|upload|updown, wifi-udp-download|upload, ble-notify, ble-write', collect, [])
    .option('--coex <wifi+ble>', 'protocol-v1 firmware: measure a WiFi and a BLE scenario alone and at once, e.g. wifi-tcp-upload+ble-notify (repeatable)', collect, [])
    .option('--peer <uri>', 'the BLE peer board (protocol-v1 firmware) for ble-* scenarios')
    .option('--host-ip <ip>', 'protocol-v1 firmware: the address of this machine the board connects to (default: --listen, or 127.0.0.1 for simulators)')
    .option('--udp-rate <B/s>', 'protocol-v1 UDP scenarios: bytes per second to send', parsePositiveInt('--udp-rate'), 1_000_000)
    .option('--udp-payload <bytes>', 'protocol-v1 UDP scenarios: bytes per datagram (16-1472)', parsePositiveInt('--udp-payload'), 1400)
    .addOption(new Option('--ble-phy <phy>', 'protocol-v1 BLE scenarios: PHY to ask for').choices(['1M', '2M', 'coded']))
    .option('--ble-mtu <bytes>', 'protocol-v1 BLE scenarios: ATT MTU to ask for (23-517)', parsePositiveInt('--ble-mtu'))
    .option('--ble-interval <ms>', 'protocol-v1 BLE scenarios: connection interval to ask for, ms (7.5-4000)', parsePositiveNumber('--ble-interval'))
    .option('--idf-ble', "read ESP-IDF's BLE throughput example output (Notify Bit rate = ...) from the device instead; --duration is how many seconds of it to take")
    .option('--attach-timeout <s>', 'how long to wait for the board\'s first "Testing download..." (default: 3 x (duration + 5) + pause + 60)', parsePositiveNumber('--attach-timeout'))
    .option('--flash <image>', 'first flash this image (ELF, or a .bin from espflash save-image) to every serial --device with espflash')
    .option('--espflash <path>', 'the espflash --flash runs (default: espflash on PATH)')
    .addOption(new Option('--firmware <family>', 'the firmware family on the board (default: from a sim: URI, --scenario, or what the board prints): esp-hal (the bench loop), espbench-v1, esp-idf (ESP-IDF\'s iperf example console)').choices([...FAMILY_NAMES]))
    .option('--ssid <name>', 'esp-idf: the access point the board joins (or $ESPBENCH_WIFI_SSID)')
    .option('--password <pw>', 'esp-idf: its password; prefer $ESPBENCH_WIFI_PASSWORD, which stays out of shell history')
    .option('--prompt-timeout <s>', 'esp-idf: how long to wait for the console prompt', parsePositiveNumber('--prompt-timeout'), 20)
    .option('--reset', 'reset each serial board into its application (DTR/RTS, as espflash does after flashing) before attaching, so the run starts from a fresh boot; exec:, tcp://, sim: and pty devices cannot be reset and are measured as they run, with a warning');
  addInfluxOptions(cmd)
    .addHelpText(
      'after',
      `
Examples:
  espbench run --device /dev/ttyACM0 --iterations 5 --label ref=v1.0.0
  espbench run --device 'sim:esp32c3?rate=1000000&duration=2' --json
  espbench run -d /dev/ttyUSB0 -d /dev/ttyUSB1              # two boards at once
  espbench run -d 'exec:espflash monitor --port /dev/ttyACM0'
  espbench run -d /dev/ttyACM0 --influx http://localhost:8086   # publish live to InfluxDB
  espbench run -d /dev/ttyACM0 --peer /dev/ttyACM1 --host-ip 192.168.1.20 --coex wifi-tcp-upload+ble-notify
  espbench run -d 'exec:cat client.log' --idf-ble --duration 10
  espbench run -d /dev/ttyACM0 --reset -n 3                 # from a fresh boot
  ESPBENCH_WIFI_PASSWORD=... espbench run -d /dev/ttyUSB0 --firmware esp-idf --ssid lab-ap --host-ip 192.168.1.20 -n 5
  espbench run -d /dev/ttyACM0 --flash target/riscv32imc-unknown-none-elf/release/embassy_wifi_bench

The board must run esp-hal's qa-test embassy_wifi_bench built with HOST_IP set to this machine.
Each device gets its own run record (and run id) in the store.
Exit status: 0 all results ok, 1 a result or the run failed, 2 bad input, 130 interrupted.`,
    )
    .action(async (flags: RunFlags) => {
      process.exitCode = await run(flags);
    });
}

async function run(flags: RunFlags): Promise<number> {
  if (flags.idfBle) return runIdf(flags);
  flags.firmware = await chooseFamily(flags);
  if (flags.firmware === 'esp-idf') return runIdfIperfCli(flags);
  if (flags.firmware === 'espbench-v1' && !flags.scenario.length && !flags.coex.length) {
    throw new UsageError(`${flags.device[0]} runs protocol-v1 firmware: say what to measure with --scenario NAME (or --coex wifi+ble); see docs/protocol-v1.md`);
  }
  if (flags.scenario.length || flags.coex.length) return runV1(flags);
  if (flags.peer || flags.hostIp) throw new UsageError('--peer and --host-ip are for protocol-v1 firmware: add --scenario NAME (see docs/protocol-v1.md)');
  const labels = labelsOf(flags);
  planDevices(flags.device, flags.duration, flags.pause); // bad device URIs fail before anything starts
  if (new Set(flags.device).size !== flags.device.length) throw new UsageError('the same --device is given twice');
  const flashed = await flashFirst(flags, labels);
  if (flashed !== EXIT.ok) return flashed;
  const store = new LocalStore(resolveResultsDir(flags.results));
  const target = influxTarget(flags);
  const err = process.stderr;
  const c = colours(err);
  const display = !flags.quiet && err.isTTY ? new ProgressDisplay(err) : null;
  const log = (line: string) => {
    if (!flags.quiet) err.write(`${line}\n`);
  };
  let announced = Boolean(display);
  const warn = (line: string) => {
    display?.stop();
    err.write(`${line}\n`);
  };
  const writer = target ? openWriter(target, store.dir, warn, flags) : null;
  const publisher = writer ? new RunPublisher(writer) : null;

  const abort = new AbortController();
  const onSigint = () => {
    if (abort.signal.aborted) process.exit(EXIT.interrupted);
    log('\nespbench: interrupted; saving the runs so far (Ctrl-C again to quit at once)');
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const lastSeen = new Map<string, string>();
  const onProgress = (p: Progress) => {
    if (display) return display.update(p);
    if (!announced) {
      announced = true;
      log(`espbench: measuring ${flags.device.join(', ')} (${flags.iterations} round${flags.iterations > 1 ? 's' : ''})`);
    }
    if (p.last && lastSeen.get(p.device) !== p.last) {
      lastSeen.set(p.device, p.last);
      log(`  ${p.device} [${p.iteration}/${p.iterations}] ${p.last}`);
    }
  };

  let records: RunRecord[];
  try {
    records = await runBench({
      devices: flags.device,
      iterations: flags.iterations,
      labels,
      listen: flags.listen,
      portBase: flags.portBase,
      intervalMs: flags.interval * 1000,
      testDurationS: flags.duration,
      pauseS: flags.pause,
      timeouts: flags.attachTimeout ? { attachS: flags.attachTimeout } : {},
      signal: abort.signal,
      newRunId: () => newRunId(),
      version: VERSION,
      reset: flags.reset,
      onWarning: (line) => warn(`espbench: warning: ${line}`),
      onProgress,
      onSample: publisher ? (sample) => publisher.sample(sample) : undefined,
      onResult: publisher ? (result) => publisher.result(result) : undefined,
      onRecord: async ({ record, raw }) => {
        const file = await store.save(record);
        await store.saveRawLog(record.runId, raw);
        publisher?.record(record);
        display?.stop();
        log(`espbench: saved run ${record.runId} (${record.status}) to ${file}`);
      },
    });
  } finally {
    display?.stop();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    if (writer && target) {
      const stats = await writer.close();
      if (stats.spooled || stats.rejected || writer.error) warn(`espbench: ${writeSummary(target, stats)}`);
      else log(`espbench: ${writeSummary(target, stats)}`);
    }
  }

  if (flags.json) {
    process.stdout.write(JSON.stringify(records.length === 1 ? records[0] : records, null, 2) + '\n');
  } else if (!flags.quiet) {
    process.stdout.write(resultsTable(records, colours(process.stdout)) + '\n');
  }
  // Why a run is not ok is printed even with --quiet: an exit code alone says nothing.
  for (const r of records) {
    if (r.error) err.write(`${c.red('✗')} ${r.device.uri}: ${r.error} (espbench show ${r.runId})\n`);
  }
  if (abort.signal.aborted) return EXIT.interrupted;
  return records.every((r) => r.status === 'ok') ? EXIT.ok : EXIT.failed;
}

/** Protocol-v1 firmware (docs/protocol-v1.md): the host chooses scenarios, durations and peers. */
async function runV1(flags: RunFlags): Promise<number> {
  const labels = labelsOf(flags);
  if (flags.device.length !== 1) throw new UsageError('protocol-v1 runs take one --device (the board under test) and an optional --peer');
  for (const uri of [flags.device[0]!, ...(flags.peer ? [flags.peer] : [])]) parseDeviceUri(uri);
  const plan = parsePlan(flags.scenario, flags.coex, SCENARIOS);
  if (flags.udpPayload < 16 || flags.udpPayload > 1472) throw new UsageError(`--udp-payload must be 16-1472 bytes (the 16-byte header fits, one Ethernet-sized datagram), got ${flags.udpPayload}`);
  const allSims = [flags.device[0]!, flags.peer].every((u) => !u || u.startsWith('sim:'));
  const wifi = plan.some((p) => p.kind === 'coex' || !p.scenario.startsWith('ble-'));
  if (flags.peer && flags.peer === flags.device[0]) throw new UsageError('--peer must be another board than --device');
  if (flags.bleMtu !== undefined && (flags.bleMtu < 23 || flags.bleMtu > 517)) throw new UsageError(`--ble-mtu must be 23-517, got ${flags.bleMtu}`);
  if (flags.bleInterval !== undefined && (flags.bleInterval < 7.5 || flags.bleInterval > 4000)) throw new UsageError(`--ble-interval must be 7.5-4000 ms, got ${flags.bleInterval}`);
  // BLE runs need no host address: the boards talk to each other.
  const hostIp = flags.hostIp ?? (flags.listen !== '0.0.0.0' && flags.listen !== '::' ? flags.listen : allSims || !wifi ? '127.0.0.1' : null);
  if (!hostIp) throw new UsageError('--host-ip is needed: the address of this machine the board can reach (ip -4 addr), or --listen that address');
  const flashed = await flashFirst(flags, labels);
  if (flashed !== EXIT.ok) return flashed;
  const store = new LocalStore(resolveResultsDir(flags.results));
  const target = influxTarget(flags);
  const err = process.stderr;
  const c = colours(err);
  const log = (line: string) => {
    if (!flags.quiet) err.write(`${line}\n`);
  };
  const abort = new AbortController();
  const onSigint = () => {
    if (abort.signal.aborted) process.exit(EXIT.interrupted);
    log('\nespbench: interrupted; saving the run so far (Ctrl-C again to quit at once)');
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  log(`espbench: measuring ${flags.device[0]}${flags.peer ? ` with peer ${flags.peer}` : ''} (${flags.iterations} round${flags.iterations > 1 ? 's' : ''})`);
  let outcome;
  try {
    outcome = await runV1Bench({
      device: flags.device[0]!,
      peer: flags.peer,
      plan,
      iterations: flags.iterations,
      durationS: flags.duration,
      labels,
      hostIp,
      udpRate: flags.udpRate,
      udpPayload: flags.udpPayload,
      ble: { phy: flags.blePhy, mtu: flags.bleMtu, connIntervalMs: flags.bleInterval },
      listen: flags.listen,
      portBase: flags.portBase,
      intervalMs: flags.interval * 1000,
      signal: abort.signal,
      runId: newRunId(),
      version: VERSION,
      reset: flags.reset,
      onWarning: (line) => err.write(`espbench: warning: ${line}\n`),
      onProgress: (p) => {
        if (p.last) log(`  ${p.device} [${p.iteration}/${p.iterations}] ${p.last}`);
      },
    });
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
  const { record, raw } = outcome;
  const file = await store.save(record);
  await store.saveRawLog(record.runId, raw);
  log(`espbench: saved run ${record.runId} (${record.status}) to ${file}`);
  for (const s of record.skipped ?? []) err.write(`espbench: skipped ${s.scenario}: ${s.reason}\n`);
  if (target) {
    const writer = openWriter(target, store.dir, (line) => err.write(`${line}\n`), flags);
    new RunPublisher(writer).record(record);
    const stats = await writer.close();
    log(`espbench: ${writeSummary(target, stats)}`);
  }
  if (flags.json) process.stdout.write(JSON.stringify(record, null, 2) + '\n');
  else if (!flags.quiet) process.stdout.write(resultsTable([record], colours(process.stdout)) + '\n');
  if (record.error) err.write(`${c.red('✗')} ${record.device.uri}: ${record.error} (espbench show ${record.runId})\n`);
  if (abort.signal.aborted) return EXIT.interrupted;
  return record.status === 'ok' ? EXIT.ok : EXIT.failed;
}

/** ESP-IDF's BLE throughput examples print their own figure; record it like any other run. */
async function runIdf(flags: RunFlags): Promise<number> {
  const labels = parseLabels(flags.label);
  if (flags.device.length !== 1) throw new UsageError('--idf-ble reads one --device');
  if (flags.scenario.length || flags.coex.length || flags.peer) throw new UsageError('--idf-ble takes no --scenario, --coex or --peer: the example decides what it runs');
  parseDeviceUri(flags.device[0]!);
  const flashed = await flashFirst(flags, labels);
  if (flashed !== EXIT.ok) return flashed;
  const store = new LocalStore(resolveResultsDir(flags.results));
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.on('SIGINT', onSigint);
  let outcome;
  try {
    outcome = await readIdfBle({ device: flags.device[0]!, durationS: flags.duration, attachTimeoutS: flags.attachTimeout ?? 60, labels, runId: newRunId(), version: VERSION, signal: abort.signal, reset: flags.reset, onWarning: (line) => process.stderr.write(`espbench: warning: ${line}\n`) });
  } finally {
    process.off('SIGINT', onSigint);
  }
  return finishOne(flags, store, outcome, abort.signal.aborted);
}

/**
 * --flash: tags the run with what the image says it is (the app descriptor: project, ref, build,
 * elf_sha256; a --label given by the user wins), then writes the image to every serial --device with
 * the user's espflash (@espbench/flash). Exit 2 when espflash is missing, the image is unusable or
 * built for another chip, 1 when connecting or flashing fails, 130 when interrupted; EXIT.ok to go on.
 */
async function flashFirst(flags: RunFlags, labels: Record<string, string>): Promise<number> {
  if (flags.flash === undefined) {
    if (flags.espflash !== undefined) throw new UsageError('--espflash is the espflash that --flash runs: add --flash <image>');
    return EXIT.ok;
  }
  const ports = flags.device.map((uri) => {
    const spec = parseDeviceUri(uri);
    if (spec.kind !== 'serial') throw new UsageError(`--flash writes to serial boards, and ${uri} is not one (${spec.kind}: devices have nothing to flash): drop --flash, or give the board's serial port, e.g. /dev/ttyACM0`);
    return spec.path;
  });
  // A missing file is left to flashBoards, whose message says what to give instead.
  if (existsSync(flags.flash)) {
    const identity = descriptorLabels(await readFirmwareImage(flags.flash));
    for (const [key, value] of Object.entries(identity)) if (!(key in labels)) labels[key] = value;
  }
  const abort = new AbortController();
  const onSignal = () => (abort.signal.aborted ? process.exit(EXIT.interrupted) : abort.abort());
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const display = flags.quiet || flags.json ? 'none' : process.stderr.isTTY ? 'tty' : 'lines';
    await flashBoards({ ports, image: flags.flash, ...(flags.espflash ? { espflash: flags.espflash } : {}), signal: abort.signal, display });
    return EXIT.ok;
  } catch (err) {
    if (abort.signal.aborted) {
      process.stderr.write('espbench: interrupted while flashing: flash the board again before measuring it\n');
      return EXIT.interrupted;
    }
    if (!(err instanceof FlashError)) throw err;
    process.stderr.write(`espbench: ${err.message}\n`);
    return err.kind === 'connect' || err.kind === 'failed' ? EXIT.failed : EXIT.usage;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * --firmware, else a simulator's own, else protocol-v1 when --scenario/--coex asks for it, else what
 * the board prints (not with --flash), else esp-hal's bench loop.
 */
async function chooseFamily(flags: RunFlags): Promise<FamilyName> {
  if (flags.firmware) return flags.firmware;
  const sim = familyOfSim(flags.device[0] ?? '');
  if (sim) return sim;
  if (flags.scenario.length || flags.coex.length) return 'espbench-v1';
  // With --flash the board is about to run something else: what it prints now says nothing.
  if (flags.flash === undefined && flags.device.length === 1 && parseDeviceUri(flags.device[0]!).kind === 'serial') {
    const seen = await detectFamily(flags.device[0]!, 3000).catch(() => null);
    if (seen) {
      if (!flags.quiet && !flags.json) process.stderr.write(`espbench: ${flags.device[0]} runs ${seen} firmware (--firmware to say so)\n`);
      return seen;
    }
  }
  return 'esp-hal';
}

/** --label pairs, plus `firmware=<family>` unless given. */
function labelsOf(flags: RunFlags): Record<string, string> {
  const labels = parseLabels(flags.label);
  if (!labels.firmware && flags.firmware) labels.firmware = flags.firmware;
  return labels;
}

/** ESP-IDF's iperf example: espbench drives its console and runs iperf 2 on this host. */
async function runIdfIperfCli(flags: RunFlags): Promise<number> {
  const labels = labelsOf(flags);
  if (flags.device.length !== 1) throw new UsageError('--firmware esp-idf measures one --device');
  if (flags.coex.length || flags.peer) throw new UsageError('ESP-IDF\'s iperf example has no BLE or coexistence scenarios: drop --coex/--peer');
  const device = flags.device[0]!;
  parseDeviceUri(device);
  const scenarios = (flags.scenario.length ? flags.scenario : [...IDF_IPERF_SCENARIOS]) as IdfIperfScenario[];
  const bad = scenarios.find((s) => !(IDF_IPERF_SCENARIOS as readonly string[]).includes(s));
  if (bad) throw new UsageError(`--scenario ${bad}: ESP-IDF's iperf example measures ${IDF_IPERF_SCENARIOS.join(', ')}`);
  const sim = device.startsWith('sim:');
  const ssid = flags.ssid ?? process.env.ESPBENCH_WIFI_SSID ?? (sim ? 'espbench-ap' : undefined);
  const password = flags.password ?? process.env.ESPBENCH_WIFI_PASSWORD ?? (sim ? 'espbench-pass' : '');
  if (!ssid) throw new UsageError('--firmware esp-idf needs the access point the board joins: --ssid NAME (and $ESPBENCH_WIFI_PASSWORD)');
  const hostIp = flags.hostIp ?? (flags.listen !== '0.0.0.0' && flags.listen !== '::' ? flags.listen : sim ? '127.0.0.1' : null);
  if (!hostIp) throw new UsageError('--host-ip is needed: the address of this machine the board can reach (ip -4 addr; espbench doctor lists them)');
  const flashed = await flashFirst(flags, labels);
  if (flashed !== EXIT.ok) return flashed;
  const store = new LocalStore(resolveResultsDir(flags.results));
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.on('SIGINT', onSigint);
  const display = !flags.quiet && !flags.json && process.stderr.isTTY ? new ProgressDisplay(process.stderr) : null;
  let outcome;
  try {
    outcome = await runIdfIperf({
      device,
      scenarios,
      iterations: flags.iterations,
      durationS: flags.duration,
      labels,
      hostIp,
      ssid,
      password,
      udpBitsPerSecond: flags.udpRate * 8,
      runId: newRunId(),
      version: VERSION,
      signal: abort.signal,
      reset: flags.reset ?? false,
      promptTimeoutS: flags.promptTimeout ?? 20,
      onWarning: (line) => process.stderr.write(`espbench: warning: ${line}\n`),
      ...(display ? { onProgress: (p: Progress) => display.update(p) } : {}),
    });
  } finally {
    display?.stop();
    process.off('SIGINT', onSigint);
  }
  return finishOne(flags, store, outcome, abort.signal.aborted);
}

/** One board's finished run: stored with its serial bytes, published, printed; the exit status. */
async function finishOne(flags: RunFlags, store: LocalStore, outcome: { record: RunRecord; raw: Buffer }, aborted: boolean): Promise<number> {
  const { record, raw } = outcome;
  const file = await store.save(record);
  await store.saveRawLog(record.runId, raw);
  if (!flags.quiet) process.stderr.write(`espbench: saved run ${record.runId} (${record.status}) to ${file}\n`);
  const target = influxTarget(flags);
  if (target) {
    const writer = openWriter(target, store.dir, (line) => process.stderr.write(`${line}\n`), flags);
    new RunPublisher(writer).record(record);
    const stats = await writer.close();
    if (!flags.quiet) process.stderr.write(`espbench: ${writeSummary(target, stats)}\n`);
  }
  if (flags.json) process.stdout.write(JSON.stringify(record, null, 2) + '\n');
  else if (!flags.quiet) process.stdout.write(resultsTable([record], colours(process.stdout)) + '\n');
  if (record.error) process.stderr.write(`espbench: ${record.device.uri}: ${record.error}\n`);
  if (aborted) return EXIT.interrupted;
  return record.status === 'ok' ? EXIT.ok : EXIT.failed;
}

