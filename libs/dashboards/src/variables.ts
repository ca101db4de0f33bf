import { QueryVariableBuilder, VariableRefresh, VariableSort } from '@grafana/grafana-foundation-sdk/dashboard';
import { DATASOURCE } from './influx-query.js';
import { ident } from './influxql.js';

export interface TagVariableOptions {
  label?: string;
  description?: string;
  /** Measurement whose tag values to list. */
  from: string;
  /** Tag key, unquoted. */
  key: string;
  /** InfluxQL conditions (already quoted) that narrow the values, e.g. by other variables. */
  where?: string[];
  /** Several values and an All option (default); else exactly one value. */
  multi?: boolean;
  sort?: VariableSort;
}

/** `SHOW TAG VALUES FROM "m" WITH KEY = "k" [WHERE ...]`: the query a variable runs. */
export function showTagValues(from: string, key: string, where: string[] = []): string {
  return `SHOW TAG VALUES FROM ${from} WITH KEY = ${ident(key)}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
}

/** A dashboard variable holding values of one tag, queried from InfluxDB when the dashboard loads. */
export function tagVariable(name: string, opts: TagVariableOptions): QueryVariableBuilder {
  const query = showTagValues(opts.from, opts.key, opts.where);
  const multi = opts.multi ?? true;
  const v = new QueryVariableBuilder(name)
    .label(opts.label ?? name)
    .datasource(DATASOURCE)
    .query(query)
    .definition(query)
    .refresh(VariableRefresh.OnDashboardLoad)
    .sort(opts.sort ?? VariableSort.AlphabeticalAsc)
    .multi(multi)
    .includeAll(multi);
  if (opts.description) v.description(opts.description);
  if (multi) v.current({ selected: true, text: ['All'], value: ['$__all'] });
  return v;
}
