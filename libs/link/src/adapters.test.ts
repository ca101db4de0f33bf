import { describe, expect, it } from 'vitest';
import { adapterFor } from './adapters.js';
import { listSerialPorts } from './list-ports.js';

describe('adapterFor', () => {
  it('names the adapters from upstream.md by VID:PID, case-insensitively', () => {
    expect(adapterFor('303A', '1001')).toEqual({ vidPid: '303a:1001', adapter: expect.stringMatching(/USB-Serial-JTAG/) });
    expect(adapterFor('10c4', 'ea60').adapter).toMatch(/CP210x/);
    expect(adapterFor('1a86', '55d4').adapter).toMatch(/CH9102/);
    expect(adapterFor('0403', '6010').adapter).toMatch(/FT2232/);
  });
  it('knows unknown ids and missing ids apart', () => {
    expect(adapterFor('1234', '5678')).toEqual({ vidPid: '1234:5678', adapter: null });
    expect(adapterFor(undefined, undefined)).toEqual({ vidPid: null, adapter: null });
  });
});

describe('listSerialPorts', () => {
  it('lists ports through serialport (udevadm present) with paths', async () => {
    const ports = await listSerialPorts();
    expect(Array.isArray(ports)).toBe(true);
    for (const p of ports) expect(p.path).toMatch(/^\/dev\//);
  });
});
