import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

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

/**
 * Each command refused as a usage error (exit 2, its message on stderr) with the log at `log` left byte for byte
 * as it was: what cannot be recorded truthfully writes nothing.
 */
export function expectRefusedUnwritten(
  refused: readonly (readonly [readonly string[], string])[],
  cwd: string,
  log: string,
): void {
  const before = readFileSync(log, 'utf8');
  for (const [args, message] of refused) {
    const result = cli([...args], cwd);
    expect({ args, code: result.code }).toEqual({ args, code: 2 });
    expect(result.stderr).toContain(message);
  }
  expect(readFileSync(log, 'utf8')).toBe(before);
}
