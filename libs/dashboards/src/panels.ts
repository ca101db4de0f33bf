import { PanelBuilder as BarChartBuilder } from '@grafana/grafana-foundation-sdk/barchart';
import {
  LegendDisplayMode,
  LegendPlacement,
  SortOrder,
  TableCellDisplayMode,
  TooltipDisplayMode,
  VisibilityMode,
  VizLegendOptionsBuilder,
  VizTooltipOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import { ThresholdsConfigBuilder, ThresholdsMode, type DataTransformerConfig, type DynamicConfigValue } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TableBuilder } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { MatcherConfigBuilder, PanelBuilder as XYChartBuilder, PointShape, SeriesMapping, XYSeriesConfigBuilder, XYShowMode } from '@grafana/grafana-foundation-sdk/xychart';
import { DATASOURCE, type InfluxQueryBuilder } from './influx-query.js';

/** Grafana's unit id for KiB/s, what every espbench throughput figure is in. */
export const KIBPS = 'KiBs';

const legend = (placement = LegendPlacement.Bottom) =>
  new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(placement).calcs([]);
const tooltip = () => new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.Descending);

export function timeseries(title: string, description: string, targets: InfluxQueryBuilder[]): TimeseriesBuilder {
  return new TimeseriesBuilder()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .targets(targets)
    .unit(KIBPS)
    .min(0)
    .legend(legend())
    .tooltip(tooltip())
    .lineWidth(1)
    .fillOpacity(0)
    .showPoints(VisibilityMode.Always)
    .pointSize(5)
    // Points exist only where runs were (fill(none)); draw the line across the nights between them.
    .spanNulls(true);
}

export function table(title: string, description: string, targets: InfluxQueryBuilder[]): TableBuilder {
  return new TableBuilder().title(title).description(description).datasource(DATASOURCE).targets(targets).unit(KIBPS).decimals(1);
}

export function barchart(title: string, description: string, targets: InfluxQueryBuilder[], xField: string): BarChartBuilder {
  return new BarChartBuilder()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .targets(targets)
    .unit(KIBPS)
    .decimals(1)
    .min(0)
    .xField(xField)
    .showValue(VisibilityMode.Auto)
    .legend(legend())
    .tooltip(tooltip());
}

/** Grafana's unit id for dBm. */
export const DBM = 'dBm';

/**
 * A scatter of `yField` (KiB/s) against `xField` from a table-format query: `partitionBy` tag
 * columns split the rows into one frame (one coloured series) per chip x scenario x ...
 */
export function scatter(title: string, description: string, targets: InfluxQueryBuilder[], xField: string, yField: string, partitionBy: string[]): XYChartBuilder {
  const byName = (name: string) => ({ matcher: new MatcherConfigBuilder().id('byName').options(name).build() });
  return new XYChartBuilder()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .targets(targets)
    .unit(KIBPS)
    .decimals(1)
    .min(0)
    .mapping(SeriesMapping.Auto)
    .series([new XYSeriesConfigBuilder().x(byName(xField)).y(byName(yField))])
    .show(XYShowMode.Points)
    .pointShape(PointShape.Circle)
    .pointSize({ fixed: 6 })
    .legend(legend())
    .tooltip(tooltip())
    .withTransformation({ id: 'partitionByValues', options: { fields: partitionBy, keepFields: false, naming: { asLabels: true } } })
    .overrideByName(xField, [
      { id: 'unit', value: DBM },
      { id: 'decimals', value: 0 },
      { id: 'min', value: null },
      { id: 'custom.axisLabel', value: 'RSSI (dBm)' },
    ])
    .overrideByName(yField, [{ id: 'custom.axisLabel', value: 'KiB/s' }]);
}

/** Organize: hide columns (always `Time`, meaningless for an aggregate over the range) and rename. */
export function organize(rename: Record<string, string>, exclude: string[] = []): DataTransformerConfig {
  return {
    id: 'organize',
    options: {
      excludeByName: Object.fromEntries(['Time', ...exclude].map((c) => [c, true])),
      renameByName: rename,
      indexByName: {},
    },
  };
}

/** Field overrides for a delta-% column: percent, one decimal, red when it dropped, green when not. */
export function deltaPercentProperties(): DynamicConfigValue[] {
  return [
    { id: 'unit', value: 'percent' },
    { id: 'decimals', value: 1 },
    { id: 'custom.cellOptions', value: { type: TableCellDisplayMode.ColorText } },
    {
      id: 'thresholds',
      value: new ThresholdsConfigBuilder()
        .mode(ThresholdsMode.Absolute)
        .steps([
          { value: null, color: 'red' },
          { value: -5, color: 'orange' },
          { value: -2, color: 'green' },
        ])
        .build(),
    },
  ];
}

/** Count columns: plain integers, not KiB/s. */
export const countProperties = (): DynamicConfigValue[] => [
  { id: 'unit', value: 'none' },
  { id: 'decimals', value: 0 },
];
