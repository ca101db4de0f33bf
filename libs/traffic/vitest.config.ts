import { fileURLToPath } from 'node:url';
import { mergeConfig } from 'vitest/config';
import { packageConfig } from '../../vitest.shared.js';

// The accuracy tests pace a client with a small token bucket; run the socket-heavy files one at a
// time so they do not compete with each other for the CPU.
export default mergeConfig(packageConfig(fileURLToPath(new URL('.', import.meta.url))), {
  test: { fileParallelism: false },
});
