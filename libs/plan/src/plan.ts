import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { CHIP_RADIOS, SCENARIOS } from '@espbench/schema';

export const PLAN_VERSION = 1;

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, . _ - (no spaces or slashes)');
const chip = z.enum(Object.keys(CHIP_RADIOS) as [string, ...string[]]);

export const Ref = z.strictObject({
  name: name.describe('the firmware version or commit: the ref label of every run of it'),
  firmware: z
    .partialRecord(chip, z.string().min(1))
    .optional()
    .describe("firmware image per chip: a file name in the agent's --firmware-dir (MQTT) or the nightly's --firmware-dir, default the plan file's directory (local); never a command"),
});

export const NightlyPlan = z
  .strictObject({
    version: z.literal(PLAN_VERSION),
    name: name.describe('the plan, e.g. nightly'),
    refs: z.array(Ref).min(1),
    chips: z.array(chip).min(1),
    scenarios: z
      .array(z.enum(SCENARIOS))
      .optional()
      .describe("protocol-v1 scenarios; absent: esp-hal's bench loop (download, upload, upload+download)"),
    coex: z.array(z.string().regex(/^[a-z-]+\+[a-z-]+$/)).optional().describe('coexistence pairs, e.g. wifi-tcp-upload+ble-notify'),
    iterations: z.number().int().positive().default(5),
    duration: z.number().positive().default(15).describe('seconds per test (the firmware\'s TEST_DURATION for the bench loop)'),
    rigs: z.union([z.literal('local'), z.array(name).min(1)]).default('local').describe('rig names to dispatch to over MQTT, or local'),
    devices: z.partialRecord(chip, z.string().min(1)).optional().describe('local dispatch: the device URI of each chip'),
    labels: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/), z.string()).default({}),
    timeoutMinutes: z.number().positive().default(30).describe('per item'),
    window: z.number().int().min(5).default(14).describe('earlier runs `check` compares each result with'),
    threshold: z.number().positive().max(100).default(5),
  })
  .superRefine((p, ctx) => {
    if (p.rigs === 'local') {
      for (const c of p.chips) {
        if (!p.devices?.[c]) ctx.addIssue({ code: 'custom', path: ['devices', c], message: `local dispatch needs devices.${c}: the URI of the ${c} board` });
      }
    }
    for (const r of p.refs) {
      if (r.firmware) for (const c of p.chips) if (!r.firmware[c]) ctx.addIssue({ code: 'custom', path: ['refs', r.name, 'firmware', c], message: `ref ${r.name} has no firmware image for ${c}` });
    }
  });
export type NightlyPlan = z.infer<typeof NightlyPlan>;

export class PlanFileError extends Error {
  override readonly name = 'PlanFileError';
}

/** Parse and validate plan text (YAML, of which JSON is a subset). */
export function parsePlanText(text: string, source: string): NightlyPlan {
  let data: unknown;
  try {
    data = source.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new PlanFileError(`${source}: not valid ${extname(source) === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (data && typeof data === 'object' && 'version' in data && data.version !== PLAN_VERSION) {
    throw new PlanFileError(`${source}: plan version ${String((data as { version: unknown }).version)} is not supported (this espbench reads version ${PLAN_VERSION})`);
  }
  const parsed = NightlyPlan.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PlanFileError(`${source}: ${issue.path.length ? issue.path.join('.') : '(top)'}: ${issue.message}`);
  }
  return parsed.data;
}

export async function loadPlan(file: string): Promise<NightlyPlan> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new PlanFileError(`${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  return parsePlanText(text, file);
}

/** One unit of work: one ref on one chip, every scenario, all iterations. */
export interface PlanItem {
  id: string;
  ref: string;
  chip: string;
  firmware: string | null;
  scenarios: string[] | null;
  coex: string[];
  iterations: number;
  durationS: number;
  labels: Record<string, string>;
  /** local: the device URI; mqtt: the rigs that may take it. */
  target: { kind: 'local'; device: string } | { kind: 'rigs'; rigs: string[] };
  timeoutMs: number;
}

export function expandPlan(plan: NightlyPlan): PlanItem[] {
  const items: PlanItem[] = [];
  for (const ref of plan.refs) {
    for (const c of plan.chips) {
      items.push({
        id: `${plan.name}.${ref.name}.${c}`,
        ref: ref.name,
        chip: c,
        firmware: ref.firmware?.[c] ?? null,
        scenarios: plan.scenarios ?? null,
        coex: plan.coex ?? [],
        iterations: plan.iterations,
        durationS: plan.duration,
        labels: { ...plan.labels, ref: ref.name, plan: plan.name },
        target: plan.rigs === 'local' ? { kind: 'local', device: plan.devices![c]! } : { kind: 'rigs', rigs: plan.rigs },
        timeoutMs: plan.timeoutMinutes * 60_000,
      });
    }
  }
  return items;
}

/** JSON Schema of the plan file, for editors (`# yaml-language-server: $schema=...`). */
export function planJsonSchema(): unknown {
  return { ...z.toJSONSchema(NightlyPlan, { io: 'input' }), title: 'espbench nightly plan', $id: 'https://espbench.dev/schema/plan-v1.json' };
}
