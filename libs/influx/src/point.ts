import { Point } from '@influxdata/influxdb-client';
import type { FieldType } from './series.js';

/** One point as our code builds it; turned into line protocol by the official client's `Point`. */
export interface SeriesPoint {
  measurement: string;
  tags: Record<string, string | null | undefined>;
  fields: Record<string, { type: FieldType; value: number | string } | null | undefined>;
  /** Milliseconds since the epoch; points are written with precision=ms. */
  timeMs: number;
}

/** InfluxDB 1.x refuses string fields over 64 KiB; board text longer than this is cut (and says so). */
export const MAX_STRING_FIELD = 32 * 1024;

/**
 * Line protocol cannot carry every character in a tag value: there is no escape for a newline, and
 * InfluxDB 1.x keeps a backslash verbatim, so one that ends the value or stands before `,`, `=` or a
 * space would change the meaning of the line. Control characters become spaces, such backslashes `/`.
 * String *fields* carry everything (quotes, backslashes, newlines) unchanged.
 */
export function tagValue(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f]/g, ' ').replace(/\\(?=[,= ]|$)/g, '/');
}

export function stringFieldValue(value: string): string {
  if (value.length <= MAX_STRING_FIELD) return value;
  return `${value.slice(0, MAX_STRING_FIELD)}… [${value.length - MAX_STRING_FIELD} more characters cut]`;
}

/** Line protocol for one point (timestamp in milliseconds). */
export function toLine(p: SeriesPoint): string {
  const point = new Point(p.measurement);
  for (const [key, value] of Object.entries(p.tags)) {
    if (value === null || value === undefined) continue;
    const v = tagValue(value);
    if (v !== '') point.tag(key, v);
  }
  for (const [key, field] of Object.entries(p.fields)) {
    if (!field) continue;
    if (field.type === 'string') point.stringField(key, stringFieldValue(String(field.value)));
    else if (field.type === 'integer') point.intField(key, field.value as number);
    else point.floatField(key, field.value as number);
  }
  point.timestamp(String(Math.round(p.timeMs)));
  const line = point.toLineProtocol();
  if (!line) throw new Error(`point of ${p.measurement} has no fields`);
  return line;
}
