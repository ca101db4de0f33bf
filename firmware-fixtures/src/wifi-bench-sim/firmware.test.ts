import { describe, expect, it } from 'vitest';
import { firmwareKbps } from './firmware.js';

describe('firmwareKbps: (total + 512) / 1024 / TEST_DURATION in integer arithmetic', () => {
  it('matches the firmware at TEST_DURATION = 15', () => {
    expect(firmwareKbps(0, 15)).toBe(0);
    expect(firmwareKbps(15 * 1024 - 513, 15)).toBe(0);
    expect(firmwareKbps(15 * 1024 - 512, 15)).toBe(1);
    expect(firmwareKbps(15_000_000, 15)).toBe(976);
    // Each division truncates: (1536000 + 512) / 1024 = 1500, / 15 = 100.
    expect(firmwareKbps(1_536_000, 15)).toBe(100);
    expect(firmwareKbps(1_536_000 - 513, 15)).toBe(99);
  });

  it('uses floor((total + 512) / 1024 / duration) for fractional durations', () => {
    expect(firmwareKbps(500_000, 0.5)).toBe(Math.floor(500_512 / 1024 / 0.5));
    expect(firmwareKbps(1_000_000, 1)).toBe(977);
    expect(firmwareKbps(2_000_000, 2)).toBe(976);
  });
});
