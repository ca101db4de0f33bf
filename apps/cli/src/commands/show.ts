import type { Command } from 'commander';
import { LocalStore, resolveResultsDir } from '@espbench/store';
import { resultsTable } from '../render/results.js';
import { colours } from '../render/style.js';

export function registerShow(program: Command): void {
  program
    .command('show')
    .description('print one stored run: metadata, results, failures (and the serial log with --log)')
    .argument('<runId>', 'run id, or a unique prefix of one')
    .option('--json', 'print the RunRecord as JSON')
    .option('--log', 'also print the serial log')
    .option('--results <dir>', 'local store directory (default $ESPBENCH_RESULTS or ./espbench-results)')
    .addHelpText('after', '\nExamples:\n  espbench show 20261122-043015-3f9a2c\n  espbench show 20261122-04 --log')
    .action(async (runId: string, flags: { json?: boolean; log?: boolean; results?: string }) => {
      const record = await new LocalStore(resolveResultsDir(flags.results)).get(runId);
      if (flags.json) {
        process.stdout.write(JSON.stringify(record, null, 2) + '\n');
        return;
      }
      const c = colours(process.stdout);
      const labels = Object.entries(record.labels).map(([k, v]) => `${k}=${v}`).join(' ') || '-';
      const lines = [
        `run      ${record.runId}  ${record.status === 'ok' ? c.green('ok') : c.red(record.status)}`,
        `time     ${record.startedAt} .. ${record.endedAt}`,
        `device   ${record.device.uri}  chip ${record.device.chip ?? '?'}  ip ${record.device.ip ?? '?'}  reset ${record.device.resetReason ?? '?'}`,
        `labels   ${labels}`,
        `host     ${record.host.hostname} (${record.host.platform})  listen ${record.host.listen}:${record.host.portBase}  espbench ${record.host.espbenchVersion}`,
        `firmware TEST_DURATION ${record.testDurationS} s, ${record.iterations} round(s)`,
      ];
      if (record.error) lines.push(`error    ${record.error}`);
      lines.push('', resultsTable([record], c));
      for (const r of record.results) {
        const bt = r.failure?.panic?.backtrace;
        if (bt?.length) lines.push('', `backtrace of the panic in round ${r.iteration} (${r.scenario}):`, ...bt.map((a) => `  ${a}`));
      }
      if (flags.log) lines.push('', 'serial log:', ...record.log.map((l) => `${l.t.toFixed(3).padStart(9)}  ${l.line}`));
      process.stdout.write(lines.join('\n') + '\n');
    });
}
