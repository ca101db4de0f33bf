import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { findFreePortBase } from '@espbench/traffic';
import { describe, expect, it } from 'vitest';
import { serialAccessCheck, type Check } from '../src/commands/doctor.js';
import { CLI, espbench, type CliResult } from './cli.js';

/** A PATH with node and the system tools (udevadm, socat), and no espflash. */
const BARE_PATH = [dirname(process.execPath), '/usr/bin', '/bin'].join(delimiter);
/** An `espflash` that answers --version like espflash 4.0.0 does. */
const fakeDir = mkdtempSync(join(tmpdir(), 'espbench-doctor-'));
writeFileSync(join(fakeDir, 'espflash'), '#!/bin/sh\necho "espflash 4.0.0"\n', { mode: 0o755 });
const WITH_ESPFLASH = `${fakeDir}${delimiter}${BARE_PATH}`;

const hasAddress = Object.values(networkInterfaces()).some((as) => as?.some((a) => a.family === 'IPv4' && !a.internal));

interface Doctor {
  ok: boolean;
  addresses: { interface: string; address: string }[];
  checks: Check[];
}
const find = (d: Doctor, check: string) => d.checks.find((c) => c.check === check);

describe('espbench doctor', () => {
  it('--json: addresses and every check; exit 0 when nothing is a problem', async () => {
    const base = await findFreePortBase('127.0.0.1');
    const r = await espbench(['doctor', '--json', '--port-base', String(base)], { env: { PATH: WITH_ESPFLASH } });
    const d = JSON.parse(r.stdout) as Doctor;
    expect(d.checks.map((c) => c.check)).toEqual(['host address', `traffic port ${base}`, `traffic port ${base + 1}`, `traffic port ${base + 2}`, 'serial ports', 'espflash', 'udevadm', 'socat']);
    expect(find(d, 'espflash')).toMatchObject({ status: 'ok', detail: `espflash 4.0.0 at ${join(fakeDir, 'espflash')}`, fix: null });
    for (const p of [0, 1, 2]) expect(find(d, `traffic port ${base + p}`)).toMatchObject({ status: 'ok', detail: 'free on 0.0.0.0, 127.0.0.1 connects' });
    expect(find(d, 'udevadm')?.status).toBe('ok');
    expect(find(d, 'socat')?.status).toBe('ok');
    if (process.getuid?.() === 0) expect(find(d, 'serial ports')).toMatchObject({ status: 'ok', detail: 'running as root' });
    expect(d.addresses.length > 0).toBe(hasAddress);
    for (const c of d.checks) if (c.status === 'problem') expect(c.fix, c.check).toBeTruthy();
    const problems = d.checks.filter((c) => c.status === 'problem');
    expect(d.ok).toBe(problems.length === 0);
    expect(r.code).toBe(problems.length ? 1 : 0);
    if (hasAddress && process.getuid?.() === 0) expect(r.code, r.stdout).toBe(0);
  });

  it('a traffic port in use and no espflash: problems with one-line fixes, exit 1', async () => {
    const base = await findFreePortBase('127.0.0.1');
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(base + 1, '0.0.0.0', resolve));
    try {
      const r = await espbench(['doctor', '--port-base', String(base)], { env: { PATH: BARE_PATH } });
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stdout).toMatch(/^host addresses \(build the bench firmware with HOST_IP set to the one on the boards' network\):$/m);
      expect(r.stdout).toMatch(/^check\s+status\s+detail\s+fix$/m);
      expect(r.stdout).toMatch(new RegExp(`^traffic port ${base}\\s+ok\\s`, 'm'));
      expect(r.stdout).toMatch(new RegExp(`^traffic port ${base + 1}\\s+problem\\s+0\\.0\\.0\\.0:${base + 1} is in use by another program.*stop it \\(ss -ltnp 'sport = :${base + 1}' shows which\\)`, 'm'));
      expect(r.stdout).toMatch(/^espflash\s+problem\s+espflash not found on PATH \(run --flash needs it\)\s+install it with `cargo install espflash --locked`/m);
      expect(r.stdout).toMatch(new RegExp(`^${hasAddress ? 2 : 3} problems: fix them as the fix column says$`, 'm'));
      expect(r.stderr).toBe('');
    } finally {
      squatter.close();
    }
  });

  it('--port-base must be a port number', async () => {
    const r = await espbench(['doctor', '--port-base', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--port-base must be a port number/);
  });
});

/** The built CLI as another user, via util-linux setpriv. */
function asUser(args: string[], groups: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn('setpriv', ['--reuid=65534', '--regid=65534', groups, process.execPath, CLI, ...args], {
      env: { PATH: WITH_ESPFLASH, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const dialout = spawnSync('getent', ['group', 'dialout'], { encoding: 'utf8' }).stdout.split(':')[2];

describe('espbench doctor: may this user open serial ports?', () => {
  it('a user outside dialout gets the usermod fix; inside it, ok', async () => {
    const base = await findFreePortBase('127.0.0.1');
    if (process.getuid?.() !== 0 || !dialout) {
      // Only root can become another user: check this user instead (no skipped test).
      const r = await espbench(['doctor', '--json', '--port-base', String(base)], { env: { PATH: WITH_ESPFLASH } });
      const member = dialout !== undefined && process.getgroups?.().includes(Number(dialout));
      expect(find(JSON.parse(r.stdout) as Doctor, 'serial ports')?.status).toBe(member ? 'ok' : 'problem');
      return;
    }
    const outside = await asUser(['doctor', '--json', '--port-base', String(base)], '--clear-groups');
    const d = JSON.parse(outside.stdout) as Doctor;
    expect(find(d, 'serial ports')).toMatchObject({ status: 'problem', detail: expect.stringMatching(/^(not in group dialout|\/dev\/tty(USB|ACM)\d+ belongs to group)/), fix: expect.stringMatching(/^sudo usermod -aG \w+ nobody, then log out and in again$/) });
    expect(outside.code).toBe(1);
    const inside = await asUser(['doctor', '--json', '--port-base', String(base)], `--groups=${dialout}`);
    expect(find(JSON.parse(inside.stdout) as Doctor, 'serial ports')?.status).toBe('ok');
  });

  const table = [
    { name: 'dialout', gid: 20, members: ['ada'] },
    { name: 'uucp', gid: 10, members: [] },
  ];
  const ttyUSB0 = { path: '/dev/ttyUSB0', gid: 20, mode: 0o20660 };

  it('decides by the group owning the plugged-in ports', () => {
    expect(serialAccessCheck({ uid: 0, user: 'root', groups: [0], devices: [ttyUSB0], groupTable: table })).toMatchObject({ status: 'ok', detail: 'running as root' });
    expect(serialAccessCheck({ uid: 1000, user: 'bob', groups: [1000, 20], devices: [ttyUSB0], groupTable: table })).toMatchObject({ status: 'ok' });
    expect(serialAccessCheck({ uid: 1000, user: 'bob', groups: [1000], devices: [ttyUSB0], groupTable: table })).toEqual({
      check: 'serial ports',
      status: 'problem',
      detail: '/dev/ttyUSB0 belongs to group dialout, which this session is not in',
      fix: 'sudo usermod -aG dialout bob, then log out and in again',
    });
    // Added to the group but still in the old session.
    expect(serialAccessCheck({ uid: 1000, user: 'ada', groups: [1000], devices: [ttyUSB0], groupTable: table }).fix).toBe('log out and in again (or run: newgrp dialout) so the session has the dialout group');
    // A world-writable port needs no group.
    expect(serialAccessCheck({ uid: 1000, user: 'bob', groups: [1000], devices: [{ ...ttyUSB0, mode: 0o20666 }], groupTable: table }).status).toBe('ok');
  });

  it('with no board plugged in, asks for dialout (or uucp) membership', () => {
    expect(serialAccessCheck({ uid: 1000, user: 'bob', groups: [1000], devices: [], groupTable: table })).toMatchObject({ status: 'problem', detail: 'not in group dialout, which owns serial ports on this system' });
    expect(serialAccessCheck({ uid: 1000, user: 'bob', groups: [1000, 10], devices: [], groupTable: [table[1]!] })).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^member of uucp/) });
    expect(serialAccessCheck({ uid: 1000, user: 'bob', groups: [1000], devices: [], groupTable: [] }).status).toBe('note');
  });
});
