import net from 'node:net';
import { spawn } from 'node:child_process';
import { findFreePortBase } from '@espbench/traffic';
import { describe, expect, it } from 'vitest';
import { CLI, espbench } from './cli.js';

describe('espbench serve', () => {
  it('meters a connection and prints it as JSON when it ends', async () => {
    const base = await findFreePortBase('127.0.0.1');
    const child = spawn(process.execPath, [CLI, 'serve', '--listen', '127.0.0.1', '--port-base', String(base), '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      // Wait until it listens, then upload 100 KiB and close.
      for (let i = 0; ; i++) {
        const ok = await new Promise<boolean>((resolve) => {
          const s = net.connect({ host: '127.0.0.1', port: base + 1 }, () => {
            s.end(Buffer.alloc(100 * 1024, 1), () => resolve(true));
          });
          s.on('error', () => resolve(false));
        });
        if (ok) break;
        if (i > 100) throw new Error('serve never listened');
        await new Promise((r) => setTimeout(r, 50));
      }
      for (let i = 0; i < 100 && !out.includes('\n'); i++) await new Promise((r) => setTimeout(r, 50));
      const summary = JSON.parse(out.split('\n')[0]!);
      expect(summary).toMatchObject({ endpoint: 'upload', remoteAddress: '127.0.0.1', rxBytes: 100 * 1024 });
      expect(summary.estimate).toMatchObject({ direction: 'rx', bytes: 100 * 1024, method: 'received' });
    } finally {
      child.kill('SIGINT');
      await new Promise((r) => child.once('close', r));
    }
  });
});

describe('espbench devices', () => {
  it('--json lists serial ports as an array', async () => {
    const r = await espbench(['devices', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(Array.isArray(JSON.parse(r.stdout))).toBe(true);
  });
});
