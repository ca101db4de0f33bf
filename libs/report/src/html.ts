import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { CompareRow } from '@espbench/compare';
import { CLIENT_JS } from './client.js';
import { buildReportData, type ReportData, type ReportInput, type RunMeta } from './data.js';
import { escapeHtml as h, fmtKib, fmtMbit, fmtP, fmtPct, jsonForScript, scriptForHtml } from './format.js';

const require = createRequire(import.meta.url);
let echartsCache: { source: string; version: string } | undefined;

/** Apache ECharts' prebuilt browser bundle (echarts/dist/echarts.min.js) and its version. */
export function echartsBundle(): { source: string; version: string } {
  if (!echartsCache) {
    const source = readFileSync(require.resolve('echarts/dist/echarts.min.js'), 'utf8');
    const { version } = JSON.parse(readFileSync(require.resolve('echarts/package.json'), 'utf8')) as { version: string };
    echartsCache = { source, version };
  }
  return echartsCache;
}

const VERDICT_CLASS: Record<string, string> = { faster: 'v-faster', slower: 'v-slower', same: 'v-same' };

function utc(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : iso;
}

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1a1a1a; background: #fafafa; }
header, section, footer { max-width: 1500px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 20px; }
h1 { font-size: 22px; margin: 0 0 4px; word-break: break-word; }
h2 { font-size: 18px; margin: 28px 0 6px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
p.meta, p.note { color: #444; margin: 4px 0 10px; }
nav { margin-top: 8px; }
nav a { margin-right: 14px; color: #0b5394; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; vertical-align: -1px; margin-right: 4px; }
table { border-collapse: collapse; background: #fff; font-variant-numeric: tabular-nums; margin: 6px 0; }
th, td { border: 1px solid #d5d5d5; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; font-weight: 600; }
td.num { text-align: right; white-space: nowrap; }
td.why { color: #444; max-width: 340px; }
td.verdict { font-weight: 700; white-space: nowrap; }
.v-faster { background: #cdeee3; color: #004d38; }
.v-slower { background: #fbd3bd; color: #7a2800; }
.v-same { background: #eceff1; color: #263238; }
.v-nodata { background: #fff0c2; color: #5c4400; }
.s-ok { color: #00674a; } .s-failed, .s-aborted { color: #a33600; font-weight: 600; }
.label { display: inline-block; background: #eef2f6; border: 1px solid #d3dce6; border-radius: 3px; padding: 0 4px; margin: 1px 2px 1px 0; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; word-break: break-all; }
td.nowrap { white-space: nowrap; }
td.run-id code { white-space: nowrap; word-break: normal; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; word-break: break-all; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); gap: 14px; }
.chart { height: 340px; background: #fff; border: 1px solid #ddd; border-radius: 4px; }
.chart.wide { height: 400px; }
footer { color: #555; font-size: 12px; padding-top: 24px; padding-bottom: 24px; }
`;

function compareTable(d: NonNullable<ReportData['comparison']>): string {
  const side = (s: CompareRow['baseline']) => (s.n ? [fmtKib(s.median), fmtKib(s.iqr)] : ['-', '-']);
  const rows = d.rows.map((r) => {
    const [bm, bi] = side(r.baseline);
    const [cm, ci] = side(r.candidate);
    const cls = VERDICT_CLASS[r.verdict] ?? 'v-nodata';
    return `<tr>
<td>${h(r.chip)}</td><td>${h(r.scenario)}</td>
<td class="num">${r.baseline.n}/${r.candidate.n}</td><td class="num">${r.failed.baseline}/${r.failed.candidate}</td>
<td class="num">${bm}</td><td class="num">${bi}</td><td class="num">${cm}</td><td class="num">${ci}</td>
<td class="num">${fmtMbit(r.baseline.n ? r.baseline.median : null)} → ${fmtMbit(r.candidate.n ? r.candidate.median : null)}</td>
<td class="num">${h(fmtPct(r.deltaPct))}</td><td class="num">${r.ci ? `${h(fmtPct(r.ci[0]))} .. ${h(fmtPct(r.ci[1]))}` : '-'}</td><td class="num">${h(fmtP(r.p))}</td>
<td class="verdict ${cls}">${h(r.verdict)}</td><td class="why">${h(r.reason)}</td>
</tr>`;
  });
  return `<table class="compare" id="comparison-table">
<thead><tr><th rowspan="2">chip</th><th rowspan="2">scenario</th><th rowspan="2">n</th><th rowspan="2">failed</th><th colspan="2">baseline KiB/s</th><th colspan="2">candidate KiB/s</th><th rowspan="2">Mbit/s (median)</th><th rowspan="2">delta</th><th rowspan="2">95% CI</th><th rowspan="2">p</th><th rowspan="2">verdict</th><th rowspan="2">why</th></tr>
<tr><th>median</th><th>IQR</th><th>median</th><th>IQR</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}

function runsTable(runs: RunMeta[], detailRunId: string | null): string {
  const rows = runs.map((r) => {
    const labels = Object.entries(r.labels).map(([k, v]) => `<span class="label">${h(k)}=${h(v)}</span>`).join(' ');
    const status = `<span class="s-${h(r.status)}">${h(r.status)}</span>${r.error ? `<br><small>${h(r.error)}</small>` : ''}`;
    return `<tr${r.runId === detailRunId ? ' class="detail-run"' : ''}>
<td class="run-id"><code>${h(r.runId)}</code>${r.runId === detailRunId ? ' <small>(intervals)</small>' : ''}</td><td class="num">${h(utc(r.startedAt))}</td><td><code>${h(r.device)}</code></td><td class="nowrap">${h(r.chip ?? '-')}</td>
<td>${status}</td><td class="num">${r.results - r.failed}/${r.failed}</td><td>${labels || '-'}</td><td class="nowrap">${h(r.espbenchVersion)}</td><td class="nowrap">${h(r.host)}</td>
</tr>`;
  });
  return `<table id="runs-table">
<thead><tr><th>run id</th><th>start</th><th>device</th><th>chip</th><th>status</th><th>results ok/failed</th><th>labels</th><th>espbench</th><th>host</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}

function chartDiv(kind: string, index: number, label: string, wide = false): string {
  return `<div class="chart${wide ? ' wide' : ''}" id="chart-${kind}-${index}" data-chart="${kind}" data-index="${index}" role="img" aria-label="${h(label)}"></div>`;
}

/** The whole report as one HTML document: data, ECharts and the drawing script inline, no network. */
export function buildReport(input: ReportInput): string {
  const d = buildReportData(input);
  const echarts = input.echartsSource === undefined ? echartsBundle() : { source: input.echartsSource, version: 'custom' };
  const c = d.comparison;
  const swatch = (colour: string) => `<span class="swatch" style="background:${h(colour)}"></span>`;
  const sections: string[] = [];
  const nav: string[] = [];

  if (c) {
    nav.push('<a href="#comparison">Comparison</a>', '<a href="#distributions">Distributions</a>');
    const notes = c.rows.filter((r) => r.verdict === 'not enough data').length;
    sections.push(`<section id="comparison">
<h2>Comparison</h2>
<p class="meta">${swatch(c.baseline.colour)}baseline <strong>${h(c.baseline.label)}</strong> vs ${swatch(c.candidate.colour)}candidate <strong>${h(c.candidate.label)}</strong> — host-measured throughput per chip × scenario.</p>
${compareTable(c)}
<p class="note">n = ok results (baseline/candidate); failed iterations are counted, never in the statistics. delta = candidate median / baseline median − 1, with a 95% percentile-bootstrap interval; p = two-sided Mann-Whitney U. A change counts when p &lt; ${h(c.alpha)} and |delta| ≥ ${h(c.thresholdPct)}%.${notes ? ` ${notes} row(s) have not enough data (see "why").` : ''}</p>
</section>`);
    sections.push(`<section id="distributions">
<h2>Distributions</h2>
<p class="note">Each ok result as a point over a box of its side (box Q1–Q3, line at the median, whiskers to min and max).</p>
<div class="grid">
${d.distributions.map((x, i) => chartDiv('box', i, `distribution of ${x.chip} ${x.scenario}`)).join('\n')}
</div>
</section>`);
  }

  nav.push('<a href="#timeline">Over time</a>');
  sections.push(`<section id="timeline">
<h2>Throughput over time</h2>
<p class="note">Host KiB/s of each ok result at its end time, per chip × scenario; one series per ref.</p>
${d.timeline.length ? `<div class="grid">\n${d.timeline.map((x, i) => chartDiv('timeline', i, `throughput over time of ${x.chip} ${x.scenario}`)).join('\n')}\n</div>` : '<p class="note">No ok results in the chosen runs.</p>'}
</section>`);

  if (d.rssi) {
    nav.push('<a href="#rssi">Throughput vs RSSI</a>');
    const n = d.rssi.series.reduce((a, x) => a + x.points.length, 0);
    sections.push(`<section id="rssi">
<h2>Throughput vs RSSI</h2>
<p class="note">Host KiB/s of each ok result against the RSSI the device under test reported for it (protocol-v1 result details, or ESP-IDF's scan of the AP before an iperf run; esp-hal's bench loop reports none): ${n} result(s), one series per ref × chip × scenario.</p>
${chartDiv('rssi', 0, 'throughput against RSSI', true)}
</section>`);
  }

  nav.push('<a href="#intervals">Intervals</a>');
  sections.push(`<section id="intervals">
<h2>Intervals of one run</h2>
${d.detail ? `<p class="note">Run <code>${h(d.detail.runId)}</code>: throughput of each interval sample the host took (KiB/s = bytes / 1024 / time since the previous sample), every result of the run; dashed lines are failed results.</p>\n${d.detail.series.length ? chartDiv('detail', 0, `interval throughput of run ${d.detail.runId}`, true) : '<p class="note">This run has no interval samples.</p>'}` : '<p class="note">No run chosen.</p>'}
</section>`);

  nav.push('<a href="#runs">Runs</a>');
  sections.push(`<section id="runs">
<h2>Runs</h2>
${runsTable(d.runs, d.detail?.runId ?? null)}
</section>`);

  // The detail chart exists only when it has series; keep the data consistent with the page.
  const data: ReportData = d.detail && !d.detail.series.length ? { ...d, detail: null } : d;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="espbench report">
<title>${h(d.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${h(d.title)}</h1>
<p class="meta">Generated ${h(utc(d.generatedAt))} · ${d.runs.length} run(s) · throughput in KiB/s (1 KiB/s = ${h(d.mbitPerKiB)} Mbit/s) as the host measured it</p>
<nav>${nav.join('')}</nav>
<noscript><p class="note">The charts need JavaScript; the tables below do not.</p></noscript>
</header>
${sections.join('\n')}
<footer>Charts: Apache ECharts ${h(echarts.version)} (Apache-2.0), embedded in this file with the data (JSON in <code>#espbench-data</code>); the page needs no network.</footer>
<script type="application/json" id="espbench-data">${jsonForScript(data)}</script>
<script>${scriptForHtml(echarts.source)}</script>
<script>${scriptForHtml(CLIENT_JS)}</script>
</body>
</html>
`;
}
