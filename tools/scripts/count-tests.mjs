// Sums Vitest JSON reports (one per package) and prints "N passed, N failed".
// Exit 1 when a test failed or no test ran at all.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
let passed = 0;
let failed = 0;
let files = [];
const failures = [];
try {
  files = readdirSync(dir).filter((f) => f.endsWith('.json'));
} catch {
  // no reports: nothing ran
}
for (const file of files) {
  const report = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  for (const suite of report.testResults ?? []) {
    for (const a of suite.assertionResults ?? []) {
      if (a.status === 'failed') failures.push(`${suite.name} > ${a.fullName ?? a.title}\n    ${firstLines(a.failureMessages)}`);
    }
    if (suite.status === 'failed' && !suite.assertionResults?.some((a) => a.status === 'failed')) {
      failures.push(`${suite.name} (did not load)\n    ${firstLines([suite.message ?? ''])}`);
    }
  }
  // A test file that failed to load has no test results of its own; count it as one failure.
  failed += (report.testResults ?? []).filter((s) => s.status === 'failed' && !s.assertionResults?.some((a) => a.status === 'failed')).length;
}

// CI shows only part of the log: name each failure right above the count.
if (failures.length > 0) console.log(`Failed tests:\n${failures.map((f) => `  ${f}`).join('\n')}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);

function firstLines(messages) {
  return (messages ?? []).join('\n').split('\n').filter((l) => l.trim() !== '').slice(0, 4).join('\n    ');
}
