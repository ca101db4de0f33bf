import { describe, expect, it } from 'vitest';
import { ipv4FromHost } from './host.js';
import { DEFAULT_PORT_BASE, portForScenario, scenarioForLabel, scenarioForPort } from './scenarios.js';

describe('scenarioForPort', () => {
  it('maps the firmware ports to scenarios', () => {
    expect(DEFAULT_PORT_BASE).toBe(4321);
    expect(scenarioForPort(4321)).toBe('wifi-tcp-download');
    expect(scenarioForPort(4322)).toBe('wifi-tcp-upload');
    expect(scenarioForPort(4323)).toBe('wifi-tcp-updown');
    expect(scenarioForPort(4320)).toBeNull();
    expect(scenarioForPort(4324)).toBeNull();
    expect(scenarioForPort(4321.5)).toBeNull();
  });

  it('follows a custom port base', () => {
    expect(scenarioForPort(5002, 5000)).toBe('wifi-tcp-updown');
    expect(scenarioForPort(4321, 5000)).toBeNull();
    expect(portForScenario('wifi-tcp-upload', 5000)).toBe(5001);
    expect(portForScenario('wifi-tcp-download')).toBe(4321);
  });

  it('maps printed labels', () => {
    expect(scenarioForLabel('upload+download')).toBe('wifi-tcp-updown');
    expect(scenarioForLabel('download')).toBe('wifi-tcp-download');
    expect(scenarioForLabel('updown')).toBeNull();
  });
});

describe('ipv4FromHost', () => {
  it('reads both Debug forms of the host', () => {
    expect(ipv4FromHost('192.168.1.2')).toBe('192.168.1.2');
    expect(ipv4FromHost('Address([192, 168, 2, 1])')).toBe('192.168.2.1');
  });

  it('rejects anything else', () => {
    expect(ipv4FromHost('300.1.1.1')).toBeNull();
    expect(ipv4FromHost('Address([1, 2, 3])')).toBeNull();
    expect(ipv4FromHost('host.local')).toBeNull();
  });
});
