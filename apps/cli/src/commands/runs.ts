import type { Command } from 'commander';
import { LocalStore, resolveResultsDir, type RunSummary } from '@espbench/store';
import { colours } from '../render/style.js';
import { table } from '../render/table.js';

export function registerRuns(program: Command): void {
  program
    .command('runs')
    .description('list the runs in the local store, oldest first')
    .option('--json', 'print the list as JSON')
    .option('--results <dir>', 'local store directory (default $ESPBENCH_RESULTS or ./espbench-results)')
    .addHelpText('after', '\nExamples:\n  espbench runs\n  espbench runs --json | jq \'.[].runId\'')
    .action(async (flags: { json?: boolean; results?: string }) => {
      const store = new LocalStore(resolveResultsDir(flags.results));
      const { runs, unreadable } = await store.list();
      for (const u of unreadable) process.stderr.write(`espbench: skipped ${u.file}: ${u.reason}\n`);
      if (flags.json) {
        process.stdout.write(JSON.stringify(runs, null, 2) + '\n');
        return;
      }
      if (!runs.length) {
        process.stdout.write(`no runs in ${store.dir}; make one with: espbench run --device <uri>\n`);
        return;
      }
      const c = colours(process.stdout);
      process.stdout.write(
        table<RunSummary>(runs, [
          { header: 'run', value: (r) => r.runId },
          { header: 'started', value: (r) => r.startedAt.replace('T', ' ').slice(0, 19) },
          { header: 'device', value: (r) => r.device },
          { header: 'chip', value: (r) => r.chip ?? '-' },
          { header: 'status', value: (r) => (r.status === 'ok' ? c.green(r.status) : c.red(r.status)) },
          { header: 'results', value: (r) => String(r.results), align: 'right' },
          { header: 'failed', value: (r) => String(r.failures), align: 'right' },
          { header: 'labels', value: (r) => Object.entries(r.labels).map(([k, v]) => `${k}=${v}`).join(' ') },
        ]) + '\n',
      );
    });
}
