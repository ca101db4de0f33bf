import type { Dashboard, Panel, RowPanel } from '@grafana/grafana-foundation-sdk/dashboard';
import type { InfluxQueryJson } from './influx-query.js';

/** One InfluxQL statement a dashboard runs, with where it comes from. */
export interface DashboardQuery {
  kind: 'panel' | 'variable' | 'annotation';
  /** Panel title, variable name or annotation name. */
  name: string;
  refId?: string;
  query: string;
  resultFormat?: string;
  /** Variables the panel is repeated over (its own and its row's): single-valued in each copy. */
  repeatedBy: string[];
  target?: InfluxQueryJson;
  panel?: Panel;
}

const isRow = (p: Panel | RowPanel): p is RowPanel => p.type === 'row';

/** Every panel of the dashboard (rows' nested panels included) with the variables it is repeated by. */
export function dashboardPanels(d: Dashboard): { panel: Panel; repeatedBy: string[] }[] {
  const out: { panel: Panel; repeatedBy: string[] }[] = [];
  let rowRepeat: string[] = [];
  for (const p of d.panels ?? []) {
    if (isRow(p)) {
      rowRepeat = p.repeat ? [p.repeat] : [];
      for (const inner of p.panels) out.push({ panel: inner, repeatedBy: [...rowRepeat, ...(inner.repeat ? [inner.repeat] : [])] });
      continue;
    }
    out.push({ panel: p, repeatedBy: [...rowRepeat, ...(p.repeat ? [p.repeat] : [])] });
  }
  return out;
}

/** Every query of a dashboard: panel targets, variable queries and annotation queries. */
export function dashboardQueries(d: Dashboard): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  for (const { panel, repeatedBy } of dashboardPanels(d)) {
    for (const t of (panel.targets ?? []) as unknown as InfluxQueryJson[]) {
      out.push({ kind: 'panel', name: panel.title ?? '', refId: t.refId, query: t.query, resultFormat: t.resultFormat, repeatedBy, target: t, panel });
    }
  }
  for (const v of d.templating.list ?? []) {
    if (v.type === 'query' && typeof v.query === 'string') out.push({ kind: 'variable', name: v.name, query: v.query, repeatedBy: [] });
  }
  for (const a of d.annotations.list ?? []) {
    const t = a.target as unknown as InfluxQueryJson | undefined;
    if (t?.query) out.push({ kind: 'annotation', name: a.name, refId: t.refId, query: t.query, resultFormat: t.resultFormat, repeatedBy: [], target: t });
  }
  return out;
}
