import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MEASUREMENTS, pointsForRecord } from '../src/index.js';
import { sampleRecord } from './fixtures.js';

const doc = readFileSync(fileURLToPath(new URL('../../../docs/influxdb.md', import.meta.url)), 'utf8');

function documented(measurement: string) {
  const start = doc.indexOf(`### ${measurement}\n`);
  expect(start, `docs/influxdb.md has no section for ${measurement}`).toBeGreaterThan(-1);
  const section = doc.slice(start + 4).split(/\n#{2,3} /)[0]!;
  const tags: string[] = [];
  const fields: Record<string, string> = {};
  for (const m of section.matchAll(/^\| (tag|field) \| (\w+) \|\s*(\w*)\s*\|/gm)) {
    if (m[1] === 'tag') tags.push(m[2]!);
    else fields[m[2]!] = m[3]!;
  }
  return { tags, fields };
}

describe('docs/influxdb.md', () => {
  it('documents exactly the tags and fields the writer writes', () => {
    for (const m of MEASUREMENTS) expect(documented(m.name), m.name).toEqual({ tags: [...m.tags], fields: { ...m.fields } });
  });

  it('the writer uses no tag or field the schema does not list (run labels aside)', () => {
    const labels = new Set(['ssid']);
    for (const p of pointsForRecord(sampleRecord())) {
      const def = MEASUREMENTS.find((m) => m.name === p.measurement)!;
      for (const t of Object.keys(p.tags)) if (!labels.has(t)) expect(def.tags, `${p.measurement} tag ${t}`).toContain(t);
      for (const [f, v] of Object.entries(p.fields)) if (v) expect(v.type, `${p.measurement} field ${f}`).toBe(def.fields[f as keyof typeof def.fields]);
    }
  });
});
