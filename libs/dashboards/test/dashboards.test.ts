import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MEASUREMENTS } from '@espbench/influx';
import * as barchart from '@grafana/grafana-foundation-sdk/barchart';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import * as xychart from '@grafana/grafana-foundation-sdk/xychart';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { DATASOURCE_UID, KIBPS, buildDashboards, dashboardPanels, dashboardQueries, type InfluxQueryJson } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const built = buildDashboards();

describe('dashboard models', () => {
  it('four dashboards with distinct uids and titles', () => {
    expect(built.map((d) => d.uid)).toEqual(['espbench-nightly', 'espbench-release', 'espbench-coex', 'espbench-run']);
    expect(new Set(built.map((d) => d.title)).size).toBe(4);
    for (const d of built) expect([d.json.uid, d.json.title]).toEqual([d.uid, d.title]);
  });

  it('are plain JSON: stringify and parse give the same object back', () => {
    for (const d of built) {
      const text = JSON.stringify(d.json);
      expect(JSON.parse(text), d.uid).toStrictEqual(d.json);
      // Deterministic: building again gives the same file.
      expect(JSON.stringify(buildDashboards().find((x) => x.uid === d.uid)!.json)).toBe(text);
    }
  });

  it("carry every field the SDK's defaults say is required, for the dashboard and each panel type", () => {
    const required = (o: object) => Object.keys(o).sort();
    const optionsDefaults: Record<string, object> = {
      timeseries: timeseries.defaultOptions(),
      table: table.defaultOptions(),
      barchart: barchart.defaultOptions(),
      xychart: xychart.defaultOptions(),
    };
    for (const d of built) {
      expect(Object.keys(d.json)).toEqual(expect.arrayContaining(required(dashboard.defaultDashboard())));
      for (const { panel } of dashboardPanels(d.json)) {
        expect(Object.keys(optionsDefaults), `${d.uid} ${panel.title}`).toContain(panel.type);
        expect(Object.keys(panel.options ?? {}), `${d.uid} ${panel.title}`).toEqual(expect.arrayContaining(required(optionsDefaults[panel.type]!)));
        expect(Object.keys(panel.gridPos ?? {})).toEqual(expect.arrayContaining(required(dashboard.defaultGridPos())));
      }
    }
  });

  it('every panel has a title, a description, a unique id, the datasource, and InfluxQL targets with refIds', () => {
    for (const d of built) {
      const ids = new Set<number>();
      for (const p of d.json.panels ?? []) {
        expect(p.id, `${d.uid} ${p.title}`).toBeGreaterThan(0);
        expect(ids.has(p.id!)).toBe(false);
        ids.add(p.id!);
      }
      for (const { panel } of dashboardPanels(d.json)) {
        const where = `${d.uid} "${panel.title}"`;
        expect(panel.title, where).toBeTruthy();
        expect(panel.description, where).toBeTruthy();
        expect(panel.datasource, where).toEqual({ type: 'influxdb', uid: DATASOURCE_UID });
        const targets = panel.targets as unknown as InfluxQueryJson[];
        expect(targets.length, where).toBeGreaterThan(0);
        expect(new Set(targets.map((t) => t.refId)).size, where).toBe(targets.length);
        for (const t of targets) {
          expect(t.refId, where).toMatch(/^[A-Z]$/);
          expect(t.datasource, where).toEqual({ type: 'influxdb', uid: DATASOURCE_UID });
          expect(t.rawQuery, where).toBe(true);
          expect(['time_series', 'table'], where).toContain(t.resultFormat);
          expect(t.query, where).toMatch(/^SELECT /);
        }
        expect((panel.gridPos?.x ?? 0) + (panel.gridPos?.w ?? 0), where).toBeLessThanOrEqual(24);
      }
    }
  });

  it('throughput panels are in KiB/s', () => {
    for (const d of built) {
      for (const { panel } of dashboardPanels(d.json)) {
        const q = (panel.targets as unknown as InfluxQueryJson[])[0]!.query;
        if (/"(host_kibps|kibps)"/.test(q) && !/count\("iteration"\)/.test(q)) expect(panel.fieldConfig?.defaults.unit, `${d.uid} ${panel.title}`).toBe(KIBPS);
      }
    }
  });

  it('chip, rig and scenario variables (multi-value, All) on every dashboard; variables and annotations use the datasource', () => {
    for (const d of built) {
      const vars = d.json.templating.list ?? [];
      for (const name of ['chip', 'rig', 'scenario']) {
        const v = vars.find((x) => x.name === name);
        expect(v, `${d.uid} $${name}`).toMatchObject({ type: 'query', multi: true, includeAll: true, datasource: { uid: DATASOURCE_UID } });
        expect(v!.query).toBe(`SHOW TAG VALUES FROM "espbench_result" WITH KEY = "${name}"`);
      }
      for (const v of vars) expect(v.datasource?.uid, `${d.uid} $${v.name}`).toBe(DATASOURCE_UID);
      for (const a of d.json.annotations.list ?? []) {
        expect(a.datasource?.uid).toBe(DATASOURCE_UID);
        expect((a.target as unknown as InfluxQueryJson).datasource.uid).toBe(DATASOURCE_UID);
      }
    }
    const release = built.find((d) => d.uid === 'espbench-release')!.json.templating.list!;
    for (const name of ['baseline', 'candidate']) expect(release.find((v) => v.name === name)).toMatchObject({ multi: false, includeAll: false, query: 'SHOW TAG VALUES FROM "espbench_result" WITH KEY = "ref"' });
    const run = built.find((d) => d.uid === 'espbench-run')!.json.templating.list!;
    expect(run.find((v) => v.name === 'run_id')?.query).toMatch(/^SHOW TAG VALUES FROM "espbench_run" WITH KEY = "run_id"/);
  });

  it('queries only name measurements of the shared schema, and statistics only use ok results', () => {
    const names: string[] = MEASUREMENTS.map((m) => m.name);
    for (const d of built) {
      for (const q of dashboardQueries(d.json)) {
        const from = [...q.query.matchAll(/FROM "([^"]+)"/g)].map((m) => m[1]);
        expect(from.length, q.query).toBeGreaterThan(0);
        for (const m of from) expect(names, q.query).toContain(m);
        if (/(median|percentile|min|max)\("host_kibps"/.test(q.query)) {
          const selects = q.query.match(/FROM "espbench_result" WHERE [^)]*/g) ?? [];
          for (const s of selects) expect(s, q.query).toContain(`"status" = 'ok'`);
        }
      }
    }
  });

  it('the nightly band panel fills from max down to min', () => {
    const nightly = built.find((d) => d.uid === 'espbench-nightly')!.json;
    const band = dashboardPanels(nightly).find(({ panel }) => panel.repeat === 'scenario')!;
    expect(band.repeatedBy).toEqual(['chip', 'scenario']);
    expect(band.panel.fieldConfig?.overrides).toContainEqual({ matcher: { id: 'byName', options: 'max' }, properties: expect.arrayContaining([{ id: 'custom.fillBelowTo', value: 'min' }]) });
    expect((band.panel.targets as unknown as InfluxQueryJson[])[0]!.alias).toBe('$col');
  });
});

describe('the JSON files type-check against the foundation SDK types', () => {
  it('with the TypeScript compiler, panel options and field config per panel type', () => {
    // The written JSON (not the builder objects) as a literal of the SDK's types: excess property
    // checks catch misspelled keys, enums accept only their values. JSON has no Dataquery marker
    // method, so queries are checked as InfluxQueryJson.
    const file = join(here, '__dashboards_json_check__.ts');
    const source = `
import type * as barchart from '@grafana/grafana-foundation-sdk/barchart';
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import type * as table from '@grafana/grafana-foundation-sdk/table';
import type * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import type * as xychart from '@grafana/grafana-foundation-sdk/xychart';
import type { InfluxQueryJson } from '../src/influx-query.js';

type Json<T> = 0 extends 1 & T ? T
  : T extends cog.Dataquery ? InfluxQueryJson
  : T extends (...args: never[]) => unknown ? never
  : T extends string ? \`\${T}\`
  : T extends number | boolean | null | undefined ? T
  : T extends readonly (infer U)[] ? Json<U>[]
  : T extends object ? { [K in keyof T]: Json<T[K]> }
  : T;
type FieldConfigOf<C> = Omit<Json<dashboard.FieldConfigSource>, 'defaults'> & {
  defaults: Omit<Json<dashboard.FieldConfig>, 'custom'> & { custom?: Json<C> };
};
type PanelOf<T extends string, O, C> = Omit<Json<dashboard.Panel>, 'type' | 'options' | 'fieldConfig'> & {
  type: T;
  options: Json<O>;
  fieldConfig: FieldConfigOf<C>;
};
type AnyPanel =
  | PanelOf<'timeseries', timeseries.Options, timeseries.FieldConfig>
  | PanelOf<'table', table.Options, table.FieldConfig>
  | PanelOf<'barchart', barchart.Options, barchart.FieldConfig>
  | PanelOf<'xychart', xychart.Options, xychart.FieldConfig>;
type Row = Omit<Json<dashboard.RowPanel>, 'panels'> & { panels: AnyPanel[] };
type DashboardJson = Omit<Json<dashboard.Dashboard>, 'panels'> & { panels: (AnyPanel | Row)[] };

export const dashboards: DashboardJson[] = ${JSON.stringify(built.map((d) => JSON.parse(JSON.stringify(d.json))), null, 1)};
`;
    const options: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
    };
    const host = ts.createCompilerHost(options);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (name, lang, ...rest) => (name === file ? ts.createSourceFile(name, source, lang) : getSourceFile(name, lang, ...rest));
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (name) => name === file || fileExists(name);
    const program = ts.createProgram([file], options, host);
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(diagnostics).toEqual([]);
    // The check has teeth: a misspelled option and a value outside an enum are refused.
    const errorsOf = (text: string) => {
      host.getSourceFile = (name, lang, ...rest) => (name === file ? ts.createSourceFile(name, text, lang) : getSourceFile(name, lang, ...rest));
      return ts
        .getPreEmitDiagnostics(ts.createProgram([file], options, host, program))
        .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
        .join('\n');
    };
    expect(errorsOf(source.replace('"showLegend"', '"showLegnd"'))).toMatch(/showLegnd/);
    expect(errorsOf(source.replace('"cellHeight": "sm"', '"cellHeight": "xl"'))).toMatch(/"xl"/);
  }, 60_000);
});
