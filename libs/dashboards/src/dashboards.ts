import { RESULT, RUN } from '@espbench/influx';
import { GraphDrawStyle, StackingMode, StackingConfigBuilder } from '@grafana/grafana-foundation-sdk/common';
import {
  AnnotationQueryBuilder,
  DashboardBuilder,
  DashboardCursorSync,
  RowBuilder,
  VariableSort,
  type Dashboard,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DATASOURCE, influxql } from './influx-query.js';
import { RN, ident, matches } from './influxql.js';
import { barchart, countProperties, deltaPercentProperties, organize, scatter, table, timeseries } from './panels.js';
import * as q from './queries.js';
import { tagVariable } from './variables.js';

export interface BuiltDashboard {
  uid: string;
  title: string;
  /** The dashboard model, ready for JSON.stringify (a Grafana dashboard JSON file). */
  json: Dashboard;
}

const TAGS = ['espbench'];

/** chip, rig and scenario: multi-value with All, from the results measurement. */
function commonVariables() {
  const from = ident(RESULT.name);
  return [
    tagVariable('chip', { from, key: 'chip', label: 'Chip', description: 'Espressif chip, from the ROM boot banner' }),
    tagVariable('rig', { from, key: 'rig', label: 'Rig', description: 'the run label rig, else the host that ran it' }),
    tagVariable('scenario', { from, key: 'scenario', label: 'Scenario' }),
  ];
}

function base(uid: string, title: string, description: string, from: string): DashboardBuilder {
  return new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(TAGS)
    .timezone('browser')
    .time({ from, to: 'now' })
    .tooltip(DashboardCursorSync.Crosshair)
    .readonly()
    .refresh('');
}

const eventsAnnotation = (query: string, name: string) =>
  new AnnotationQueryBuilder()
    .name(name)
    .datasource(DATASOURCE)
    .enable(true)
    .iconColor('red')
    .target(influxql(query).table().annotationColumns({ title: 'title', text: 'text', tags: ['kind', 'scenario', 'run_id'] }));

/** Give every panel and row a unique id (Grafana needs them for links, repeats and annotations). */
function numberPanels(d: Dashboard): Dashboard {
  let id = 1;
  for (const p of d.panels ?? []) {
    p.id = id++;
    if (p.type === 'row' && 'panels' in p) for (const inner of p.panels) inner.id = id++;
  }
  return d;
}

export function nightlyDashboard(): BuiltDashboard {
  const uid = 'espbench-nightly';
  const title = 'espbench / Nightly';
  const d = base(uid, title, 'Throughput of every chip and scenario night after night, failures, and the latest run against the runs before it.', 'now-30d')
    .variables(commonVariables())
    .annotation(eventsAnnotation(q.eventsAnnotation(), 'Failures'))
    .withPanel(
      timeseries(
        'Median throughput per chip and scenario',
        'Median of the ok results (other radio idle) per time bucket (at least 1 h, so one nightly run is one point), in KiB/s as the host measured them.',
        [influxql(q.nightlyMedian()).alias('$tag_chip $tag_scenario')],
      )
        .interval('1h')
        .span(24)
        .height(9),
    )
    .withPanel(
      table(
        `Latest run vs the median of the ${q.PREVIOUS_RUNS} runs before it`,
        `Per chip and scenario: the latest run's median result, the median over the ${q.PREVIOUS_RUNS} runs before it (each run counted by its own median) and the change in %. Only runs in the time range count; runs are ordered by run id (espbench ids start with the UTC start time). Computed in InfluxQL: see libs/dashboards/README.md.`,
        [influxql(q.nightlyLatestVsPrevious()).table()],
      )
        .span(24)
        .height(8)
        .withTransformation(
          organize({ latest: 'latest run', previous: `median of previous ${q.PREVIOUS_RUNS}`, runs: 'previous runs', delta_pct: 'change' }),
        )
        .overrideByName('delta_pct', deltaPercentProperties())
        .overrideByName('runs', countProperties()),
    )
    .withPanel(
      timeseries('Failed results', 'Results that failed (reset, panic, connect error, timeout, ...) per time bucket; results skipped because an earlier one in the round failed are not counted.', [
        influxql(q.nightlyFailures()).alias('$tag_chip $tag_scenario'),
      ])
        .interval('1h')
        .unit('none')
        .decimals(0)
        .drawStyle(GraphDrawStyle.Bars)
        .fillOpacity(80)
        .stacking(new StackingConfigBuilder().mode(StackingMode.Normal))
        .span(12)
        .height(8),
    )
    .withPanel(
      timeseries('Failure events by kind', 'Failure events per time bucket by kind, including runs that failed or were aborted (run-failed, run-aborted). Filtered by chip and rig only: run-level events have no scenario.', [
        influxql(q.nightlyEventsByKind()).alias('$tag_kind'),
      ])
        .interval('1h')
        .unit('none')
        .decimals(0)
        .drawStyle(GraphDrawStyle.Bars)
        .fillOpacity(80)
        .stacking(new StackingConfigBuilder().mode(StackingMode.Normal))
        .span(12)
        .height(8),
    )
    .withRow(new RowBuilder('Median with min-max band: $chip').repeat('chip'))
    .withPanel(
      timeseries('$scenario on $chip', 'Median of the ok results per time bucket (line) and the band from the lowest to the highest result.', [
        influxql(q.nightlyBand()).alias('$col'),
      ])
        .interval('1h')
        .repeat('scenario')
        .repeatDirection('h')
        .maxPerRow(3)
        .span(8)
        .height(8)
        .overrideByName('max', [
          { id: 'custom.fillBelowTo', value: 'min' },
          { id: 'custom.fillOpacity', value: 20 },
          { id: 'custom.lineWidth', value: 0 },
          { id: 'custom.showPoints', value: 'never' },
        ])
        .overrideByName('min', [
          { id: 'custom.lineWidth', value: 0 },
          { id: 'custom.showPoints', value: 'never' },
        ]),
    )
    .build();
  return { uid, title, json: numberPanels(d) };
}

export function releaseDashboard(): BuiltDashboard {
  const uid = 'espbench-release';
  const title = 'espbench / Release comparison';
  const ref = (name: string, label: string, sort: VariableSort) =>
    tagVariable(name, { from: ident(RESULT.name), key: 'ref', label, multi: false, sort, description: 'a value of the run label ref' });
  const d = base(uid, title, 'Two firmware refs side by side: median throughput per chip and scenario and the change from baseline to candidate.', 'now-90d')
    .variables([ref('baseline', 'Baseline', VariableSort.AlphabeticalAsc), ref('candidate', 'Candidate', VariableSort.AlphabeticalDesc), ...commonVariables()])
    .withPanel(
      table('$baseline vs $candidate', 'Median of all ok results (other radio idle) of each ref in the time range, per chip and scenario; change in % from baseline to candidate; n = results counted.', [
        influxql(q.releaseComparison('chip-scenario')).table(),
      ])
        .span(24)
        .height(9)
        .withTransformation(organize({ baseline: 'baseline ($baseline)', candidate: 'candidate ($candidate)', delta_pct: 'change', n_baseline: 'n baseline', n_candidate: 'n candidate' }))
        .overrideByName('delta_pct', deltaPercentProperties())
        .overrideByName('n_baseline', countProperties())
        .overrideByName('n_candidate', countProperties()),
    )
    .withPanel(
      scatter(
        'Throughput vs RSSI',
        "Host-measured throughput of each ok result (other radio idle) of $baseline and $candidate against the device under test's RSSI, one series per chip, scenario and ref. Only results with an RSSI: protocol-v1 firmware and ESP-IDF's iperf (from its scan); esp-hal's bench reports none.",
        [influxql(q.releaseThroughputVsRssi()).table()],
        'rssi',
        'host_kibps',
        ['chip', 'scenario', 'ref'],
      )
        .span(24)
        .height(9),
    )
    .withRow(new RowBuilder('Per chip'))
    .withPanel(
      barchart('$chip: $baseline vs $candidate', 'Median of the ok results per scenario, baseline and candidate bars side by side.', [influxql(q.releaseComparison('scenario')).table()], 'scenario')
        .repeat('chip')
        .repeatDirection('h')
        .maxPerRow(2)
        .span(12)
        .height(9)
        .withTransformation(organize({}, ['delta_pct', 'n_baseline', 'n_candidate']))
        .overrideByName('baseline', [{ id: 'displayName', value: '$baseline' }])
        .overrideByName('candidate', [{ id: 'displayName', value: '$candidate' }]),
    )
    .build();
  return { uid, title, json: numberPanels(d) };
}

export function coexDashboard(): BuiltDashboard {
  const uid = 'espbench-coex';
  const title = 'espbench / Coexistence';
  const d = base(
    uid,
    title,
    "WiFi throughput alone (tag coex = alone) against the same scenario while the other radio is busy (coex = the concurrent scenario's name). Empty until coexistence results exist.",
    'now-30d',
  )
    .variables(commonVariables())
    .withPanel(
      table('Alone vs other radio busy', 'Median of the ok results alone and with the other radio busy (any coexistence scenario), per chip and scenario; change in %. Only pairs with busy results are listed.', [
        influxql(q.coexComparison('chip-scenario')).table(),
      ])
        .span(24)
        .height(8)
        .withTransformation(organize({ alone: 'alone', busy: 'other radio busy', delta_pct: 'change', n_alone: 'n alone', n_busy: 'n busy' }))
        .overrideByName('delta_pct', deltaPercentProperties())
        .overrideByName('n_alone', countProperties())
        .overrideByName('n_busy', countProperties()),
    )
    .withPanel(
      table('Busy results per coexistence scenario', 'Median and count of the ok results per concurrent scenario (the coex tag).', [influxql(q.coexByScenario()).table()])
        .span(12)
        .height(8)
        .withTransformation(organize({ median: 'median', results: 'results' }))
        .overrideByName('results', countProperties()),
    )
    .withPanel(
      timeseries('Throughput with the other radio busy', 'Median of the busy ok results per time bucket, per chip, scenario and coexistence scenario.', [
        influxql(q.coexOverTime()).alias('$tag_chip $tag_scenario $tag_coex'),
      ])
        .interval('1h')
        .span(12)
        .height(8),
    )
    .withRow(new RowBuilder('Per chip'))
    .withPanel(
      barchart('$chip: alone vs other radio busy', 'Median of the ok results per scenario, alone and busy bars side by side.', [influxql(q.coexComparison('scenario')).table()], 'scenario')
        .repeat('chip')
        .repeatDirection('h')
        .maxPerRow(2)
        .span(12)
        .height(9)
        .withTransformation(organize({ busy: 'other radio busy' }, ['delta_pct', 'n_alone', 'n_busy'])),
    )
    .build();
  return { uid, title, json: numberPanels(d) };
}

export function runDetailDashboard(): BuiltDashboard {
  const uid = 'espbench-run';
  const title = 'espbench / Run detail';
  const runId = tagVariable('run_id', {
    from: ident(RUN.name),
    key: 'run_id',
    label: 'Run',
    multi: false,
    // espbench run ids start with the UTC start time: newest first.
    sort: VariableSort.AlphabeticalDesc,
    where: [matches(RN.tag('chip'), 'chip'), matches(RN.tag('rig'), 'rig')],
    description: 'run id (espbench show <run id>), newest first',
  });
  const d = base(uid, title, "One run: what it was, every result, the interval throughput and its failures as annotations. Set the time range around the run's start (shown in the Run table) to see its samples.", 'now-24h')
    .variables([...commonVariables(), runId])
    .annotation(eventsAnnotation(q.runEventsAnnotation(), 'Run failures'))
    .withPanel(
      table('Run', 'The run: device, ref, rig, status, duration and why it failed. Found whatever the time range.', [influxql(q.runSummary()).table()])
        .span(24)
        .height(5)
        .withTransformation({
          id: 'organize',
          options: { excludeByName: {}, renameByName: { Time: 'started', duration_s: 'duration' }, indexByName: {} },
        })
        .overrideByName('duration_s', [
          { id: 'unit', value: 's' },
          { id: 'decimals', value: 1 },
        ])
        .overrideByName('iterations', countProperties())
        .overrideByName('results', countProperties())
        .overrideByName('failures', countProperties()),
    )
    .withPanel(
      timeseries('Interval throughput', 'Throughput of each interval sample (bytes acknowledged by the board, or received by the host for upload) per scenario and device.', [
        influxql(q.runIntervals()).alias('$tag_scenario $tag_device'),
      ])
        .span(24)
        .height(10),
    )
    .withPanel(
      table('Results', 'Every result of the run: host and board figures in KiB/s, bytes, duration, and the failure kind when it failed.', [influxql(q.runResults()).table()])
        .span(24)
        .height(10)
        .withTransformation({
          id: 'organize',
          options: { excludeByName: {}, renameByName: { Time: 'ended', host_kibps: 'host', device_kibps: 'board' }, indexByName: {} },
        })
        .overrideByName('iteration', countProperties())
        .overrideByName('bytes', [{ id: 'unit', value: 'bytes' }])
        .overrideByName('duration_s', [
          { id: 'unit', value: 's' },
          { id: 'decimals', value: 2 },
        ]),
    )
    .build();
  return { uid, title, json: numberPanels(d) };
}
