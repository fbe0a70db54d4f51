import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { conformantRepo, EXAMPLE } from '../helpers.js';
import { git, tempRepo } from '../temp-repo.js';
import { BIN, cli } from './cli-process.js';

// The CLI as a user runs it: the built bundle in a process of its own, its exit code and its two streams as a
// terminal or a pipeline sees them, and git running it as a merge driver. What the commands do is tested in
// process, in test/cli.test.ts (the fast project); test/integration/load.test.ts checks the bundle runs each
// command as the modules do.

describe('exit codes and streams', () => {
  it('checks the example repository: exit 1, findings by system, the verdict last', () => {
    const { code, stdout, stderr } = cli(['check', EXAMPLE, '--today', '2026-11-01']);
    expect(stderr).toBe('');
    expect(code).toBe(1);
    expect(stdout).toContain('aims-gate · 3 AI systems · policy iso42001-baseline + .github/aims-gate.yml');
    expect(stdout).toContain(
      'models/legacy-recommender  legacy-recommender · v0.9.3 · tier minimal · retired',
    );
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('FAIL: findings: 4 major, 9 minor (fails on: major)');
  });

  it('exits 0 on a conformant repository', () => {
    const dir = tempRepo(conformantRepo());
    const { code, stdout } = cli(['check', '--today', '2026-11-01'], dir);
    expect(stdout).toContain('PASS: no findings');
    expect(code).toBe(0);
  });

  it('a configuration error: exit 2, file:line, the fix, no stack trace', () => {
    const dir = tempRepo({
      ...conformantRepo(),
      '.github/aims-gate.yml': 'systems: [models/*]\nfail-on: sometimes\n',
    });
    const { code, stdout, stderr } = cli(['check'], dir);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'aims-gate: configuration error\n.github/aims-gate.yml:2: fail-on must be one of: major, minor, never\n  fix: Use one of: major, minor, never.\n',
    );
  });

  it('a reader that stops early ends the output quietly, with no stack trace', () => {
    // Far more than a pipe holds, so the writer is still writing when head has gone.
    const example = readFileSync(join(EXAMPLE, '.aims-gate/audit-log.jsonl'), 'utf8');
    const repo = tempRepo({ 'log.jsonl': example.repeat(50) });
    const log = join(repo, 'log.jsonl');
    const piped = spawnSync('sh', ['-c', `node ${BIN} log ${repo} --log ${log} | head -2`], {
      encoding: 'utf8',
    });
    expect(piped.stdout.trim().split('\n')).toHaveLength(2);
    expect(piped.stderr).toBe('');
  });
});

describe('the in-repository log on two branches', () => {
  it('a merge where both branches recorded is refused with what to do, and the log stays a verifiable chain', () => {
    const repo = tempRepo({});
    git(repo, 'init', '-q');
    expect(cli(['init', 'models/churn'], repo).stdout).toContain('wrote .gitattributes');
    expect(readFileSync(join(repo, '.gitattributes'), 'utf8')).toBe(
      '.aims-gate/audit-log.jsonl merge=aims-gate-log\n.aims-gate/audit-log.jsonl.anchors merge=aims-gate-log\n',
    );
    git(repo, 'config', 'merge.aims-gate-log.driver', `"${process.execPath}" "${BIN}" merge-log %O %A %B %P`);
    const record = (detail: string) =>
      cli(['record', '--type', 'monitoring.alert', '--system', 'churn', '--detail', `note=${detail}`], repo);
    record('on main');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'start');
    git(repo, 'checkout', '-qb', 'feature');
    record('on the feature branch');
    git(repo, 'commit', '-qam', 'feature records');
    git(repo, 'checkout', '-q', 'main');
    record('on main again');
    git(repo, 'commit', '-qam', 'main records');

    const merge = spawnSync(
      'git',
      ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'merge', 'feature'],
      {
        cwd: repo,
        encoding: 'utf8',
      },
    );
    expect(merge.status).not.toBe(0);
    expect(merge.stderr + merge.stdout).toContain(
      'aims-gate: both branches appended to the hash-chained audit log .aims-gate/audit-log.jsonl (after entry 1: 1 here, 1 on the other branch)',
    );
    const log = readFileSync(join(repo, '.aims-gate/audit-log.jsonl'), 'utf8');
    expect(log).not.toContain('<<<<<<<');
    expect(cli(['verify'], repo).code).toBe(0);
  });
});
