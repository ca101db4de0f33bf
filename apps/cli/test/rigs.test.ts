import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectBroker } from '@espbench/mqtt';
import { rows, startInfluxd, startMosquitto, type Influxd, type Mosquitto } from '@espbench/tools/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, espbench } from './cli.js';

// Two rigs with simulated boards of different chips, one ingester, nightly plans sent over MQTT:
// real Mosquitto, real InfluxDB, every espbench a separate process as on a lab's hosts.

const ENV = { NO_COLOR: '1', ESPBENCH_MQTT_URL: '', ESPBENCH_MQTT_USER: '', ESPBENCH_MQTT_PASSWORD: '', ESPBENCH_INFLUX_URL: '' };

interface Proc {
  child: ChildProcess;
  stderr: () => string;
  waitFor: (re: RegExp, ms?: number) => Promise<void>;
  exited: Promise<number | null>;
}

function start(args: string[]): Proc {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const waitFor = async (re: RegExp, ms = 30_000) => {
    const until = Date.now() + ms;
    while (!re.test(err)) {
      if (Date.now() > until) throw new Error(`no ${re} from espbench ${args[0]} within ${ms} ms; stderr:\n${err}`);
      if (child.exitCode !== null) throw new Error(`espbench ${args[0]} exited (${child.exitCode}); stderr:\n${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, stderr: () => err, waitFor, exited };
}

const sim = (chip: string, ip: string) => `sim:${chip}?rate=400000&duration=0.5&pause=0.2&boot=0.2&ip=${ip}`;

function planFile(dir: string, name: string, refs: string[]): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `version: 1
name: ${name}
refs: [${refs.map((r) => `{ name: ${r} }`).join(', ')}]
chips: [esp32c3, esp32c6]
iterations: 2
duration: 0.5
rigs: [rig-a, rig-b]
timeoutMinutes: 2
`,
  );
  return file;
}

describe('rigs over MQTT: agents, an ingester and nightly dispatch', () => {
  let broker: Mosquitto;
  let influx: Influxd;
  let dir: string;
  const procs: Proc[] = [];

  beforeAll(async () => {
    [broker, influx] = await Promise.all([startMosquitto(), startInfluxd()]);
    dir = mkdtempSync(join(tmpdir(), 'espbench-rigs-'));
  }, 60_000);
  afterAll(async () => {
    for (const p of procs) p.child.kill('SIGKILL');
    await Promise.all([broker?.dispose(), influx?.dispose()]);
  });

  const agent = (rig: string, chip: string, ip: string) => {
    const p = start(['agent', '--rig', rig, '--mqtt', broker.url, '-d', sim(chip, ip), '--listen', '127.0.0.1', '--results', join(dir, rig)]);
    procs.push(p);
    return p;
  };
  const ingest = (db: string) => {
    const p = start(['ingest', '--mqtt', broker.url, '--influx', influx.url, '--influx-db', db, '--results', join(dir, 'ingest'), '--client-id', `ingest-${db}`]);
    procs.push(p);
    return p;
  };
  const nightly = (plan: string, db: string, onStderr?: (text: string) => void) =>
    espbench(['nightly', '--plan', plan, '--mqtt', broker.url, '--influx', influx.url, '--influx-db', db, '--json', '--rig-wait', '20', '--results', join(dir, 'dispatch')], {
      env: ENV,
      timeoutMs: 240_000,
      ...(onStderr ? { onStderr: (text) => onStderr(text) } : {}),
    });
  const count = async (db: string, measurement: string, where = '') => {
    const r = rows(await influx.query(`SELECT count("${{ espbench_run: 'duration_s', espbench_interval: 'kibps' }[measurement] ?? 'host_kibps'}") FROM "${measurement}"${where}`, db));
    return (r[0]?.count as number | undefined) ?? 0;
  };

  it('every item runs on a rig with its chip and every result reaches InfluxDB once', async () => {
    await influx.query('CREATE DATABASE "lab"');
    const ing = ingest('lab');
    await ing.waitFor(/connected to .* share group/);
    const a = agent('rig-a', 'esp32c3', '127.0.0.91');
    const b = agent('rig-b', 'esp32c6', '127.0.0.92');
    await Promise.all([a.waitFor(/online with/), b.waitFor(/online with/)]);

    const run = await nightly(planFile(dir, 'n1', ['v1', 'v2']), 'lab');
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.dispatch).toBe('mqtt');
    const items = summary.items as { id: string; chip: string; rig: string; status: string; ok: number; failed: number; runIds: string[] }[];
    expect(items.map((i) => `${i.id} ${i.rig} ${i.status} ${i.ok}/${i.failed}`)).toEqual([
      'n1.v1.esp32c3 rig-a ok 6/0',
      'n1.v1.esp32c6 rig-b ok 6/0',
      'n1.v2.esp32c3 rig-a ok 6/0',
      'n1.v2.esp32c6 rig-b ok 6/0',
    ]);
    const runIds = items.flatMap((i) => i.runIds);
    expect(runIds).toHaveLength(4);
    // Exactly once: 4 runs x 2 iterations x 3 tests, each result one point, each run one point.
    expect(await count('lab', 'espbench_result')).toBe(24);
    expect(await count('lab', 'espbench_run')).toBe(4);
    const byRig = rows(await influx.query('SELECT count("host_kibps") FROM "espbench_result" GROUP BY "rig", "chip"', 'lab')).map((r) => `${r.rig} ${r.chip} ${r.count}`);
    expect(byRig.sort()).toEqual(['rig-a esp32c3 12', 'rig-b esp32c6 12']);
    // Live intervals arrived too, tagged like the record's.
    expect(await count('lab', 'espbench_interval', ` WHERE "run_id" = '${runIds[0]}'`)).toBeGreaterThan(0);
    // The checks ran against the database's history (too little of it yet).
    expect(items.length).toBe(4);
    expect((summary.items[0].checks as { verdict: string }[]).map((c) => c.verdict)).toEqual(['not enough data', 'not enough data', 'not enough data']);

    // Retained announcements: status online and the boards with their chips.
    const seen = await retained(broker.url, ['espbench/v1/rigs/rig-a/status', 'espbench/v1/rigs/rig-b/devices']);
    expect(JSON.parse(seen['espbench/v1/rigs/rig-a/status']!)).toMatchObject({ v: 1, rig: 'rig-a', state: 'online' });
    expect(JSON.parse(seen['espbench/v1/rigs/rig-b/devices']!).devices).toEqual([expect.objectContaining({ uri: sim('esp32c6', '127.0.0.92'), chip: 'esp32c6', busy: false })]);

    // A chip no rig has: not run, said why, exit 1.
    const h2 = join(dir, 'h2.yaml');
    writeFileSync(h2, 'version: 1\nname: h2\nrefs: [{ name: v1 }]\nchips: [esp32h2]\niterations: 1\nrigs: [rig-a, rig-b]\nscenarios: [ble-notify]\n');
    const none = await nightly(h2, 'lab');
    expect(none.code).toBe(1);
    expect(JSON.parse(none.stdout).items[0]).toMatchObject({ status: 'no-rig', why: 'no rig online with an esp32h2 board (rig-a: esp32c3; rig-b: esp32c6)' });

    // A clean stop says offline (retained), not through the last will.
    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    const after = await retained(broker.url, ['espbench/v1/rigs/rig-a/status']);
    expect(JSON.parse(after['espbench/v1/rigs/rig-a/status']!)).toMatchObject({ state: 'offline', since: expect.any(String) });
    b.child.kill('SIGTERM');
    ing.child.kill('SIGTERM');
    await Promise.all([b.exited, ing.exited]);
  }, 300_000);

  it('a broker restart and an agent killed and restarted mid-run lose and duplicate nothing', async () => {
    await influx.query('CREATE DATABASE "faults"');
    const ing = ingest('faults');
    await ing.waitFor(/connected to .* share group/);
    let a = agent('rig-a', 'esp32c3', '127.0.0.93');
    const b = agent('rig-b', 'esp32c6', '127.0.0.94');
    await Promise.all([a.waitFor(/online with/), b.waitFor(/online with/)]);

    // Once both rigs run their first item: restart the broker. Once rig-a runs its second item: SIGKILL it
    // 1.5 s into the run and start it again.
    const until = async (cond: () => boolean) => {
      while (!cond()) await new Promise((r) => setTimeout(r, 50));
    };
    const running = (p: Proc) => (p.stderr().match(/: running on /g) ?? []).length;
    const faults = (async () => {
      await until(() => running(a) >= 1 && running(b) >= 1);
      await new Promise((r) => setTimeout(r, 1500));
      await broker.stop();
      await new Promise((r) => setTimeout(r, 1000));
      await broker.start();
      await until(() => running(a) >= 2);
      await new Promise((r) => setTimeout(r, 1500));
      expect(a.stderr()).not.toMatch(/n2-[^:]*-3: done/);
      a.child.kill('SIGKILL');
      await a.exited;
      a = agent('rig-a', 'esp32c3', '127.0.0.93');
    })();
    const run = await nightly(planFile(dir, 'n2', ['v3', 'v4']), 'faults');
    await faults;
    expect(run.code, `${run.stderr}\n--- rig-a:\n${a.stderr()}`).toBe(0);
    const items = JSON.parse(run.stdout).items as { id: string; rig: string; status: string; ok: number; runIds: string[] }[];
    expect(items.map((i) => `${i.id} ${i.rig} ${i.status} ${i.ok}`)).toEqual(['n2.v3.esp32c3 rig-a ok 6', 'n2.v3.esp32c6 rig-b ok 6', 'n2.v4.esp32c3 rig-a ok 6', 'n2.v4.esp32c6 rig-b ok 6']);
    // The restarted agent kept the run it was killed in as aborted and ran the command again.
    expect(a.stderr()).toMatch(/was cut short when the agent stopped; kept as aborted, the command runs again/);
    const killedItem = items[2]!;
    expect(killedItem.runIds).toHaveLength(2);

    // Every result exactly once; the aborted run is there as a run without results.
    expect(await count('faults', 'espbench_result')).toBe(24);
    const runs = rows(await influx.query('SELECT "duration_s", "results" FROM "espbench_run" GROUP BY "status", "run_id"', 'faults'));
    expect(runs.map((r) => `${r.status} ${r.results}`).sort()).toEqual(['aborted 0', 'ok 6', 'ok 6', 'ok 6', 'ok 6']);
    expect(runs.map((r) => r.run_id).sort()).toEqual(items.flatMap((i) => i.runIds).sort());

    for (const p of [a, b, ing]) p.child.kill('SIGTERM');
    await Promise.all([a.exited, b.exited, ing.exited]);
  }, 300_000);
});

/** The retained messages of some topics, as a new subscriber gets them. */
async function retained(url: string, topicList: string[]): Promise<Record<string, string>> {
  const got: Record<string, string> = {};
  const connection = await connectBroker(url, {
    clientId: `espbench-test-${process.pid}-${Date.now()}`,
    clean: true,
    sessionExpirySeconds: 0,
    setup: (client) => client.on('message', (topic, payload) => (got[topic] = payload.toString())),
  });
  await connection.client.subscribeAsync(topicList, { qos: 1 });
  const until = Date.now() + 5000;
  while (Object.keys(got).length < topicList.length && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  await connection.close({ forgetSession: true });
  return got;
}
