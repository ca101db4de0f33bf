import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type * as common from '@grafana/grafana-foundation-sdk/common';

/**
 * The Grafana datasource every panel, variable and annotation uses: fixed uid, so the provisioned
 * datasource (provisioning/datasources/espbench.yaml) and the dashboards find each other.
 */
export const DATASOURCE_UID = 'espbench-influxdb';
export const DATASOURCE_TYPE = 'influxdb';
export const DATASOURCE: common.DataSourceRef = { type: DATASOURCE_TYPE, uid: DATASOURCE_UID };

export type ResultFormat = 'time_series' | 'table';

/**
 * A raw InfluxQL target as Grafana's InfluxDB datasource stores it (the SDK has no InfluxDB query
 * type). `rawQuery: true` makes Grafana send `query` as written, after substituting variables.
 */
export interface InfluxQuery extends cog.Dataquery {
  refId: string;
  datasource: common.DataSourceRef;
  query: string;
  rawQuery: true;
  resultFormat: ResultFormat;
  /** Series name pattern: `$tag_chip`, `$col` (the column alias), `$m` (measurement). */
  alias?: string;
  hide?: boolean;
  /** Annotation targets only: Grafana's InfluxQL annotation editor sets these. */
  fromAnnotations?: boolean;
  textEditor?: boolean;
  titleColumn?: string;
  textColumn?: string;
  tagsColumn?: string;
  timeEndColumn?: string;
}

/** What an InfluxQuery looks like in the dashboard JSON (no marker method). */
export type InfluxQueryJson = Omit<InfluxQuery, '_implementsDataqueryVariant'>;

export class InfluxQueryBuilder implements cog.Builder<cog.Dataquery> {
  private readonly internal: InfluxQueryJson;

  constructor(query: string) {
    this.internal = { refId: 'A', datasource: { ...DATASOURCE }, query, rawQuery: true, resultFormat: 'time_series' };
  }

  build(): InfluxQuery {
    const built = { ...this.internal, datasource: { ...this.internal.datasource } };
    // The SDK's Dataquery marker must exist for the type system but never reach the JSON.
    Object.defineProperty(built, '_implementsDataqueryVariant', { value: () => {}, enumerable: false });
    return built as InfluxQuery;
  }

  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }

  datasource(datasource: common.DataSourceRef): this {
    this.internal.datasource = datasource;
    return this;
  }

  query(query: string): this {
    this.internal.query = query;
    return this;
  }

  resultFormat(resultFormat: ResultFormat): this {
    this.internal.resultFormat = resultFormat;
    return this;
  }

  table(): this {
    return this.resultFormat('table');
  }

  alias(alias: string): this {
    this.internal.alias = alias;
    return this;
  }

  hide(hide: boolean): this {
    this.internal.hide = hide;
    return this;
  }

  /** Make this an annotation target: which columns hold the title, the text and the tags. */
  annotationColumns(cols: { title: string; text: string; tags?: string[]; timeEnd?: string }): this {
    Object.assign(this.internal, {
      fromAnnotations: true,
      textEditor: true,
      titleColumn: cols.title,
      textColumn: cols.text,
      tagsColumn: (cols.tags ?? []).join(','),
      ...(cols.timeEnd ? { timeEndColumn: cols.timeEnd } : {}),
    });
    return this;
  }
}

export const influxql = (query: string) => new InfluxQueryBuilder(query);
