import { chmodSync } from 'node:fs';
import { ESPFLASH_STANDIN } from '@espbench/firmware-fixtures/espflash';
import { describe, expect, it } from 'vitest';
import { FlashError, findEspflash } from '../src/index.js';
import { dir, standinEnv, write } from './helpers.js';

async function missing(p: Promise<unknown>): Promise<FlashError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FlashError);
  expect((err as FlashError).kind).toBe('missing');
  expect((err as FlashError).message).not.toContain('\n');
  return err as FlashError;
}

describe('findEspflash', () => {
  it('finds espflash on PATH and reads what its version accepts', async () => {
    expect(await findEspflash(undefined, standinEnv())).toEqual({ path: ESPFLASH_STANDIN, version: '4.5.0', nonInteractive: true, skipUpdateCheck: true });
    expect(await findEspflash(undefined, standinEnv({ ESPBENCH_FAKE_ESPFLASH_VERSION: '3.3.0' }))).toMatchObject({ version: '3.3.0', nonInteractive: false, skipUpdateCheck: true });
    expect(await findEspflash(undefined, standinEnv({ ESPBENCH_FAKE_ESPFLASH_VERSION: '3.1.1' }))).toMatchObject({ nonInteractive: false, skipUpdateCheck: false });
  });

  it('takes an explicit path, or a name looked up on PATH', async () => {
    expect(await findEspflash(ESPFLASH_STANDIN, process.env)).toMatchObject({ path: ESPFLASH_STANDIN });
    expect(await findEspflash('espflash', standinEnv())).toMatchObject({ path: ESPFLASH_STANDIN });
  });

  it('says how to install espflash when there is none', async () => {
    const err = await missing(findEspflash(undefined, { PATH: dir }));
    expect(err.message).toBe('espflash not found on PATH: install it with `cargo install espflash --locked` (or `cargo binstall espflash`, or a release binary from https://github.com/esp-rs/espflash/releases), or give its path with --espflash <path>');
    expect((await missing(findEspflash(`${dir}/nope/espflash`, { PATH: '' }))).message).toMatch(/^espflash not found at .*nope\/espflash \(or not executable\): .*cargo install espflash --locked/);
    expect((await missing(findEspflash('espflash-4', { PATH: dir }))).message).toMatch(/^espflash-4 not found on PATH/);
  });

  it('refuses a program that is not espflash, and an espflash older than 3.0', async () => {
    const impostor = write('impostor', Buffer.from('#!/bin/sh\necho "cargo-espflash 4.5.0"\n'));
    chmodSync(impostor, 0o755);
    expect((await missing(findEspflash(impostor))).message).toMatch(/impostor is not a working espflash \(`.* --version` said: cargo-espflash 4\.5\.0\)/);
    const broken = write('broken', Buffer.from('#!/bin/sh\necho boom >&2\nexit 3\n'));
    chmodSync(broken, 0o755);
    expect((await missing(findEspflash(broken))).message).toContain('said: boom');
    expect((await missing(findEspflash(undefined, standinEnv({ ESPBENCH_FAKE_ESPFLASH_VERSION: '2.1.0' })))).message).toMatch(/^espflash 2\.1\.0 at .* is too old \(espbench needs 3\.0\.0 or later\): install it with `cargo install espflash --locked`/);
  });
});
