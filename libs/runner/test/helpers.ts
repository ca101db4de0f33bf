import type { RunRecord, Scenario } from '@espbench/schema';

export const TRUE_KIBPS = (rate: number) => rate / 1024;

export function result(record: RunRecord, scenario: Scenario, iteration = 1) {
  const r = record.results.find((x) => x.scenario === scenario && x.iteration === iteration);
  if (!r) throw new Error(`no ${scenario} result for iteration ${iteration} in ${JSON.stringify(record.results.map((x) => [x.scenario, x.iteration]))}`);
  return r;
}

/** The N the board printed for a scenario in its serial log, in order. */
export function printed(record: RunRecord, word: 'download' | 'upload' | 'upload+download'): number[] {
  const re = new RegExp(`^${word.replace('+', '\\+')}: (\\d+) kB/s$`);
  return record.log.flatMap((l) => {
    const m = re.exec(l.line);
    return m ? [Number(m[1])] : [];
  });
}
