import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compareRuns, samplesFromRecords } from '@espbench/compare';
import { requireCommand } from '@espbench/tools/testing';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { buildReport, MBIT_PER_KIB } from '../src/index.js';
import { HOSTILE, twoRefs, withRssi } from './fixture.js';

const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

interface Opened {
  page: Page;
  /** Every request the page made that was not a file: URL (all aborted). */
  network: string[];
  errors: string[];
  dialogs: string[];
}

let launched: Promise<Browser> | undefined;
const dir = mkdtempSync(join(tmpdir(), 'espbench-report-'));

/**
 * Debian's Chromium, launched once on first use; playwright-core never downloads a browser. Called
 * in each test, not in beforeAll, so a missing chromium fails every test with the install hint
 * (a failing hook would only mark them skipped).
 */
function browser(): Promise<Browser> {
  const executablePath = requireCommand('chromium');
  // launch() gives the browser a fresh temporary profile of its own, removed on close.
  launched ??= chromium.launch({ executablePath, args: ARGS, headless: true, timeout: 30_000 });
  return launched;
}

afterAll(async () => {
  await (await launched?.catch(() => undefined))?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(name: string, html: string): Promise<Opened> {
  const file = join(dir, name);
  writeFileSync(file, html);
  const context = await (await browser()).newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1, serviceWorkers: 'block', offline: true });
  const network: string[] = [];
  const errors: string[] = [];
  const dialogs: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    network.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  page.on('request', (req) => {
    if (!req.url().startsWith('file:') && !network.includes(req.url())) network.push(req.url());
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') errors.push(`console.${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  await page.waitForSelector('html[data-charts-rendered]', { timeout: 10_000 });
  return { page, network, errors, dialogs };
}

/** Per chart container: what its SVG holds. */
async function charts(page: Page) {
  return page.$$eval('[data-chart]', (els) =>
    els.map((el) => {
      const svg = el.querySelector('svg');
      return {
        id: el.id,
        kind: el.getAttribute('data-chart'),
        rendered: el.getAttribute('data-rendered'),
        width: svg ? svg.getBoundingClientRect().width : 0,
        height: svg ? svg.getBoundingClientRect().height : 0,
        shapes: svg ? svg.querySelectorAll('path, rect, circle').length : 0,
        texts: svg ? Array.from(svg.querySelectorAll('text')).map((t) => t.textContent ?? '') : [],
      };
    }),
  );
}

/** Each chart's y axes (min, max, name) and series names as ECharts holds them. */
async function options(page: Page) {
  return page.$$eval('[data-chart]', (els) =>
    els.map((el) => {
      type Opt = { yAxis: { name: string; min: number; max: number }[]; series: { name: string }[] };
      const w = window as unknown as { echarts: { getInstanceByDom(e: Element): { getOption(): Opt } } };
      const opt = w.echarts.getInstanceByDom(el).getOption();
      return { yAxis: opt.yAxis.map((a) => ({ name: a.name, min: a.min, max: a.max })), series: opt.series.map((x) => x.name) };
    }),
  );
}

function expectChartsDrawn(list: Awaited<ReturnType<typeof charts>>) {
  for (const c of list) {
    expect(c.rendered, c.id).toBe('true');
    expect(c.width, c.id).toBeGreaterThan(300);
    expect(c.height, c.id).toBeGreaterThan(250);
    expect(c.shapes, c.id).toBeGreaterThan(20);
    expect(c.texts, c.id).toContain('KiB/s');
    expect(c.texts, c.id).toContain('Mbit/s');
    // Numbers on both y axes, not only the names.
    expect(c.texts.filter((t) => /^\d+(\.\d+)?$/.test(t)).length, c.id).toBeGreaterThan(6);
  }
}

function comparisonReport(): string {
  const records = twoRefs();
  const baseline = { ref: 'v1.0.0' };
  const candidate = { ref: 'v1.1.0' };
  const samples = { baseline: samplesFromRecords(records, baseline), candidate: samplesFromRecords(records, candidate) };
  return buildReport({
    generatedAt: '2026-11-22T08:00:00.000Z',
    comparison: { baseline, candidate, samples, rows: compareRuns(samples.baseline, samples.candidate) },
    runs: records,
    detail: records.find((r) => r.runId === '20261117-030000-v110c6')!, // the one with a failed upload
  });
}

describe('the report in a real browser (Chromium, offline)', () => {
  it('draws every chart from the file alone: no network, no errors; tables and axes as computed', async () => {
    const { page, network, errors, dialogs } = await open('report.html', comparisonReport());
    expect(network).toEqual([]);
    expect(errors).toEqual([]);
    expect(dialogs).toEqual([]); // the hostile label's <script>alert(1)</script> did not run

    const list = await charts(page);
    expect(list.map((c) => c.kind)).toEqual([...Array(6).fill('box'), ...Array(6).fill('timeline'), 'detail']);
    expect(await page.getAttribute('html', 'data-charts-rendered')).toBe('13');
    expectChartsDrawn(list);
    // The artifact, before any tooltip is shown.
    mkdirSync(ARTIFACTS, { recursive: true });
    const png = join(ARTIFACTS, 'report.png');
    await page.screenshot({ path: png, fullPage: true });
    expect(statSync(png).size).toBeGreaterThan(50_000);
    // Box plots: both sides named on the category axis; time axes on the others.
    for (const c of list.filter((x) => x.kind === 'box')) expect(c.texts).toEqual(expect.arrayContaining(['ref=v1.0.0', 'ref=v1.1.0']));
    expect(list.find((c) => c.kind === 'box')!.texts).toContain('esp32c3 · wifi-tcp-download');
    expect(list.find((c) => c.kind === 'timeline')!.texts).toEqual(expect.arrayContaining(['result end time', 'v1.0.0', 'v1.1.0', 'Nov 11', 'Nov 17']));
    expect(list.find((c) => c.kind === 'detail')!.texts).toEqual(expect.arrayContaining(['Intervals of run 20261117-030000-v110c6', 'wifi-tcp-download', 'wifi-tcp-upload', 'wifi-tcp-updown']));

    const opts = await options(page);
    // Over time: one series per ref x chip x scenario.
    expect(opts.slice(6, 12).flatMap((o) => o.series)).toEqual(
      ['esp32c3', 'esp32c6'].flatMap((chip) => ['wifi-tcp-download', 'wifi-tcp-updown', 'wifi-tcp-upload'].flatMap((sc) => [`v1.0.0 · ${chip} · ${sc}`, `v1.1.0 · ${chip} · ${sc}`])),
    );
    // The Mbit/s axis spans exactly the KiB/s axis' range.
    for (const { yAxis: [kib, mbit] } of opts) {
      expect(kib!.name).toBe('KiB/s');
      expect(mbit!.name).toBe('Mbit/s');
      expect(mbit!.min).toBeCloseTo(kib!.min * MBIT_PER_KIB, 9);
      expect(mbit!.max).toBeCloseTo(kib!.max * MBIT_PER_KIB, 9);
    }

    // Tooltips (hover) give both units; the box's own tooltip has its quartiles.
    const tips = await page.$$eval('[data-chart]', (els) =>
      els.map((el) => {
        type Chart = { dispatchAction(a: object): void };
        const chart = (window as unknown as { echarts: { getInstanceByDom(e: Element): Chart } }).echarts.getInstanceByDom(el);
        const kind = el.getAttribute('data-chart');
        const texts: string[] = [];
        for (const seriesIndex of kind === 'box' ? [0, 2] : [0]) {
          chart.dispatchAction({ type: 'showTip', seriesIndex, dataIndex: 0 });
          const tip = Array.from(el.querySelectorAll('div')).find((d) => d.style.position === 'absolute' && d.innerText.includes('KiB/s'));
          texts.push(tip ? tip.innerText : '');
          chart.dispatchAction({ type: 'hideTip' });
        }
        return texts.join(' | ');
      }),
    );
    expect(tips[0]).toMatch(/^ref=v1\.0\.0\nmedian [\d.]+ KiB\/s \([\d.]+ Mbit\/s\)\nQ1 [\d.]+, Q3 [\d.]+\nmin [\d.]+, max [\d.]+ \| ref=v1\.1\.0\n[\d.]+ KiB\/s \([\d.]+ Mbit\/s\)$/);
    expect(tips[6]).toMatch(/^v1\.0\.0 · esp32c3 · wifi-tcp-download\n2026-11-10 02:00:\d\d UTC\nrun 20261110-020000-v100c3 #1\n[\d.]+ KiB\/s \([\d.]+ Mbit\/s\)$/);
    expect(tips[12]).toMatch(/^wifi-tcp-download #1\n2026-11-17 03:00:\d\d UTC\n[\d.]+ KiB\/s \([\d.]+ Mbit\/s\)$/);

    // The comparison table as a reader sees it.
    const rows = await page.$$eval('#comparison-table tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => (td as HTMLElement).innerText.trim())));
    expect(rows.map((r) => [r[0], r[1], r[2], r[3], r[12]])).toEqual([
      ['esp32c3', 'wifi-tcp-download', '6/6', '0/0', 'slower'],
      ['esp32c3', 'wifi-tcp-updown', '6/6', '0/0', 'same'],
      ['esp32c3', 'wifi-tcp-upload', '6/6', '0/0', 'same'],
      ['esp32c6', 'wifi-tcp-download', '6/6', '0/0', 'same'],
      ['esp32c6', 'wifi-tcp-updown', '6/6', '0/0', 'same'],
      ['esp32c6', 'wifi-tcp-upload', '6/5', '0/1', 'faster'],
    ]);
    expect(rows[0]![9]).toMatch(/^-1\d\.\d%$/);
    expect(rows[0]![10]).toMatch(/^-\d+\.\d% \.\. -\d+\.\d%$/);
    const verdictColours = await page.$$eval('#comparison-table td.verdict', (tds) => tds.map((td) => getComputedStyle(td).backgroundColor));
    expect(new Set(verdictColours).size).toBe(3); // slower, same, faster each its own colour

    // Run metadata, with the hostile label shown as text.
    const runs = await page.innerText('#runs-table');
    expect(runs).toContain(HOSTILE);
    expect(runs).toContain('20261117-030000-v110c6 (intervals)');
    expect(runs).toMatch(/sim:esp32c3\?rate=\d+&duration=15/);
    expect(await page.$$eval('#runs-table tbody tr', (trs) => trs.length)).toBe(8);

    await page.context().close();
  }, 60_000);

  it('with runs only: charts over time and of intervals, the runs table, no comparison', async () => {
    const records = twoRefs().filter((r) => r.labels.ref === 'v1.1.0');
    const { page, network, errors } = await open('runs.html', buildReport({ runs: records }));
    expect(network).toEqual([]);
    expect(errors).toEqual([]);
    expect(await page.$('#comparison-table')).toBeNull();
    const list = await charts(page);
    expect(list.map((c) => c.kind)).toEqual([...Array(6).fill('timeline'), 'detail']);
    expectChartsDrawn(list);
    expect(await page.$$eval('#runs-table tbody tr', (trs) => trs.length)).toBe(4);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'report-runs-only.png'), fullPage: true });
    await page.context().close();
  }, 60_000);

  it('a side with no results for a chip, and a detail run without interval samples, draw without errors', async () => {
    const records = twoRefs().filter((r) => !(r.labels.ref === 'v1.0.0' && r.device.chip === 'esp32c6'));
    // A hostile ref: shown in legends and tooltips, never as markup (no image load, no alert).
    const evil = `v2<img src="https://example.invalid/x.png" onerror="alert(2)">`;
    records.at(-1)!.labels.ref = evil;
    const baseline = { ref: 'v1.0.0' };
    const candidate = { ref: 'v1.1.0' };
    const samples = { baseline: samplesFromRecords(records, baseline), candidate: samplesFromRecords(records, candidate) };
    const bare = { ...records[0]!, results: records[0]!.results.map((r) => ({ ...r, intervals: [] })) };
    const html = buildReport({ comparison: { baseline, candidate, samples, rows: compareRuns(samples.baseline, samples.candidate) }, runs: records, detail: bare });
    const { page, network, errors, dialogs } = await open('edge.html', html);
    const shown = await page.$$eval('[data-chart="timeline"]', (els) =>
      els.flatMap((el) => {
        type Chart = { dispatchAction(a: object): void; getOption(): { series: unknown[] } };
        const chart = (window as unknown as { echarts: { getInstanceByDom(e: Element): Chart } }).echarts.getInstanceByDom(el);
        return chart.getOption().series.map((_, seriesIndex) => {
          chart.dispatchAction({ type: 'showTip', seriesIndex, dataIndex: 0 });
          return Array.from(el.querySelectorAll('div')).find((d) => d.style.position === 'absolute' && d.innerText.includes('KiB/s'))?.innerText ?? '';
        });
      }),
    );
    expect(shown.filter((t) => t.startsWith(evil))).toHaveLength(3); // as text, in the three esp32c6 panels
    expect(await page.$$eval('img', (imgs) => imgs.length)).toBe(0);
    await page.waitForTimeout(200);
    expect(network).toEqual([]);
    expect(errors).toEqual([]);
    expect(dialogs).toEqual([]);
    const list = await charts(page);
    expect(list.map((c) => c.kind)).toEqual([...Array(6).fill('box'), ...Array(6).fill('timeline')]);
    expectChartsDrawn(list);
    expect(await page.innerText('#intervals')).toContain('This run has no interval samples.');
    const rows = await page.$$eval('#comparison-table tbody tr', (trs) => trs.map((tr) => (tr as HTMLElement).innerText));
    expect(rows[3]).toMatch(/^esp32c6\twifi-tcp-download\t0\/3\t0\/0\t-\t-\t[\d.]+\t[\d.]+\t- → [\d.]+\t-\t-\t-\tnot enough data\t/);
    await page.context().close();
  }, 60_000);

  it('throughput vs RSSI: a scatter with RSSI (dBm) and KiB/s axes when results carry an RSSI', async () => {
    // v1.0.0 runs report no RSSI (as esp-hal's bench loop), v1.1.0 runs do.
    const records = withRssi(twoRefs(), (r) => r.labels.ref === 'v1.0.0');
    const { page, network, errors, dialogs } = await open('rssi.html', buildReport({ runs: records }));
    expect(network).toEqual([]);
    expect(errors).toEqual([]);
    expect(dialogs).toEqual([]);
    const list = await charts(page);
    expect(list.map((c) => c.kind)).toEqual([...Array(6).fill('timeline'), 'rssi', 'detail']);
    expectChartsDrawn(list);
    const rssi = list.find((c) => c.kind === 'rssi')!;
    expect(rssi.texts).toEqual(expect.arrayContaining(['Throughput vs RSSI', 'RSSI (dBm)', 'KiB/s', 'v1.1.0 · esp32c3 · wifi-tcp-download']));
    // Negative dBm ticks on the x axis.
    expect(rssi.texts.filter((t) => /^-\d+$/.test(t)).length).toBeGreaterThan(2);
    const opt = await page.$eval('[data-chart="rssi"]', (el) => {
      type Opt = { xAxis: { name: string; type: string }[]; yAxis: { name: string }[]; series: { type: string; name: string; data: unknown[] }[] };
      const chart = (window as unknown as { echarts: { getInstanceByDom(e: Element): { getOption(): Opt; dispatchAction(a: object): void } } }).echarts.getInstanceByDom(el);
      const o = chart.getOption();
      chart.dispatchAction({ type: 'showTip', seriesIndex: 0, dataIndex: 0 });
      const tip = Array.from(el.querySelectorAll('div')).find((d) => d.style.position === 'absolute' && d.innerText.includes('KiB/s'))?.innerText ?? '';
      chart.dispatchAction({ type: 'hideTip' });
      return { x: o.xAxis.map((a) => [a.type, a.name]), y: o.yAxis.map((a) => a.name), series: o.series.map((x) => [x.type, x.name, x.data.length]), tip };
    });
    expect(opt.x).toEqual([['value', 'RSSI (dBm)']]);
    expect(opt.y).toEqual(['KiB/s', 'Mbit/s']);
    expect(opt.series.every(([type]) => type === 'scatter')).toBe(true);
    expect(opt.series.map(([, name]) => name)).toEqual(['esp32c3', 'esp32c6'].flatMap((chip) => ['wifi-tcp-download', 'wifi-tcp-updown', 'wifi-tcp-upload'].map((sc) => `v1.1.0 · ${chip} · ${sc}`)));
    expect(opt.series.reduce((a, [, , n]) => a + (n as number), 0)).toBe(35); // every ok v1.1.0 result; the failed upload is not plotted
    expect(opt.tip).toMatch(/^v1\.1\.0 · esp32c3 · wifi-tcp-download\nRSSI -\d+ dBm\nrun 2026111[78]-020000-v110c3 #\d\n[\d.]+ KiB\/s \([\d.]+ Mbit\/s\)$/);
    expect(await page.innerText('nav')).toContain('Throughput vs RSSI');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'report-rssi.png'), fullPage: true });
    await page.context().close();
  }, 60_000);

  it('the guards can fail: a page that fetches or throws is caught', async () => {
    const html = `<!doctype html><html data-charts-rendered="0"><body><img src="https://example.invalid/a.png"><script>fetch('http://127.0.0.1:9/x').catch(function () {}); null.x;</script></body></html>`;
    const { page, network, errors } = await open('control.html', html);
    await page.waitForTimeout(200);
    expect(network).toEqual(expect.arrayContaining(['https://example.invalid/a.png', 'http://127.0.0.1:9/x']));
    expect(errors.some((e) => e.startsWith('pageerror: '))).toBe(true);
    await page.context().close();
  }, 60_000);
});
