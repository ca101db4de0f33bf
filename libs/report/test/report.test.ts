import { compareRuns, samplesFromRecords } from '@espbench/compare';
import { describe, expect, it } from 'vitest';
import { axisRange, buildReport, buildReportData, escapeHtml, intervalRates, jsonForScript, kibToMbit, MBIT_PER_KIB, type ReportData, type ReportInput } from '../src/index.js';
import { HOSTILE, makeRun, twoRefs, withRssi } from './fixture.js';

const STUB = 'window.echarts = { init: function () {} };';

function comparisonInput(records = twoRefs()): ReportInput {
  const baseline = { ref: 'v1.0.0' };
  const candidate = { ref: 'v1.1.0' };
  const samples = { baseline: samplesFromRecords(records, baseline), candidate: samplesFromRecords(records, candidate) };
  return {
    generatedAt: '2026-11-22T08:00:00.000Z',
    comparison: { baseline, candidate, samples, rows: compareRuns(samples.baseline, samples.candidate, { resamples: 500 }) },
    runs: records,
    echartsSource: STUB,
  };
}

/** The JSON block of a page, parsed back. */
function dataOf(html: string): ReportData {
  const m = /<script type="application\/json" id="espbench-data">([^]*?)<\/script>/.exec(html);
  expect(m).not.toBeNull();
  return JSON.parse(m![1]!) as ReportData;
}

describe('units', () => {
  it('1 KiB/s is 8.192e-3 Mbit/s', () => {
    expect(MBIT_PER_KIB).toBe(8.192e-3);
    expect(kibToMbit(1000)).toBeCloseTo(8.192, 12);
    expect(kibToMbit(0)).toBe(0);
  });

  it('the Mbit/s axis spans exactly the KiB/s axis, both rounded and padded', () => {
    const y = axisRange([2210, 2300, 2390]);
    expect(y.min).toBeLessThan(2210);
    expect(y.max).toBeGreaterThan(2390);
    expect(y.min % y.step).toBe(0);
    expect(y.max % y.step).toBe(0);
    expect(y.mbitMin).toBeCloseTo(y.min * 8.192e-3, 12);
    expect(y.mbitMax).toBeCloseTo(y.max * 8.192e-3, 12);
    expect(axisRange([5]).min).toBeGreaterThanOrEqual(0);
    expect(axisRange([]).max).toBeGreaterThan(axisRange([]).min);
  });
});

describe('intervalRates', () => {
  it('is bytes / 1024 / (t - previous t), the first from 0', () => {
    const rates = intervalRates([
      { t: 1, bytes: 1024 * 1000 },
      { t: 2.5, bytes: 1024 * 3000 },
      { t: 2.5, bytes: 77 }, // no time passed: dropped
      { t: 2.506, bytes: 0 },
    ]);
    expect(rates).toEqual([
      { t: 1, kibps: 1000 },
      { t: 2.5, kibps: 2000 },
      { t: 2.506, kibps: 0 },
    ]);
    expect(intervalRates([])).toEqual([]);
  });

  it('the interval chart data holds those rates at the result start + t', () => {
    const run = makeRun({ runId: 'r1', start: '2026-11-01T00:00:00.000Z', chip: 'esp32c3', ref: 'v1', iterations: 1, seed: 3 });
    const d = buildReportData({ runs: [run], echartsSource: STUB });
    expect(d.detail?.runId).toBe('r1');
    expect(d.detail?.series.map((s) => s.scenario)).toEqual(['wifi-tcp-download', 'wifi-tcp-upload', 'wifi-tcp-updown']);
    const r = run.results[0]!;
    const [first, second] = d.detail!.series[0]!.points;
    expect(first![0]).toBe(Date.parse(r.startedAt) + Math.round(r.intervals[0]!.t * 1000));
    expect(first![1]).toBeCloseTo(r.intervals[0]!.bytes / 1024 / r.intervals[0]!.t, 9);
    expect(second![1]).toBeCloseTo(r.intervals[1]!.bytes / 1024 / (r.intervals[1]!.t - r.intervals[0]!.t), 9);
  });
});

describe('buildReport', () => {
  it('escapes hostile text everywhere it is put into HTML', () => {
    expect(escapeHtml(HOSTILE)).toBe('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot; &#39;single&#39;');
    const input = comparisonInput();
    const html = buildReport({ ...input, title: 'a <b>bold</b> & title' });
    // Nothing hostile survives outside the JSON block, where "<" is \u003c.
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('<b>bold</b>');
    expect(html).toContain('<title>a &lt;b&gt;bold&lt;/b&gt; &amp; title</title>');
    expect(html).toContain('<span class="label">note=&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot; &#39;single&#39;</span>');
    // Device URIs with & are escaped in the runs table.
    expect(html).toMatch(/<code>sim:esp32c3\?rate=\d+&amp;duration=15<\/code>/);
    // Exactly three script elements: the data, ECharts and the page's script; none closed early.
    expect(html.match(/<script\b/g)).toHaveLength(3);
    expect(html.match(/<\/script>/g)).toHaveLength(3);
  });

  it('escapes hostile selectors in the comparison header', () => {
    const input = comparisonInput();
    const html = buildReport({ ...input, comparison: { ...input.comparison!, baseline: { ref: 'v1.0.0', note: '<i>&' } } });
    expect(html).toContain('<strong>ref=v1.0.0 note=&lt;i&gt;&amp;</strong>');
  });

  it('embeds the data as JSON that parses back, with < escaped', () => {
    const input = comparisonInput();
    const html = buildReport(input);
    const data = dataOf(html);
    expect(data).toMatchObject({ format: 'espbench-report', version: 1, generatedAt: '2026-11-22T08:00:00.000Z', mbitPerKiB: 8.192e-3 });
    expect(data.runs).toHaveLength(8);
    expect(data.runs.find((r) => r.labels.note)?.labels.note).toBe(HOSTILE);
    expect(html).toContain('\\u003cscript>alert(1)\\u003c/script>');
    expect(jsonForScript({ a: '</script><!--\u2028' })).toBe('{"a":"\\u003c/script>\\u003c!--\\u2028"}');
    expect(data.comparison?.rows.map((r) => `${r.chip} ${r.scenario} ${r.verdict}`)).toEqual([
      'esp32c3 wifi-tcp-download slower',
      'esp32c3 wifi-tcp-updown same',
      'esp32c3 wifi-tcp-upload same',
      'esp32c6 wifi-tcp-download same',
      'esp32c6 wifi-tcp-updown same',
      'esp32c6 wifi-tcp-upload faster',
    ]);
    // The box plots hold each side's ok results; the failed upload is counted, not plotted.
    const c6up = data.distributions.find((d) => d.chip === 'esp32c6' && d.scenario === 'wifi-tcp-upload')!;
    expect(c6up.baseline).toHaveLength(6);
    expect(c6up.candidate).toHaveLength(5);
    expect(c6up.failed).toEqual({ baseline: 0, candidate: 1 });
    expect(c6up.box.candidate![2]).toBe(data.comparison!.rows.find((r) => r.chip === 'esp32c6' && r.scenario === 'wifi-tcp-upload')!.candidate.median);
    // Over time: one series per ref in each chip x scenario panel, points at the result's end time.
    expect(data.timeline).toHaveLength(6);
    for (const panel of data.timeline) expect(panel.series.map((s) => s.name)).toEqual([`v1.0.0 · ${panel.chip} · ${panel.scenario}`, `v1.1.0 · ${panel.chip} · ${panel.scenario}`]);
    const first = input.runs.find((r) => r.labels.ref === 'v1.0.0' && r.device.chip === 'esp32c3')!;
    expect(data.timeline[0]!.series[0]!.points[0]).toEqual([Date.parse(first.results[0]!.endedAt), first.results[0]!.hostKiBps, first.runId, 1]);
    // Baseline blue, candidate vermillion (Okabe-Ito), for the refs over time too.
    expect([data.comparison!.baseline.colour, data.comparison!.candidate.colour]).toEqual(['#0072B2', '#D55E00']);
    expect(data.timeline[0]!.series.map((s) => s.colour)).toEqual(['#0072B2', '#D55E00']);
  });

  it('colours the verdicts in the table', () => {
    const html = buildReport(comparisonInput());
    expect(html).toMatch(/<td class="verdict v-slower">slower<\/td>/);
    expect(html).toMatch(/<td class="verdict v-faster">faster<\/td>/);
    expect(html).toMatch(/<td class="verdict v-same">same<\/td>/);
    expect(html).toContain('.v-slower {');
  });

  it('with runs only: no comparison table or box plots, still runs over time, intervals and metadata', () => {
    const runs = twoRefs().slice(0, 2);
    const html = buildReport({ runs, echartsSource: STUB });
    expect(html).not.toContain('id="comparison-table"');
    expect(html).not.toContain('data-chart="box"');
    expect(html.match(/data-chart="timeline"/g)).toHaveLength(3);
    expect(html).toContain('data-chart="detail"');
    expect(html).toContain('id="runs-table"');
    const data = dataOf(html);
    expect(data.comparison).toBeNull();
    expect(data.detail?.runId).toBe(runs[1]!.runId); // the latest by default
    expect(buildReport({ runs, detail: runs[0]!, echartsSource: STUB })).toContain(`Run <code>${runs[0]!.runId}</code>`);
  });

  it('chip and scenario filters narrow the charts', () => {
    const data = buildReportData({ runs: twoRefs(), filter: { chips: ['esp32c6'], scenarios: ['wifi-tcp-upload'] }, echartsSource: STUB });
    expect(data.timeline.map((t) => `${t.chip} ${t.scenario}`)).toEqual(['esp32c6 wifi-tcp-upload']);
  });

  it('throughput vs RSSI: only when a chosen result has an RSSI, one point per ok result that has one', () => {
    const plain = buildReport({ runs: twoRefs(), echartsSource: STUB });
    expect(plain).not.toContain('data-chart="rssi"');
    expect(plain).not.toContain('id="rssi"');
    expect(dataOf(plain).rssi).toBeNull();

    // v1.0.0 runs without RSSI (as esp-hal's bench loop), v1.1.0 runs with it.
    const runs = withRssi(twoRefs(), (r) => r.labels.ref === 'v1.0.0');
    const html = buildReport({ runs, echartsSource: STUB });
    expect(html.match(/data-chart="rssi"/g)).toHaveLength(1);
    const d = dataOf(html).rssi!;
    expect(d.series.map((s) => s.name)).toEqual(['esp32c3', 'esp32c6'].flatMap((chip) => ['wifi-tcp-download', 'wifi-tcp-updown', 'wifi-tcp-upload'].map((sc) => `v1.1.0 · ${chip} · ${sc}`)));
    const want = runs
      .filter((r) => r.labels.ref === 'v1.1.0')
      .flatMap((run) => run.results.filter((r) => r.status === 'ok').map((r) => [r.boards![0]!.details.rssi, r.hostKiBps, run.runId, r.iteration]));
    expect(d.series.flatMap((s) => s.points).sort()).toEqual(want.sort());
    expect(want).toHaveLength(35); // 4 runs x 9 results, one failed upload
    const xs = want.map((p) => p[0] as number);
    expect(d.x.min).toBeLessThan(Math.min(...xs));
    expect(d.x.max).toBeGreaterThan(Math.max(...xs));
    expect(Math.abs(d.x.min % 5)).toBe(0);
    // Filters narrow it as the other charts.
    const one = buildReportData({ runs, filter: { chips: ['esp32c6'], scenarios: ['wifi-tcp-upload'] } }).rssi!;
    expect(one.series.map((s) => s.name)).toEqual(['v1.1.0 · esp32c6 · wifi-tcp-upload']);
    expect(buildReportData({ runs, filter: { chips: ['esp32c9'] } }).rssi).toBeNull();
  });

  it('inlines the real ECharts bundle', () => {
    const { echartsSource: _, ...input } = comparisonInput();
    const html = buildReport(input);
    expect(html.length).toBeGreaterThan(1_000_000);
    expect(html).toContain('Apache ECharts 6.1.0');
    // No element outside the scripts loads anything, and no script has a src.
    const outside = html.replace(/<script\b[^>]*>[^]*?<\/script>/g, '<script></script>');
    expect(outside.length).toBeLessThan(100_000);
    expect(/<(script|link|img|iframe|object|embed|source)\b[^>]*\b(src|href)=/i.test(outside)).toBe(false);
    expect(outside.match(/<script>/g)).toHaveLength(3);
  });
});
