import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './influxd.js';
import { requireCommand } from './require-command.js';

export interface MosquittoOptions {
  /** Turn anonymous access off and accept exactly these users (a `mosquitto_passwd` file). */
  users?: { user: string; password: string }[];
  /** Contents of an `acl_file` (mosquitto's `user`, `topic`, `pattern` lines). Needs `users`. */
  acl?: string;
  /**
   * Also listen with TLS on a second free port (`tlsUrl`): file paths of the CA that signed the server
   * and client certificates, the server's certificate and key. With `requireCertificate` a client must
   * present a certificate signed by that CA.
   */
  tls?: { ca: string; cert: string; key: string; requireCertificate?: boolean };
  /** Log at debug level too (denied publishes and subscriptions are logged at debug in 2.0). */
  debug?: boolean;
}

/** A real Mosquitto broker (Debian package `mosquitto`) on a free loopback port, config and data in a temp dir. */
export interface Mosquitto {
  /** `mqtt://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  /** `mqtts://127.0.0.1:PORT` when started with `tls`. */
  readonly tlsUrl: string | null;
  readonly dir: string;
  /** The broker's recent output (stderr and stdout). */
  output(): string;
  /** Stop the broker (SIGTERM: it saves sessions and queued messages to its persistence file). */
  stop(): Promise<void>;
  /** Start it again on the same port(s) with the same data. */
  start(): Promise<void>;
  /** Stop and delete the config and data. */
  dispose(): Promise<void>;
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startMosquitto(opts: MosquittoOptions = {}): Promise<Mosquitto> {
  const mosquitto = requireCommand('mosquitto', 'mosquitto');
  const dir = await mkdtemp(join(tmpdir(), 'espbench-mosquitto-'));
  const port = await freePort();
  const tlsPort = opts.tls ? await freePort() : null;
  const lines = [
    // Mosquitto started as root drops to user "mosquitto", which cannot write the temp dir.
    `user ${userInfo().username}`,
    'per_listener_settings false',
    'persistence true',
    `persistence_location ${dir}/`,
    'persistence_file mosquitto.db',
    'autosave_interval 1',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
    ...(opts.debug ? ['log_type debug'] : []),
    'connection_messages true',
    'max_queued_messages 100000',
    `listener ${port} 127.0.0.1`,
  ];
  if (opts.tls) {
    lines.push(
      `listener ${tlsPort} 127.0.0.1`,
      `cafile ${opts.tls.ca}`,
      `certfile ${opts.tls.cert}`,
      `keyfile ${opts.tls.key}`,
      `require_certificate ${opts.tls.requireCertificate ? 'true' : 'false'}`,
    );
  }
  if (opts.users?.length) {
    const passwd = requireCommand('mosquitto_passwd', 'mosquitto');
    const file = join(dir, 'passwd');
    opts.users.forEach((u, i) => execFileSync(passwd, [...(i === 0 ? ['-c'] : []), '-b', file, u.user, u.password], { stdio: 'pipe' }));
    lines.push('allow_anonymous false', `password_file ${file}`);
  } else {
    lines.push('allow_anonymous true');
  }
  if (opts.acl !== undefined) {
    const file = join(dir, 'acl');
    await writeFile(file, opts.acl.endsWith('\n') ? opts.acl : opts.acl + '\n');
    lines.push(`acl_file ${file}`);
  }
  const conf = join(dir, 'mosquitto.conf');
  await writeFile(conf, lines.join('\n') + '\n');

  let child: ChildProcess | null = null;
  let output = '';

  const start = async (): Promise<void> => {
    if (child) return;
    const proc = spawn(mosquitto, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    const keep = (d: Buffer) => (output = (output + d.toString()).slice(-20_000));
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) {
        child = null;
        throw new Error(`mosquitto exited with ${proc.exitCode}: ${output}`);
      }
      if ((await accepts(port)) && (tlsPort === null || (await accepts(tlsPort)))) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`mosquitto did not accept connections on port ${port} within 10 s: ${output}`);
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  await start();
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    tlsUrl: tlsPort === null ? null : `mqtts://127.0.0.1:${tlsPort}`,
    dir,
    output: () => output,
    stop,
    start,
    dispose: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface TestCertificates {
  dir: string;
  /** CA certificate (PEM) that signed both certificates below. */
  ca: string;
  /** Server certificate for 127.0.0.1 / localhost and its key. */
  serverCert: string;
  serverKey: string;
  /** Client certificate (CN `client`) and its key. */
  clientCert: string;
  clientKey: string;
  dispose(): Promise<void>;
}

/** A throwaway CA with a server and a client certificate, made with the `openssl` command. */
export async function testCertificates(): Promise<TestCertificates> {
  const openssl = requireCommand('openssl', 'openssl');
  const dir = await mkdtemp(join(tmpdir(), 'espbench-certs-'));
  const f = (name: string) => join(dir, name);
  const run = (args: string[]) => execFileSync(openssl, args, { cwd: dir, stdio: 'pipe' });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=espbench test CA', '-keyout', f('ca.key'), '-out', f('ca.crt')]);
  await writeFile(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const who of ['server', 'client']) {
    run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${who === 'server' ? '127.0.0.1' : 'client'}`, '-keyout', f(`${who}.key`), '-out', f(`${who}.csr`)]);
    run([
      'x509', '-req', '-in', f(`${who}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-out', f(`${who}.crt`),
      ...(who === 'server' ? ['-extfile', f('server.ext')] : []),
    ]);
  }
  return {
    dir,
    ca: f('ca.crt'),
    serverCert: f('server.crt'),
    serverKey: f('server.key'),
    clientCert: f('client.crt'),
    clientKey: f('client.key'),
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
