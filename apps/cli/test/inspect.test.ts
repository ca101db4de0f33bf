import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// The byte-by-byte image and ELF builders of @espbench/firmware's own tests.
import { appImage, descriptor, elf32 } from '../../../libs/firmware/test/build.js';
import { espbench, type CliResult } from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'espbench-inspect-'));
function write(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

const SHA = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + i);
const SHA_HEX = Buffer.from(SHA).toString('hex');

function expectUsageError(r: CliResult, message: RegExp) {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^espbench: /);
  expect(lines[0]).toMatch(message);
}

describe('espbench inspect', () => {
  const bin = write(
    'c6.bin',
    appImage({ chipId: 13, desc: descriptor({ projectName: 'qa-test', version: 'v1.0.0', date: '2026-05-01', time: '12:34:56', idfVersion: 'v5.5.1', appElfSha256: SHA }) }),
  );

  it('prints a key/value table with the labels a run gets', async () => {
    const r = await espbench(['inspect', bin]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const rows = Object.fromEntries(r.stdout.trimEnd().split('\n').map((l) => [l.slice(0, l.indexOf('  ')), l.slice(l.indexOf('  ')).trim()]));
    expect(rows).toMatchObject({
      file: expect.stringMatching(/c6\.bin \(app image, \d+ bytes\)$/),
      chip: 'esp32c6 (chip id 13, riscv)',
      project: 'qa-test',
      version: 'v1.0.0',
      built: '2026-05-01 12:34:56',
      'esp-idf': 'v5.5.1',
      'elf sha256': SHA_HEX,
      labels: `project=qa-test ref=v1.0.0 build=2026-05-01 12:34:56 elf_sha256=${SHA_HEX}`,
    });
  });

  it('--json prints the identity object and nothing else', async () => {
    const r = await espbench(['inspect', bin, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const id = JSON.parse(r.stdout);
    expect(id).toMatchObject({ kind: 'app-bin', chip: 'esp32c6', chipId: 13, projectName: 'qa-test', version: 'v1.0.0', appElfSha256: SHA_HEX, secureVersion: 0 });
    expect(id.fileSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reads an ELF and shows the file sha256 as the elf_sha256 label', async () => {
    const bytes = elf32({ machine: 94, sections: [{ name: '.flash.appdesc', addr: 0x3c000020, data: descriptor({ projectName: 'bench' }) }] });
    const path = write('fw.elf', bytes);
    const sha = createHash('sha256').update(bytes).digest('hex');
    const j = await espbench(['inspect', path, '--json']);
    expect(j.code, j.stderr).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({ kind: 'elf', chip: null, arch: 'xtensa', appElfSha256: null, fileSha256: sha });
    const h = await espbench(['inspect', path]);
    expect(h.stdout).toMatch(/^chip +unknown \(xtensa, the ELF does not name its chip\)$/m);
    expect(h.stdout).toContain(`elf_sha256=${sha}`);
  });

  it.each([
    ['not an image', () => write('text.bin', Buffer.from('#!/bin/sh\necho this is a script, not firmware\n')), /text\.bin: not an ESP app image or ELF \(magic 0x23 at offset 0, expected 0xE9\)$/],
    ['a wrong descriptor magic', () => write('bad.bin', appImage({ desc: descriptor({ magic: 0xcafef00d }) })), /found 0xCAFEF00D, expected 0xABCD5432/],
    ['a truncated image', () => write('short.bin', appImage().subarray(0, 200)), /expected at least 288 bytes .*found 200$/],
    ['an ELF without a descriptor', () => write('none.elf', elf32({ sections: [{ name: '.text', data: new Uint8Array(16) }] })), /no \.flash\.appdesc or \.rodata_desc section/],
    ['a missing file', () => join(dir, 'missing.bin'), /^espbench: no such file: .*missing\.bin$/],
    ['a directory', () => dir, /is not a file \(a directory\)/],
  ])('%s: one line, exit 2', async (_what, path, message) => {
    for (const extra of [[], ['--json']]) expectUsageError(await espbench(['inspect', path(), ...extra]), message);
  });

  it('--help has examples', async () => {
    const r = await espbench(['inspect', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: espbench inspect/);
    expect(r.stdout).toMatch(/Examples:/);
  });
});
