import { spawn, type ChildProcess } from 'node:child_process';
import { describe, expect, it, type TestContext } from 'vitest';
import { IdfIperfSimProcess } from './driver.js';

type Cleanup = TestContext['onTestFinished'];

async function boot(uri: string, cleanup: Cleanup): Promise<IdfIperfSimProcess> {
  const sim = IdfIperfSimProcess.spawn(uri);
  cleanup(async () => {
    await sim.kill();
  });
  await sim.prompt(1);
  return sim;
}

async function connect(sim: IdfIperfSimProcess, gen: 1 | 2 | 3): Promise<void> {
  sim.send(gen === 1 ? 'sta espbench-ap espbench-pass' : 'sta_connect espbench-ap espbench-pass');
  await sim.line(/esp_netif_handlers: sta ip: /);
}

/** A real iperf 2 process; resolves with its stdout when it exits. */
function iperf(args: string[], cleanup: Cleanup): { child: ChildProcess; output: Promise<string> } {
  const child = spawn('iperf', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  cleanup(() => {
    if (child.exitCode === null) child.kill('SIGTERM');
  });
  let text = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (text += c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (text += c));
  const output = new Promise<string>((resolve) => child.on('exit', () => resolve(text)));
  return { child, output };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let nextPort = 15_000 + (process.pid % 2000) * 10;
const port = (): number => nextPort++;

describe.concurrent('idf-iperf-sim console', () => {
  it('boots with ROM banner and IDF log, echoes input, answers heap, sta_connect and sta_scan (generation 3)', async ({ onTestFinished }) => {
    const sim = await boot('sim:esp32c6?fw=idf-iperf&boot=0.05&connect=0.05&ip=127.0.0.151&rssi=-52', onTestFinished);
    expect(sim.lines[0]).toBe('ESP-ROM:esp32c6-20220919');
    expect(sim.lines).toContain('I (24) boot: ESP-IDF v5.5.1 2nd stage bootloader');
    expect(sim.lines.some((l) => /^I \(\d+\) main_task: Calling app_main\(\)$/.test(l))).toBe(true);
    expect(sim.raw).toContain('\r\niperf> ');
    sim.send('heap');
    await sim.prompt(2);
    expect(sim.lines).toContain('heap'); // the echo
    expect(sim.lines.find((l) => l.startsWith('min heap size: '))).toMatch(/^min heap size: \d+$/);
    await connect(sim, 3);
    expect(sim.lines).toContain('I (' + sim.lines.find((l) => l.includes('Connecting to'))!.slice(3).split(')')[0] + ') iperf: Connecting to espbench-ap...');
    expect(sim.lines.find((l) => l.includes('sta ip'))).toMatch(/^I \(\d+\) esp_netif_handlers: sta ip: 127\.0\.0\.151, mask: 255\.255\.255\.0, gw: 127\.0\.0\.1$/);
    sim.send('sta_scan');
    await sim.line(/SCAN_DONE: Found 4 APs/);
    expect(sim.lines.find((l) => l.includes('[espbench-ap]'))).toMatch(/\+SCAN:\[[0-9a-f:]{17}\]\[espbench-ap\]\[rssi=-52\]\[authmode=3\]\[ch=6\]/);
    sim.send('bogus');
    await sim.line(/^Unrecognized command$/);
  });

  it('wrong password: disconnect reason and reconnect attempts, no IP (generation 2 and 1)', async ({ onTestFinished }) => {
    const sim = await boot('sim:esp32c3?fw=idf-iperf&report=2&boot=0.05&connect=0.05&ip=127.0.0.152', onTestFinished);
    sim.send('sta_connect espbench-ap wrong');
    await sim.line(/WIFI_EVENT_STA_DISCONNECTED! reason: 15$/);
    await sim.line(/iperf: trying to reconnect\.\.\.$/);
    sim.send('sta_connect elsewhere x');
    await sim.line(/WIFI_EVENT_STA_DISCONNECTED! reason: 201$/);
    expect(sim.lines.some((l) => l.includes('sta ip:'))).toBe(false);

    const old = await boot('sim:esp32?fw=idf-iperf&report=1&boot=0.05&connect=0.05&ip=127.0.0.153', onTestFinished);
    old.send('sta espbench-ap wrong');
    await old.line(/cmd_wifi: sta connecting to 'espbench-ap'$/);
    await old.line(/cmd_wifi: sta disconnect, reconnect\.\.\.$/);
    old.send('iperf -c 127.0.0.1 -t 1');
    await old.line(/E \(\d+\) cmd_wifi: sta has no IP$/, 8000);
  });

  it('TCP upload to a real iperf -s at rate=500000 for 2 s: report lines and iperf agree within 2% (generation 3)', async ({ onTestFinished }) => {
    const p = port();
    const server = iperf(['-s', '-B', '127.0.0.1', '-p', String(p), '-y', 'C'], onTestFinished);
    await sleep(300);
    const sim = await boot('sim:esp32c3?fw=idf-iperf&boot=0.05&connect=0.05&ip=127.0.0.154&rate=500000', onTestFinished);
    await connect(sim, 3);
    sim.send(`iperf -c 127.0.0.1 -p ${p} -i 1 -t 2 -f k`);
    const summary = await sim.line(/^\[ {2}1\] {2}0\.0- 2\.0 sec\t/, 8000);
    const intervals = sim.lines.filter((l) => /^\[ {2}1\] +\d+\.0- ?\d+\.0 sec\t/.test(l));
    expect(intervals).toHaveLength(3);
    const kbytes = Number(/\t([\d.]+) KBytes\t/.exec(summary.line)![1]);
    expect(kbytes * 1000).toBeGreaterThan(1_000_000 * 0.98);
    expect(kbytes * 1000).toBeLessThan(1_000_000 * 1.02);
    // iperf -s prints its CSV report when the sim closes the connection.
    await sleep(500);
    server.child.kill('SIGTERM');
    const csv = (await server.output).trim().split('\n').filter((l) => l.includes(',127.0.0.154,'));
    expect(csv).toHaveLength(1);
    const hostBytes = Number(csv[0]!.split(',')[7]);
    expect(Math.abs(hostBytes - kbytes * 1000) / hostBytes).toBeLessThan(0.02);
    expect(sim.lines.some((l) => /^\[ {2}1\] local 127\.0\.0\.154:\d+ connected to 127\.0\.0\.1:\d+$/.test(l))).toBe(true);
  });

  it('download: a real iperf -c to the sim as server; the sim reads at the shaped rate (generation 3)', async ({ onTestFinished }) => {
    const p = port();
    const sim = await boot('sim:esp32c3?fw=idf-iperf&boot=0.05&connect=0.05&ip=127.0.0.155&rate=250000', onTestFinished);
    await connect(sim, 3);
    sim.send(`iperf -s -p ${p} -i 1 -t 2`);
    await sim.line(/Socket created$/);
    const client = iperf(['-c', '127.0.0.155', '-p', String(p), '-t', '2'], onTestFinished);
    const summary = await sim.line(/^\[ {2}1\] {2}0\.0- 2\.0 sec\t/, 8000);
    expect(sim.lines.some((l) => /iperf\(id=1\): accept: 127\.0\.0\.1,\d+$/.test(l))).toBe(true);
    const mbytes = Number(/\t([\d.]+) MBytes\t/.exec(summary.line)![1]);
    expect(mbytes).toBeGreaterThanOrEqual(0.49 * 0.98);
    expect(mbytes).toBeLessThanOrEqual(0.5 * 1.02 + 0.005);
    await client.output;
  });

  it('iperf -a stops a running test with a summary (generation 1 formats)', async ({ onTestFinished }) => {
    const p = port();
    iperf(['-s', '-B', '127.0.0.1', '-p', String(p)], onTestFinished);
    await sleep(300);
    const sim = await boot('sim:esp32?fw=idf-iperf&report=1&boot=0.05&connect=0.05&ip=127.0.0.156&rate=125000', onTestFinished);
    await connect(sim, 1);
    sim.send(`iperf -c 127.0.0.1 -p ${p} -i 1 -t 30`);
    await sim.line(/cmd_wifi: mode=tcp-client sip=127\.0\.0\.156:5001, dip=127\.0\.0\.1:\d+, interval=1, time=30$/);
    const first = await sim.line(/^ {3}0- {3}1 sec {7}[\d.]+ Mbits\/sec$/, 5000);
    expect(sim.lines[first.index - 1]).toBe('        Interval Bandwidth');
    expect(Number(/([\d.]+) Mbits/.exec(first.line)![1])).toBeCloseTo(1.0, 1);
    sim.send('iperf -a');
    await sim.line(/iperf: wait current iperf to stop \.\.\.$/);
    await sim.line(/^ {3}0- {2}30 sec {7}[\d.]+ Mbits\/sec$/);
    await sim.line(/I \(\d+\) iperf: iperf exit$/);
  });

  it('generation 2 report lines and UDP upload to a real iperf -s -u', async ({ onTestFinished }) => {
    const p = port();
    const server = iperf(['-s', '-u', '-B', '127.0.0.1', '-p', String(p)], onTestFinished);
    await sleep(300);
    const sim = await boot('sim:esp32s3?fw=idf-iperf&report=2&boot=0.05&connect=0.05&ip=127.0.0.157&rate=1000000', onTestFinished);
    await connect(sim, 2);
    sim.send(`iperf -c 127.0.0.1 -u -p ${p} -i 1 -t 2 -b 2`);
    const summary = await sim.line(/^ 0\.0- 2\.0 sec {2}[\d.]+ Mbits\/sec$/, 8000);
    const lines = sim.lines.filter((l) => / sec {2}[\d.]+ Mbits\/sec$/.test(l));
    expect(lines).toHaveLength(3);
    expect(sim.lines).toContain('Interval       Bandwidth');
    // -b 2 (Mbits/sec) -> 250 000 B/s -> 1.91 "Mbits/sec" in 2^20 units
    expect(Number(/([\d.]+) Mbits/.exec(summary.line)![1])).toBeCloseTo(1.91, 1);
    await sim.line(/iperf: iperf exit$/);
    await sleep(300);
    server.child.kill('SIGTERM');
    const out = await server.output;
    expect(out).toMatch(/127\.0\.0\.157 port \d+/);
    expect(out).toMatch(/ 0\.0+-[\d.]+ sec +[\d.]+ KBytes/);
  });
});

describe.concurrent('idf-iperf-sim faults', () => {
  it('fault=no-prompt: boots, never shows the prompt, ignores input', async ({ onTestFinished }) => {
    const sim = IdfIperfSimProcess.spawn('sim:esp32c3?fw=idf-iperf&boot=0.05&fault=no-prompt&ip=127.0.0.158');
    onTestFinished(async () => {
      await sim.kill();
    });
    await sim.line(/Steps to test WiFi throughput/);
    sim.send('heap');
    await sleep(400);
    expect(sim.prompts).toBe(0);
    expect(sim.lines.some((l) => l.startsWith('min heap size'))).toBe(false);
  });

  it('fault=reject-iperf: the iperf command gets an argument error, other commands work', async ({ onTestFinished }) => {
    const sim = await boot('sim:esp32c3?fw=idf-iperf&boot=0.05&connect=0.05&fault=reject-iperf&ip=127.0.0.159', onTestFinished);
    await connect(sim, 3);
    sim.send('iperf -c 127.0.0.1 -i 1 -t 2');
    await sim.line(/^iperf: invalid option "-c"$/);
    await sim.line(/^Command returned non-zero error code: 0x1 \(UNKNOWN ERROR\)$/);
    sim.send('heap');
    await sim.line(/^min heap size: \d+$/);
  });
});
