import { execFileSync } from 'node:child_process';

/**
 * Tests that need a real program (socat, influxd, ...) call this. Missing means the test fails with
 * the install hint: CI must never skip a test silently.
 */
export function requireCommand(command: string, debianPackage = command): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`${command} is required for this test and was not found; install it: apt-get install -y ${debianPackage}`);
  }
}
