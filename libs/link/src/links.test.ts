import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { ptyPair } from '@espbench/tools/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { LinkError } from './errors.js';
import type { LineLink, LinkLine } from './link.js';
import { createLink } from './open.js';

const opened: LineLink[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((l) => l.close()));
});

function collect(link: LineLink, count: number, timeoutMs = 5000): Promise<LinkLine[]> {
  const got: LinkLine[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${got.length} of ${count} lines: ${JSON.stringify(got.map((l) => l.line))}`)), timeoutMs);
    link.on('line', (l) => {
      got.push(l);
      if (got.length === count) {
        clearTimeout(timer);
        resolve(got);
      }
    });
  });
}

async function open(uri: string): Promise<LineLink> {
  const link = createLink(uri);
  opened.push(link);
  await link.open();
  return link;
}

describe('exec: link', () => {
  it('reads a child process stdout as lines and reports its exit', async () => {
    const link = createLink(`exec:printf 'Testing download...\\r\\n\\033[32mok\\033[0m\\r\\n'; exit 3`);
    opened.push(link);
    const lines = collect(link, 2);
    const closed = new Promise<string | null>((r) => link.on('close', r));
    await link.open();
    expect((await lines).map((l) => l.line)).toEqual(['Testing download...', 'ok']);
    expect(await closed).toMatch(/exited with code 3/);
  });

  it('writes to the child stdin', async () => {
    const link = await open('exec:head -n 1');
    const lines = collect(link, 1);
    await link.write('hello board\n');
    expect((await lines)[0]!.line).toBe('hello board');
  });
});

describe('exec: pipelines', () => {
  it('closing stops the whole pipeline, not only the shell in front of it', async () => {
    const link = createLink('exec:echo ready; sleep 30 | cat');
    await link.open();
    await collect(link, 1);
    const started = Date.now();
    await link.close();
    expect(Date.now() - started).toBeLessThan(1500);
  });
});

describe('tcp:// link', () => {
  it('reads raw serial over TCP like ser2net serves it', async () => {
    const server = net.createServer((s) => s.end('Got IP: 192.168.1.50/24\r\nupload: 12 kB/s\r\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const link = createLink(`tcp://127.0.0.1:${port}`);
      opened.push(link);
      const lines = collect(link, 2);
      await link.open();
      expect((await lines).map((l) => l.line)).toEqual(['Got IP: 192.168.1.50/24', 'upload: 12 kB/s']);
    } finally {
      server.close();
    }
  });

  it('fails to connect with a LinkError naming the address', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((r) => server.close(r));
    await expect(open(`tcp://127.0.0.1:${port}`)).rejects.toThrow(new RegExp(`cannot connect to tcp://127.0.0.1:${port}`));
  });
});

describe('serial link over a real pty', () => {
  it('reads lines through the serialport bindings', async () => {
    const pty = await ptyPair();
    try {
      const link = await open(pty.path);
      const lines = collect(link, 2);
      writeFileSync(pty.peer, 'ESP-ROM:esp32c3-api1-20210207\r\nrst:0x1 (POWERON),boot:0xc (SPI_FAST_FLASH_BOOT)\r\n');
      expect((await lines).map((l) => l.line)).toEqual([
        'ESP-ROM:esp32c3-api1-20210207',
        'rst:0x1 (POWERON),boot:0xc (SPI_FAST_FLASH_BOOT)',
      ]);
    } finally {
      await pty.close();
    }
  });

  it('reports a missing port with the fix', async () => {
    const err = await open('/dev/ttyESPBENCH-missing').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LinkError);
    expect((err as LinkError).code).toBe('no-such-port');
    expect((err as LinkError).message).toMatch(/espbench devices/);
  });

  it('reports a port held by another process as busy', async () => {
    const pty = await ptyPair();
    try {
      await open(pty.path);
      const err = await open(pty.path).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LinkError);
      expect((err as LinkError).code).toBe('port-busy');
    } finally {
      await pty.close();
    }
  });
});
