import { basename } from 'node:path';
import { defineConfig } from 'vitest/config';

// Each package's vitest.config.ts calls this. When ESPBENCH_VITEST_JSON_DIR is set (tools/test-all.sh
// sets it), Vitest's JSON reporter also writes one file per package there for the pass/fail count.
export function packageConfig(dir: string, opts: { timeoutMs?: number } = {}) {
  const jsonDir = process.env.ESPBENCH_VITEST_JSON_DIR;
  return defineConfig({
    test: {
      root: dir,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: opts.timeoutMs ?? 20_000,
      hookTimeout: 30_000,
      reporters: jsonDir ? ['default', 'json'] : ['default'],
      outputFile: jsonDir ? { json: `${jsonDir}/${basename(dir)}.json` } : undefined,
    },
  });
}
