/**
 * Variable substitution as Grafana's InfluxDB datasource does it for raw InfluxQL (frontend
 * `templateSrv.replace` with the datasource's `interpolateQueryExpr`, then the backend's
 * `$timeFilter` / `$__interval`), so tests can run the dashboards' exact statements against a real
 * InfluxDB. Mirrors Grafana 10-12 (public/app/plugins/datasource/influxdb/datasource.ts).
 */

export interface VariableValue {
  /** The selection: an array for a multi-value variable (All = every option). */
  value: string | string[];
  /** The variable allows several values (Grafana then always formats it as a regex). */
  multi?: boolean;
}

export interface InterpolateOptions {
  /** `$timeFilter`: a relative range like `now-24h` (becomes `time >= now() - 24h and time <= now()`) or absolute ms. */
  range?: { from: string | number; to?: string | number };
  /** `$__interval` (and `$interval`), e.g. `1m`. */
  interval?: string;
}

/** Grafana's escapeRegex (@grafana/data). */
export function escapeRegex(value: string): string {
  return value.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');
}

const isNumeric = (v: string) => !Number.isNaN(Number.parseFloat(v));

/** The datasource's interpolateQueryExpr for one variable occurrence in `query`. */
function format(name: string, v: VariableValue, query: string): string {
  const { value } = v;
  if (typeof value === 'string' && isNumeric(value)) return value;
  if (v.multi) {
    if (typeof value === 'string') return escapeRegex(value);
    return `(${value.map(escapeRegex).join('|')})`;
  }
  // Single-value: escaped only when the query uses the variable inside a /regex/.
  const inRegex = new RegExp(`\\/(?:\\^)?(.*)(\\$${name})(.*)(?:\\$)?\\/`, 'm').test(query) && /(?<=\/).+?(?=\/)/m.test(query);
  const values = typeof value === 'string' ? [value] : value;
  if (!inRegex) return values.join(',');
  return typeof value === 'string' ? escapeRegex(value) : `(${value.map(escapeRegex).join('|')})`;
}

/** Grafana's variable syntaxes: `$var`, `[[var]]`, `[[var:fmt]]`, `${var}`, `${var:fmt}`. */
const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

function influxTime(t: string | number, roundUp: boolean): string {
  if (typeof t === 'number') return `${Math.round(t)}ms`;
  if (t === 'now') return 'now()';
  const rel = /^now-(\d+)([dhms])$/.exec(t);
  if (rel) return `now() - ${rel[1]}${rel[2]}`;
  const ms = Date.parse(t);
  if (Number.isNaN(ms)) throw new Error(`unsupported time ${t}${roundUp ? ' (to)' : ''}`);
  return `${ms}ms`;
}

/** What `$timeFilter` becomes. */
export function timeFilter(range: { from: string | number; to?: string | number }): string {
  return `time >= ${influxTime(range.from, false)} and time <= ${influxTime(range.to ?? 'now', true)}`;
}

/**
 * Substitute dashboard variables (`vars`: plain string = single value, array = multi-value
 * selection) and the built-ins. An unknown variable is left as it is, like Grafana does.
 */
export function interpolate(query: string, vars: Record<string, string | string[] | VariableValue>, opts: InterpolateOptions = {}): string {
  const model = (name: string): VariableValue | undefined => {
    const v = vars[name];
    if (v === undefined) return undefined;
    if (typeof v === 'string') return { value: v };
    if (Array.isArray(v)) return { value: v, multi: true };
    return v;
  };
  let out = query.replace(VARIABLE, (match, a?: string, b?: string, _fmtB?: string, c?: string) => {
    const name = a ?? b ?? c ?? '';
    const v = model(name);
    return v ? format(name, v, query) : match;
  });
  // Backend built-ins, after the dashboard variables (Grafana's Go InfluxQL query builder).
  const interval = opts.interval ?? '1m';
  out = out.replace(/\$__interval_ms\b/g, String(intervalMs(interval))).replace(/\$__interval\b|\$interval\b/g, interval);
  out = out.replace(/\$timeFilter\b/g, timeFilter(opts.range ?? { from: 'now-24h' }));
  return out;
}

function intervalMs(interval: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(interval);
  if (!m) throw new Error(`unsupported interval ${interval}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}
