import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { espbench } from './cli.js';

const NET = ['--listen', '127.0.0.1', '--port-base', '0', '--quiet'];
const sim = (rate: number, ip: string) => `sim:esp32c3?rate=${rate}&duration=1&pause=0.3&boot=0.1&ip=${ip}`;

/** The JSON data block of a written report. */
function dataOf(file: string) {
  const html = readFileSync(file, 'utf8');
  const m = /<script type="application\/json" id="espbench-data">([^]*?)<\/script>/.exec(html);
  expect(m).not.toBeNull();
  return { html, data: JSON.parse(m![1]!) };
}

describe('espbench report', () => {
  let results: string;
  let out: string;
  let baseRun: string;
  let candRun: string;

  beforeAll(async () => {
    results = mkdtempSync(join(tmpdir(), 'espbench-report-'));
    out = mkdtempSync(join(tmpdir(), 'espbench-report-out-'));
    // Two refs measured at once, four rounds each: the candidate 10% slower, one label hostile.
    const runs = await Promise.all([
      espbench(['run', '-d', sim(1_000_000, '127.0.0.31'), '-n', '4', '--label', 'ref=v1.0.0', '--results', results, '--json', ...NET], { timeoutMs: 90_000 }),
      espbench(['run', '-d', sim(900_000, '127.0.0.32'), '-n', '4', '--label', 'ref=v1.1.0', '--label', 'note=<b>&"x"', '--results', results, '--json', ...NET], { timeoutMs: 90_000 }),
    ]);
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    [baseRun, candRun] = runs.map((r) => JSON.parse(r.stdout).runId as string) as [string, string];
  }, 120_000);

  it('writes one HTML file with the comparison, prints its path', async () => {
    const file = join(out, 'report.html');
    const r = await espbench(['report', '--baseline', 'ref=v1.0.0', '--candidate', 'ref=v1.1.0', '--results', results, '-o', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${file}\n`);
    expect(r.stderr).toBe('');
    const { html, data } = dataOf(file);
    expect(html).toContain('<title>espbench: ref=v1.0.0 vs ref=v1.1.0</title>');
    expect(html).toContain('id="comparison-table"');
    expect(html.match(/data-chart="box"/g)).toHaveLength(3);
    expect(html).toContain('note=&lt;b&gt;&amp;&quot;x&quot;');
    expect(html).not.toContain('<b>&');
    expect(data.comparison.rows.map((x: { scenario: string; verdict: string }) => `${x.scenario} ${x.verdict}`)).toEqual([
      'wifi-tcp-download slower',
      'wifi-tcp-updown slower',
      'wifi-tcp-upload slower',
    ]);
    expect(data.runs.map((x: { runId: string }) => x.runId).sort()).toEqual([baseRun, candRun].sort());
    expect(data.detail.runId).toBe(candRun); // the latest candidate run
    expect(data.detail.series).toHaveLength(12); // 4 rounds x 3 scenarios
    expect(data.timeline).toHaveLength(3);
  });

  it('with --runs only: no comparison; --detail, --chip and --scenario narrow it', async () => {
    const file = join(out, 'runs.html');
    const r = await espbench(['report', '--runs', baseRun.slice(0, 18), candRun, '--detail', baseRun, '--scenario', 'wifi-tcp-upload', '--title', 'two <runs>', '--results', results, '-o', file]);
    expect(r.code, r.stderr).toBe(0);
    const { html, data } = dataOf(file);
    expect(html).toContain('<title>two &lt;runs&gt;</title>');
    expect(html).not.toContain('id="comparison-table"');
    expect(data.comparison).toBeNull();
    expect(data.runs).toHaveLength(2);
    expect(data.detail.runId).toBe(baseRun);
    expect(data.detail.series.map((s: { scenario: string }) => s.scenario)).toEqual(Array(4).fill('wifi-tcp-upload'));
    expect(data.timeline.map((t: { scenario: string }) => t.scenario)).toEqual(['wifi-tcp-upload']);
  });

  it('bad input: exit 2 with one line saying what is wrong', async () => {
    const o = ['-o', join(out, 'bad.html'), '--results'];
    const cases: [string[], string][] = [
      [['report', ...o, results], 'espbench: nothing to report: give --baseline k=v and --candidate k=v, or --runs <runId ...>'],
      [['report', '-b', 'ref=v1.0.0', ...o, results], 'espbench: --baseline and --candidate go together: --candidate is missing'],
      [['report', '-c', 'ref=v1.1.0', '--runs', baseRun, ...o, results], 'espbench: --baseline and --candidate go together: --baseline is missing'],
      [['report', '-b', 'ref=v0', '-c', 'ref=v1.1.0', ...o, results], `espbench: no results in the store ${results} match --baseline ref=v0`],
      [['report', '-b', 'ref=v1.0.0', '-c', 'ref=v1.1.0', '--chip', 'esp32s3', ...o, results], `espbench: no results in the store ${results} match --baseline ref=v1.0.0 (with the --chip/--scenario filters)`],
      [['report', '--runs', '20990101-000000-abcdef', ...o, results], `espbench: no run "20990101-000000-abcdef" in ${results}; list runs with: espbench runs`],
      [['report', '--runs', baseRun, '--chip', 'esp32s3', ...o, results], 'espbench: none of the --runs is of --chip esp32s3'],
      [['report', '-b', 'ref', '-c', 'ref=v1.1.0', ...o, results], ''],
      [['report', '--runs', baseRun, '--threshold', 'x', ...o, results], 'espbench: --threshold must be a percentage 0-100, got "x"'],
      [['report', '--runs', baseRun, '-o', join(out, 'no', 'such', 'dir', 'r.html'), '--results', results], ''],
    ];
    const got = await Promise.all(cases.map(([args]) => espbench(args)));
    got.forEach((r, i) => {
      const [args, message] = cases[i]!;
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      if (message) expect(r.stderr.trim()).toBe(message);
    });
    expect(got[7]!.stderr).toMatch(/^espbench: --baseline: /);
    expect(got[9]!.stderr).toMatch(/^espbench: cannot write the report: ENOENT/);
    expect(existsSync(join(out, 'bad.html'))).toBe(false);

    const noOutput = await espbench(['report', '--runs', baseRun, '--results', results]);
    expect(noOutput.code).toBe(2);
    expect(noOutput.stderr).toContain("required option '-o, --output <file>' not specified");
  });
});
