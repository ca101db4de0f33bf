// Sums Vitest JSON reports (one per package) and prints "N passed, N failed".
// Exit 1 when a test failed or no test ran at all.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
let passed = 0;
let failed = 0;
let files = [];
try {
  files = readdirSync(dir).filter((f) => f.endsWith('.json'));
} catch {
  // no reports: nothing ran
}
for (const file of files) {
  const report = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  // A test file that failed to load has no test results of its own; count it as one failure.
  failed += (report.testResults ?? []).filter((s) => s.status === 'failed' && !s.assertionResults?.some((a) => a.status === 'failed')).length;
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
