import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** Where points go. `v1`: InfluxDB 1.x `/write` (and 2.x/3.x v1 compatibility); `v2`: `/api/v2/write` (2.x, 3.x). */
export interface InfluxTarget {
  url: string;
  api: 'v1' | 'v2';
  db?: string;
  rp?: string;
  user?: string;
  password?: string;
  org?: string;
  bucket?: string;
  token?: string;
}

/** Bad settings: printed as one line, exit code 2. */
export class InfluxConfigError extends Error {
  override readonly name = 'InfluxConfigError';
}

export interface InfluxSettings {
  url?: string;
  api?: string;
  db?: string;
  rp?: string;
  user?: string;
  password?: string;
  org?: string;
  bucket?: string;
  token?: string;
}

const KEYS = ['url', 'api', 'db', 'rp', 'user', 'password', 'org', 'bucket', 'token'] as const;

export const DEFAULT_DB = 'espbench';
export const CONFIG_FILE = 'espbench.config.json';

/** Settings from the environment: ESPBENCH_INFLUX_URL, _API, _DB, _RP, _USER, _PASSWORD, _ORG, _BUCKET, _TOKEN. */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): InfluxSettings {
  const out: InfluxSettings = {};
  for (const key of KEYS) {
    const value = env[`ESPBENCH_INFLUX_${key.toUpperCase()}`];
    if (value) out[key] = value;
  }
  return out;
}

/**
 * The `influx` section of a JSON config file: the file named by --config or $ESPBENCH_CONFIG (which
 * must exist), else ./espbench.config.json when there is one.
 */
export function settingsFromConfigFile(file?: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): InfluxSettings {
  const named = file ?? env.ESPBENCH_CONFIG;
  const path = resolve(cwd, named ?? CONFIG_FILE);
  if (!named && !existsSync(path)) return {};
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new InfluxConfigError(`config file ${path}: ${why}`);
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new InfluxConfigError(`config file ${path}: must be a JSON object like {"influx": {"url": "http://localhost:8086"}}`);
  const section = (data as Record<string, unknown>).influx;
  if (section === undefined) return {};
  if (!section || typeof section !== 'object' || Array.isArray(section)) {
    throw new InfluxConfigError(`config file ${path}: "influx" must be an object like {"url": "http://localhost:8086", "db": "espbench"}`);
  }
  const out: InfluxSettings = {};
  for (const [key, value] of Object.entries(section)) {
    if (!(KEYS as readonly string[]).includes(key)) {
      throw new InfluxConfigError(`config file ${path}: unknown key influx.${key} (known: ${KEYS.join(', ')})`);
    }
    if (typeof value !== 'string') throw new InfluxConfigError(`config file ${path}: influx.${key} must be a string`);
    out[key as (typeof KEYS)[number]] = value;
  }
  return out;
}

/**
 * The target from flags over environment over config file, or null when no URL is set anywhere.
 * The API is v2 when a bucket or org is given (or --influx-api v2), else v1 with database "espbench".
 */
export function resolveTarget(layers: InfluxSettings[]): InfluxTarget | null {
  const s: InfluxSettings = {};
  for (const layer of [...layers].reverse()) {
    for (const key of KEYS) if (layer[key] !== undefined && layer[key] !== '') s[key] = layer[key];
  }
  if (!s.url) {
    const stray = KEYS.filter((k) => k !== 'url' && s[k] !== undefined && layers[0]?.[k] !== undefined);
    if (stray.length) throw new InfluxConfigError(`--influx-${stray[0]} needs an InfluxDB URL: add --influx http://host:8086 or set ESPBENCH_INFLUX_URL`);
    return null;
  }
  let parsed: URL;
  try {
    parsed = new URL(s.url);
  } catch {
    throw new InfluxConfigError(`InfluxDB URL "${redactUrl(s.url)}" is not a URL (example: http://localhost:8086)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new InfluxConfigError(`InfluxDB URL must be http:// or https://, got "${redactUrl(s.url)}"`);
  }
  // user:password@ in the URL becomes the v1 credentials and never travels in the URL.
  if (parsed.username && !s.user) s.user = decodeURIComponent(parsed.username);
  if (parsed.password && !s.password) s.password = decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  const url = parsed.toString().replace(/\/+$/, '');

  if (s.api !== undefined && s.api !== 'v1' && s.api !== 'v2') {
    throw new InfluxConfigError(`InfluxDB API must be v1 or v2, got "${s.api}"`);
  }
  const api = (s.api as 'v1' | 'v2' | undefined) ?? (s.bucket || s.org ? 'v2' : 'v1');
  if (api === 'v2') {
    if (!s.bucket) throw new InfluxConfigError('InfluxDB 2.x/3.x needs a bucket: add --influx-bucket NAME or set ESPBENCH_INFLUX_BUCKET');
    if (!s.token) throw new InfluxConfigError('InfluxDB 2.x/3.x needs a token: set ESPBENCH_INFLUX_TOKEN (or --influx-token)');
    return { url, api, bucket: s.bucket, token: s.token, ...(s.org ? { org: s.org } : {}) };
  }
  if ((s.user && !s.password) || (!s.user && s.password)) {
    throw new InfluxConfigError('InfluxDB 1.x credentials need both a user and a password (ESPBENCH_INFLUX_USER and ESPBENCH_INFLUX_PASSWORD)');
  }
  return {
    url,
    api,
    db: s.db ?? DEFAULT_DB,
    ...(s.rp ? { rp: s.rp } : {}),
    ...(s.user ? { user: s.user, password: s.password } : {}),
    ...(s.token ? { token: s.token } : {}),
  };
}

/** For people and logs: where points go, never a password or token. */
export function describeTarget(t: InfluxTarget): string {
  const where = t.api === 'v1' ? `database ${t.db}${t.rp ? ` (retention policy ${t.rp})` : ''}` : `bucket ${t.bucket}${t.org ? ` (org ${t.org})` : ''}`;
  return `${t.url} ${where}`;
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//***@');
}

/** Remove every secret of the target from a message (error bodies can echo a request). */
export function redact(message: string, t: InfluxTarget | null): string {
  let out = message;
  const basic = t?.user ? Buffer.from(`${t.user}:${t.password ?? ''}`).toString('base64') : undefined;
  for (const secret of [t?.token, t?.password, basic]) {
    if (secret) out = out.split(secret).join('***');
  }
  return out;
}
