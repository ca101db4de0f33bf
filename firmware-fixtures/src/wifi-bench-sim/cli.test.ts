import { describe, expect, it } from 'vitest';
import { CliUsageError, parseCliArgs } from './cli.js';

describe('parseCliArgs', () => {
  it('reads --host, --port-base and the URI', () => {
    expect(parseCliArgs(['--host', '192.168.1.10', 'sim:esp32c3?rate=5'])).toEqual({
      host: '192.168.1.10',
      portBase: 4321,
      uri: 'sim:esp32c3?rate=5',
    });
    expect(parseCliArgs(['sim:esp32', '--port-base=5000', '--host=127.0.0.1'])).toEqual({
      host: '127.0.0.1',
      portBase: 5000,
      uri: 'sim:esp32',
    });
  });

  it.each([
    [[], '--host is required'],
    [['--host', '127.0.0.1'], 'a sim URI is required'],
    [['--host'], '--host needs a value'],
    [['--host', 'localhost', 'sim:esp32'], '--host must be an IPv4 address'],
    [['--host', '127.0.0.1', '--port-base', '70000', 'sim:esp32'], '--port-base must be a port'],
    [['--host', '127.0.0.1', '--verbose', 'sim:esp32'], "unknown option '--verbose'"],
    [['--host', '127.0.0.1', 'sim:esp32', 'sim:esp32c3'], "unexpected argument 'sim:esp32c3'"],
  ])('rejects %j', (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(CliUsageError);
    expect(() => parseCliArgs(argv)).toThrow(message);
  });
});
