import { describe, expect, it } from 'vitest';
import { parsePerfArgs } from './args.js';
import { median, splitConnections } from './harness.js';
import { cell, formatTable } from './report.js';
import { socatArgs } from './servers.js';

describe('perf harness helpers', () => {
  it('parses options with defaults', () => {
    const o = parsePerfArgs([]);
    expect(o).toMatchObject({ seconds: 3, warmupS: 0.5, connections: [1, 8], endpoints: ['download', 'upload', 'echo'], socat: true, socatBlock: null, json: false });
    const p = parsePerfArgs(['--seconds', '1.5', '--connections', '2', '--endpoints', 'echo', '--json', '--no-socat', '--socat-block', '65536']);
    expect(p).toMatchObject({ seconds: 1.5, connections: [2], endpoints: ['echo'], json: true, socat: false, socatBlock: 65536 });
    expect(() => parsePerfArgs(['--endpoints', 'sideways'])).toThrow(/unknown endpoint/);
    expect(() => parsePerfArgs(['--connections', '0'])).toThrow(/positive integer/);
  });

  it('spreads connections over generator processes', () => {
    expect(splitConnections(1, 2)).toEqual([1]);
    expect(splitConnections(8, 2)).toEqual([4, 4]);
    expect(splitConnections(7, 3)).toEqual([3, 2, 2]);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });

  it('formats the table with ratios', () => {
    const t = formatTable([cell('download', 1, 2200, 1000), cell('echo', 8, 900, null)]);
    const lines = t.split('\n');
    expect(lines[0]).toMatch(/^endpoint\s+connections\s+espbench MB\/s\s+socat MB\/s\s+ratio$/);
    expect(lines[1]).toMatch(/^download\s+1\s+2200\s+1000\s+2\.20$/);
    expect(lines[2]).toMatch(/^echo\s+8\s+900\s+-\s+-$/);
  });

  it('builds the socat reference servers', () => {
    expect(socatArgs('download', '127.0.0.1', 5000, null)).toEqual(['-U', 'TCP-LISTEN:5000,bind=127.0.0.1,reuseaddr,fork', 'OPEN:/dev/zero']);
    expect(socatArgs('upload', '127.0.0.1', 5001, 65536)).toEqual(['-b', '65536', '-u', 'TCP-LISTEN:5001,bind=127.0.0.1,reuseaddr,fork', 'OPEN:/dev/null']);
    expect(socatArgs('echo', '127.0.0.1', 5002, null)).toEqual(['TCP-LISTEN:5002,bind=127.0.0.1,reuseaddr,fork', 'PIPE']);
  });
});
