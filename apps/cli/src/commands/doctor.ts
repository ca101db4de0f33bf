import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { networkInterfaces, userInfo } from 'node:os';
import type { Command } from 'commander';
import { findEspflash, FlashError, INSTALL_HINT } from '@espbench/flash';
import { EXIT, parsePort } from '../errors.js';
import { colours } from '../render/style.js';
import { table } from '../render/table.js';

interface DoctorFlags {
  json?: boolean;
  portBase: number;
  listen: string;
  espflash?: string;
}

/** `problem` fails the doctor (exit 1); `note` is worth knowing but does not stop a benchmark. */
export type CheckStatus = 'ok' | 'problem' | 'note';

export interface Check {
  check: string;
  status: CheckStatus;
  detail: string;
  /** One line: what to do. Null when there is nothing to do. */
  fix: string | null;
}

export interface HostAddress {
  interface: string;
  address: string;
  cidr: string | null;
}

/** IPv4 addresses of this host besides loopback: esp-hal's bench firmware has HOST_IP (an IPv4 address) compiled in. */
export function hostAddresses(): HostAddress[] {
  const out: HostAddress[] = [];
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.family === 'IPv4' && !a.internal) out.push({ interface: name, address: a.address, cidr: a.cidr });
    }
  }
  return out;
}

function addressCheck(addrs: HostAddress[]): Check {
  if (!addrs.length) {
    return { check: 'host address', status: 'problem', detail: 'no IPv4 address besides loopback', fix: "connect this host to the boards' network (the WiFi access point's LAN), then build the firmware with HOST_IP set to its address" };
  }
  return { check: 'host address', status: 'ok', detail: addrs.map((a) => a.address).join(', '), fix: null };
}

/** Bind the port like the traffic server does, then connect to it over loopback. */
async function portCheck(listen: string, port: number): Promise<Check> {
  const name = `traffic port ${port}`;
  const server = createServer((s) => s.destroy());
  const bound = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err));
    server.listen({ host: listen, port, exclusive: true }, () => resolve(null));
  });
  if (bound) {
    if (bound.code === 'EADDRINUSE') {
      return { check: name, status: 'problem', detail: `${listen}:${port} is in use by another program (a bench-server, espbench serve or run?)`, fix: `stop it (ss -ltnp 'sport = :${port}' shows which), or give run/serve another --port-base and build the firmware with those ports` };
    }
    if (bound.code === 'EACCES') return { check: name, status: 'problem', detail: `not allowed to listen on ${listen}:${port}`, fix: 'use a --port-base of 1024 or above (the firmware default is 4321)' };
    if (bound.code === 'EADDRNOTAVAIL') return { check: name, status: 'problem', detail: `${listen} is not an address of this host`, fix: 'give --listen an address from the list above, or 0.0.0.0' };
    return { check: name, status: 'problem', detail: `cannot listen on ${listen}:${port}: ${bound.message}`, fix: 'check the address and port' };
  }
  const target = listen === '0.0.0.0' || listen === '::' ? '127.0.0.1' : listen;
  const reached = await new Promise<string | null>((resolve) => {
    const socket = connect({ host: target, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('no answer within 2 s');
    }, 2000);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(null);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      resolve(err.message);
    });
  });
  await new Promise((r) => server.close(r));
  if (reached) return { check: name, status: 'problem', detail: `listening works but connecting to ${target}:${port} failed: ${reached}`, fix: 'a local firewall drops it: allow TCP 4321-4323 in (e.g. ufw allow 4321:4323/tcp)' };
  return { check: name, status: 'ok', detail: `free on ${listen}, ${target} connects`, fix: null };
}

export interface SerialAccessInput {
  uid: number;
  user: string;
  /** The groups of this session (process.getgroups()). */
  groups: number[];
  /** /dev/ttyUSB* and /dev/ttyACM* that exist now. */
  devices: { path: string; gid: number; mode: number }[];
  /** /etc/group: gid -> name and members. */
  groupTable: { name: string; gid: number; members: string[] }[];
}

/** Can this user open the boards' serial ports? Root can; otherwise the owning group (dialout) decides. */
export function serialAccessCheck(input: SerialAccessInput): Check {
  const check = 'serial ports';
  if (input.uid === 0) return { check, status: 'ok', detail: 'running as root', fix: null };
  const byGid = new Map(input.groupTable.map((g) => [g.gid, g]));
  const inSession = new Set(input.groups);
  const fix = (group: string, listed: boolean) =>
    listed ? `log out and in again (or run: newgrp ${group}) so the session has the ${group} group` : `sudo usermod -aG ${group} ${input.user}, then log out and in again`;
  const blocked = input.devices.filter((d) => !inSession.has(d.gid) && (d.mode & 0o006) !== 0o006);
  if (input.devices.length) {
    if (!blocked.length) return { check, status: 'ok', detail: `${input.devices.map((d) => d.path).join(', ')}: readable and writable by this user`, fix: null };
    const d = blocked[0]!;
    const group = byGid.get(d.gid);
    const name = group?.name ?? String(d.gid);
    return { check, status: 'problem', detail: `${d.path} belongs to group ${name}, which this session is not in`, fix: fix(name, Boolean(group?.members.includes(input.user))) };
  }
  // No board plugged in: Debian and Ubuntu give serial ports to dialout (Arch: uucp).
  const group = input.groupTable.find((g) => g.name === 'dialout') ?? input.groupTable.find((g) => g.name === 'uucp');
  if (!group) return { check, status: 'note', detail: 'no /dev/ttyUSB* or /dev/ttyACM* to check and no dialout group', fix: 'plug a board in and run espbench doctor again' };
  if (inSession.has(group.gid)) return { check, status: 'ok', detail: `member of ${group.name} (no /dev/ttyUSB* or /dev/ttyACM* plugged in to check)`, fix: null };
  return { check, status: 'problem', detail: `not in group ${group.name}, which owns serial ports on this system`, fix: fix(group.name, group.members.includes(input.user)) };
}

function readGroupTable(): SerialAccessInput['groupTable'] {
  try {
    return readFileSync('/etc/group', 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => {
        const [name = '', , gid = '', members = ''] = l.split(':');
        return { name, gid: Number(gid), members: members.split(',').filter(Boolean) };
      });
  } catch {
    return [];
  }
}

function serialDevices(): SerialAccessInput['devices'] {
  let names: string[] = [];
  try {
    names = readdirSync('/dev').filter((n) => /^tty(USB|ACM)\d+$/.test(n));
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    try {
      const st = statSync(`/dev/${n}`);
      return [{ path: `/dev/${n}`, gid: st.gid, mode: st.mode }];
    } catch {
      return [];
    }
  });
}

function commandPath(name: string): string | null {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

async function espflashCheck(explicit?: string): Promise<Check> {
  try {
    const e = await findEspflash(explicit);
    return { check: 'espflash', status: 'ok', detail: `espflash ${e.version} at ${e.path}`, fix: null };
  } catch (err) {
    if (!(err instanceof FlashError)) throw err;
    const at = err.message.indexOf(INSTALL_HINT);
    const detail = at > 0 ? err.message.slice(0, at).replace(/[:,;\s]+$/, '') : err.message;
    const fix = at > 0 ? err.message.slice(at) : INSTALL_HINT;
    return { check: 'espflash', status: 'problem', detail: `${detail} (run --flash needs it)`, fix };
  }
}

function toolChecks(): Check[] {
  const checks: Check[] = [];
  if (process.platform === 'linux') {
    const udevadm = commandPath('udevadm');
    checks.push(
      udevadm
        ? { check: 'udevadm', status: 'ok', detail: udevadm, fix: null }
        : { check: 'udevadm', status: 'problem', detail: 'missing (devices, run --reset and board serial numbers need it)', fix: 'apt-get install -y udev' },
    );
  }
  const socat = commandPath('socat');
  checks.push(
    socat
      ? { check: 'socat', status: 'ok', detail: socat, fix: null }
      : { check: 'socat', status: 'note', detail: 'missing (only the test suite needs it)', fix: 'apt-get install -y socat' },
  );
  return checks;
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description("check this host for benchmarking real boards: its addresses (the firmware's HOST_IP), the traffic ports, serial port permissions, espflash, udevadm and socat")
    .option('--json', 'print the addresses and checks as JSON')
    .option('--port-base <port>', 'download port; upload is +1, upload+download +2 (what the firmware was built with)', parsePort('--port-base'), 4321)
    .option('--listen <addr>', 'the address run/serve will listen on', '0.0.0.0')
    .option('--espflash <path>', 'the espflash run --flash would use (default: espflash on PATH)')
    .addHelpText(
      'after',
      `
Examples:
  espbench doctor
  espbench doctor --port-base 5321 --json

Exit status: 0 no problem, 1 at least one problem (each comes with a one-line fix).`,
    )
    .action(async (flags: DoctorFlags) => {
      process.exitCode = await doctor(flags);
    });
}

async function doctor(flags: DoctorFlags): Promise<number> {
  const addresses = hostAddresses();
  const checks: Check[] = [addressCheck(addresses)];
  for (const port of [flags.portBase, flags.portBase + 1, flags.portBase + 2]) checks.push(await portCheck(flags.listen, port));
  if (process.platform !== 'win32') {
    checks.push(
      serialAccessCheck({ uid: process.getuid?.() ?? -1, user: userInfo().username, groups: process.getgroups?.() ?? [], devices: serialDevices(), groupTable: readGroupTable() }),
    );
  }
  checks.push(await espflashCheck(flags.espflash));
  checks.push(...toolChecks());
  const problems = checks.filter((c) => c.status === 'problem');
  if (flags.json) {
    process.stdout.write(JSON.stringify({ ok: problems.length === 0, addresses, checks }, null, 2) + '\n');
    return problems.length ? EXIT.failed : EXIT.ok;
  }
  const c = colours(process.stdout);
  const out: string[] = [];
  out.push("host addresses (build the bench firmware with HOST_IP set to the one on the boards' network):");
  if (addresses.length) for (const a of addresses) out.push(`  ${a.interface.padEnd(10)} ${a.cidr ?? a.address}`);
  else out.push('  none besides loopback');
  out.push('');
  // Padded before colouring: every status cell is as wide on screen as in characters.
  const mark = (s: CheckStatus) => (s === 'ok' ? c.green : s === 'problem' ? c.red : c.yellow)(s.padEnd(7));
  out.push(
    table<Check>(checks, [
      { header: 'check', value: (x) => x.check },
      { header: 'status', value: (x) => mark(x.status) },
      { header: 'detail', value: (x) => x.detail },
      { header: 'fix', value: (x) => x.fix ?? '' },
    ]),
  );
  out.push('');
  out.push(problems.length ? `${problems.length} problem${problems.length > 1 ? 's' : ''}: fix ${problems.length > 1 ? 'them' : 'it'} as the fix column says` : 'no problems');
  process.stdout.write(out.join('\n') + '\n');
  return problems.length ? EXIT.failed : EXIT.ok;
}
