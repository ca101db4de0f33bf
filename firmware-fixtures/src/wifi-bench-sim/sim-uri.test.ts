import { describe, expect, it } from 'vitest';
import { SIM_URI_PARAMETERS, SimUriError, parseSimUri } from './sim-uri.js';

function uriError(uri: string): SimUriError {
  try {
    parseSimUri(uri);
  } catch (err) {
    expect(err).toBeInstanceOf(SimUriError);
    return err as SimUriError;
  }
  throw new Error(`parseSimUri('${uri}') did not throw`);
}

describe('parseSimUri', () => {
  it('applies the defaults for a bare chip', () => {
    expect(parseSimUri('sim:esp32c3')).toEqual({
      chip: 'esp32c3',
      rates: { download: 1_000_000, upload: 1_000_000, updown: 1_000_000 },
      durationS: 15,
      pauseS: 10,
      bootS: 0.3,
      ip: '127.0.0.2',
      rounds: null,
      variant: 'current',
      seed: 1,
      faults: [],
      stallS: null,
      colors: true,
      eol: 'board',
    });
  });

  it('reads every parameter', () => {
    const options = parseSimUri(
      'sim:esp32s3?rate=500000&upload_rate=250000&duration=2.5&pause=0.2&boot=0&ip=127.0.0.7&rounds=3' +
        '&variant=current&seed=42&fault=reset@1:download,stall@2:updown&fault=panic@3:upload&stall=1.5&colors=0&eol=lf',
    );
    expect(options).toEqual({
      chip: 'esp32s3',
      rates: { download: 500_000, upload: 250_000, updown: 500_000 },
      durationS: 2.5,
      pauseS: 0.2,
      bootS: 0,
      ip: '127.0.0.7',
      rounds: 3,
      variant: 'current',
      seed: 42,
      faults: [
        { kind: 'reset', round: 1, phase: 'download' },
        { kind: 'stall', round: 2, phase: 'updown' },
        { kind: 'panic', round: 3, phase: 'upload' },
      ],
      stallS: 1.5,
      colors: false,
      eol: 'lf',
    });
  });

  it('lets per-direction rates override rate in any order', () => {
    expect(parseSimUri('sim:esp32?updown_rate=3&rate=1&download_rate=2').rates).toEqual({ download: 2, upload: 1, updown: 3 });
  });

  it('does not share default objects between results', () => {
    const a = parseSimUri('sim:esp32c3?fault=garbage@1:upload');
    const b = parseSimUri('sim:esp32c3');
    a.rates.download = 5;
    expect(b.faults).toEqual([]);
    expect(b.rates.download).toBe(1_000_000);
  });

  it('accepts every WiFi chip', () => {
    for (const chip of ['esp32', 'esp32c2', 'esp32c3', 'esp32c5', 'esp32c6', 'esp32s2', 'esp32s3']) {
      expect(parseSimUri(`sim:${chip}`).chip).toBe(chip);
    }
  });

  it('rejects esp32h2, which has no WiFi', () => {
    const err = uriError('sim:esp32h2?rate=1');
    expect(err.message).toBe(
      'esp32h2 has no WiFi radio and cannot run the WiFi bench (valid chips: esp32, esp32c2, esp32c3, esp32c5, esp32c6, esp32s2, esp32s3)',
    );
    expect(err.parameter).toBeNull();
  });

  it('rejects unknown chips and non-sim URIs', () => {
    expect(uriError('sim:esp8266').message).toContain("unknown chip 'esp8266'");
    expect(uriError('serial:/dev/ttyUSB0').message).toContain('not a sim URI');
    expect(uriError('sim:').message).toContain("unknown chip ''");
  });

  it('names an unknown parameter and lists the valid ones', () => {
    const err = uriError('sim:esp32c3?rat=5');
    expect(err.parameter).toBe('rat');
    expect(err.message).toBe(`unknown sim URI parameter 'rat' (valid parameters: ${SIM_URI_PARAMETERS.join(', ')})`);
  });

  it.each([
    ['rate', 'rate=0'],
    ['rate', 'rate=fast'],
    ['download_rate', 'download_rate=-5'],
    ['upload_rate', 'upload_rate='],
    ['updown_rate', 'updown_rate=Infinity'],
    ['duration', 'duration=0'],
    ['pause', 'pause=-1'],
    ['boot', 'boot=x'],
    ['ip', 'ip=10.0.0.2'],
    ['ip', 'ip=127.0.0.256'],
    ['ip', 'ip=127.0.0'],
    ['rounds', 'rounds=1.5'],
    ['variant', 'variant=esp-idf'],
    ['seed', 'seed=-1'],
    ['fault', 'fault=boom@1:download'],
    ['fault', 'fault=reset@0:download'],
    ['fault', 'fault=reset@1:sideways'],
    ['fault', 'fault=reset@1:download,'],
    ['stall', 'stall=0'],
    ['colors', 'colors=yes'],
    ['eol', 'eol=cr'],
    ['rate', 'rate=1&rate=2'],
  ])('rejects a bad %s (%s) naming it in one line', (parameter, query) => {
    const err = uriError(`sim:esp32c3?${query}`);
    expect(err.parameter).toBe(parameter);
    expect(err.message).toContain(`'${parameter}'`);
    expect(err.message).toContain('valid parameters: rate, download_rate, upload_rate, updown_rate, duration');
    expect(err.message).not.toContain('\n');
    expect(err.name).toBe('SimUriError');
  });
});
