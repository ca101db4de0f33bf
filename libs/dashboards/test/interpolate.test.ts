import { describe, expect, it } from 'vitest';
import { escapeRegex, interpolate, timeFilter } from '../src/index.js';

describe('interpolate (as Grafana does for raw InfluxQL)', () => {
  it('multi-value and All: a regex group of escaped values; one value of a multi variable: escaped, no group', () => {
    expect(interpolate('"chip" =~ /^$chip$/', { chip: ['esp32c3', 'esp32c6'] })).toBe('"chip" =~ /^(esp32c3|esp32c6)$/');
    expect(interpolate('"ref" =~ /^$ref$/', { ref: ['v1.0.0'] })).toBe('"ref" =~ /^(v1\\.0\\.0)$/');
    expect(interpolate('"ref" =~ /^$ref$/', { ref: { value: 'v1.0.0', multi: true } })).toBe('"ref" =~ /^v1\\.0\\.0$/');
    expect(interpolate('"d" =~ /^$d$/', { d: ['sim:esp32c3?rate=1/2&x=(y)|z'] })).toBe('"d" =~ /^(sim:esp32c3\\?rate=1\\/2&x=\\(y\\)\\|z)$/');
  });

  it('single value: verbatim outside a regex, escaped inside one', () => {
    expect(interpolate(`"ref" = '$ref'`, { ref: 'v1.0.0' })).toBe(`"ref" = 'v1.0.0'`);
    expect(interpolate('"ref" =~ /^$ref$/', { ref: 'v1.0.0' })).toBe('"ref" =~ /^v1\\.0\\.0$/');
    expect(interpolate('LIMIT $n', { n: '10.5' })).toBe('LIMIT 10.5');
  });

  it('${var} and [[var]] syntax; unknown variables stay', () => {
    expect(interpolate('${chip} [[chip]] $chip $other', { chip: 'esp32c3' })).toBe('esp32c3 esp32c3 esp32c3 $other');
  });

  it('$timeFilter (relative or absolute) and $__interval', () => {
    expect(interpolate('WHERE $timeFilter GROUP BY time($__interval)', {})).toBe('WHERE time >= now() - 24h and time <= now() GROUP BY time(1m)');
    expect(interpolate('$timeFilter $__interval_ms', {}, { range: { from: 1000, to: 2000 }, interval: '5m' })).toBe('time >= 1000ms and time <= 2000ms 300000');
    expect(timeFilter({ from: 'now-30d', to: 'now' })).toBe('time >= now() - 30d and time <= now()');
    expect(timeFilter({ from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' })).toBe('time >= 1767225600000ms and time <= 1767312000000ms');
  });

  it("escapeRegex is Grafana's", () => {
    expect(escapeRegex('a.b*c+d?e^f$g(h)i[j]k{l}m|n\\o/p')).toBe('a\\.b\\*c\\+d\\?e\\^f\\$g\\(h\\)i\\[j\\]k\\{l\\}m\\|n\\\\o\\/p');
  });
});
