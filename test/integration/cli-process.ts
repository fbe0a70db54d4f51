import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** The built CLI's entry, as `npx aims-gate` runs it. */
export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'aims-gate.js');

/**
 * Runs the built CLI as a user would, in a subprocess: no colour, and not as a GitHub Actions step (the
 * runner's GITHUB_ACTIONS would turn on workflow-command output), whatever environment the tests run in.
 */
export function cli(args: string[], cwd = process.cwd(), env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', GITHUB_ACTIONS: '', ...env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
