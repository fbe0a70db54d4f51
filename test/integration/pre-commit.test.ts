import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { EXAMPLE } from '../helpers.js';

// .pre-commit-hooks.yaml as a user's pre-commit runs it: `pre-commit try-repo` clones this repository, installs it
// the way language: node does (npm install, which builds; npm pack; npm install -g of the tarball) and runs the
// hooks on a model repository. Debian's pre-commit (.ci/run installs it). Slow: an integration test.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const preCommit = spawnSync('pre-commit', ['--version'], { encoding: 'utf8' });
const missing = preCommit.error
  ? 'pre-commit is not installed (apt-get install pre-commit; .ci/run does)'
  : '';
if (missing) console.warn(`test/pre-commit.test.ts skipped: ${missing}`);

const work = mkdtempSync(join(tmpdir(), 'aims-pre-commit-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

it.skipIf(missing)(
  'pre-commit try-repo installs the hooks (language: node) and runs them: validate passes, check fails on the findings',
  () => {
    const repo = join(work, 'models');
    cpSync(EXAMPLE, repo, { recursive: true });
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], {
        cwd: repo,
      });
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-qm', 'A model repository');
    // try-repo takes the repository's HEAD with its uncommitted changes, as a developer would try a hook.
    const run = spawnSync('pre-commit', ['try-repo', ROOT, '--all-files'], {
      cwd: repo,
      encoding: 'utf8',
      // npm takes the packages' metadata from its cache (npm ci filled it) rather than asking the registry again
      // about each of some 500 packages: the same lockfile, the same install. package.test.ts installs with an
      // empty cache.
      env: {
        ...process.env,
        PRE_COMMIT_HOME: join(work, 'pre-commit-home'),
        npm_config_prefer_offline: 'true',
      },
    });
    const output = run.stdout + run.stderr;
    expect(output).not.toContain('An unexpected error has occurred');
    expect(output).toMatch(/^aims-gate validate\.+Passed$/m);
    expect(output).toMatch(/^aims-gate check\.+Failed$/m); // the example has findings on purpose
    expect(output).toContain('FAIL: findings: 4 major, 9 minor');
    expect(run.status).toBe(1);
  },
  600_000,
);
