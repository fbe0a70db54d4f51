import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { main } from '../src/cli/main.js';

/** What a run of the CLI gave: its exit code and what it wrote to each stream. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI's `main` in this process, in `cwd`, as test/integration/cli-process.ts's `cli` runs the built one
 * in a subprocess: no colour, not a terminal, and not as a GitHub Actions step (the runner's GITHUB_ACTIONS would
 * turn on workflow-command output), whatever environment the tests run in. A hundredth of a process's cost: no
 * Node start, and the modules are loaded once a file.
 *
 * The CLI takes its folder from process.cwd() and its variables from process.env, as a process does; a run
 * changes both and puts them back. That is safe because each test file has a process of its own (Vitest's forks
 * pool, vitest.config.ts) and runs its tests one at a time: nothing else in the process runs meanwhile.
 */
export async function cli(
  args: readonly string[],
  cwd = process.cwd(),
  env: Record<string, string | undefined> = {},
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io = {
    out: (text: string) => {
      stdout += text;
    },
    err: (text: string) => {
      stderr += text;
    },
    color: false,
    terminal: false,
  };
  const variables = { NO_COLOR: '1', GITHUB_ACTIONS: '', ...env };
  const saved = Object.fromEntries(Object.keys(variables).map((name) => [name, process.env[name]]));
  const here = process.cwd();
  process.chdir(cwd);
  set(variables);
  try {
    const code = await main([...args], io);
    return { code, stdout, stderr };
  } finally {
    set(saved);
    process.chdir(here);
  }
}

function set(variables: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(variables)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

/**
 * Each command refused as a usage error (exit 2, its message on stderr) with the log at `log` left byte for byte
 * as it was: what cannot be recorded truthfully writes nothing.
 */
export async function expectRefusedUnwritten(
  refused: readonly (readonly [readonly string[], string])[],
  cwd: string,
  log: string,
): Promise<void> {
  const before = readFileSync(log, 'utf8');
  for (const [args, message] of refused) {
    const result = await cli(args, cwd);
    expect({ args, code: result.code }).toEqual({ args, code: 2 });
    expect(result.stderr).toContain(message);
  }
  expect(readFileSync(log, 'utf8')).toBe(before);
}
