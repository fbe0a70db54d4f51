import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE } from '../helpers.js';

// The CLI package as its users get it: packed as npm publishes it, installed with an empty npm cache, and the
// install route the README gives (a tarball kept in the repository) followed through a fresh clone. Slow (it
// packs and installs for real): an integration test.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'node_modules/.bin');
const work = mkdtempSync(join(tmpdir(), 'aims-cli-package-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** What the CLI may install: its own package, nothing of the App's or the Action's. */
const SERVER_PACKAGES = [
  'probot',
  'bullmq',
  'ioredis',
  'pino',
  '@probot',
  'prom-client',
  '@actions',
  '@octokit',
];
const MAX_INSTALLED_MIB = 15;

/** npm with a cache of its own, empty: what a fresh machine or CI runner has. Output and errors together. */
function npm(args: string[], cwd: string): string {
  const cache = mkdtempSync(join(work, 'cache-'));
  const run = spawnSync('npm', [...args, '--no-audit', '--no-fund'], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, npm_config_cache: cache },
  });
  if (run.status !== 0)
    throw new Error(`npm ${args.join(' ')} failed in ${cwd}:\n${run.stdout}${run.stderr}`);
  return run.stdout + run.stderr;
}

function git(args: string[], cwd: string): string {
  return execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], {
    cwd,
    encoding: 'utf8',
  });
}

/** Bytes under a folder, as du counts what a user's disk holds. */
function diskMiB(path: string): number {
  return Number(execFileSync('du', ['-sk', path], { encoding: 'utf8' }).split('\t')[0]) / 1024;
}

let tarball: string;
beforeAll(() => {
  // lib/ is built (npm test builds first): pack without running `prepare` again.
  mkdirSync(join(work, 'pack'));
  npm(['pack', '--ignore-scripts', '--pack-destination', join(work, 'pack')], ROOT);
  tarball = join(work, 'pack', readdirSync(join(work, 'pack'))[0]!);
}, 120_000);

describe('the packed CLI (aims-gate)', () => {
  // The bundle's source maps (2 MiB) stay in a checkout, where AIMS_GATE_DEBUG reads them: nothing runs them.
  it('holds only what runs: the bin, the bundle and the data files', () => {
    const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).trim().split('\n').sort();
    const outside = files.filter(
      (file) =>
        !/^package\/(bin\/[\w.-]+|lib\/cli(-\w+)?\.cjs|(policies|schemas|reference|templates)\/[\w.-]+(\/[\w.-]+)*|package\.json|README\.md|LICENSE)$/.test(
          file,
        ),
    );
    expect(outside).toEqual([]);
    expect(files).toContain('package/lib/cli.cjs');
    expect(files).toContain('package/lib/cli-check.cjs');
    expect(files).not.toContain('package/lib/cli-check.cjs.map');
    expect(files).toContain('package/schemas/config.schema.json');
    expect(files).toContain('package/LICENSE'); // the Apache-2.0 its package.json names
  });

  it('passes publint, and promises no import it cannot keep (no main, types or "." export)', () => {
    expect(execFileSync(join(BIN, 'publint'), ['run', tarball, '--strict'], { encoding: 'utf8' })).toContain(
      'All good',
    );
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(manifest.main).toBeUndefined();
    expect(manifest.types).toBeUndefined();
    expect(Object.keys(manifest.exports)).not.toContain('.');
    expect(manifest.dependencies).toBeUndefined(); // the CLI bundle needs none at run time
    // Are the types wrong? There are none to be wrong: the package is a command, not a library.
    const types = JSON.parse(
      execFileSync(join(BIN, 'attw'), [tarball, '--format', 'json'], { encoding: 'utf8' }),
    );
    expect(types.analysis.types).toBe(false);
  });

  it(`installs for production in an empty folder with an empty cache: ≤ ${MAX_INSTALLED_MIB} MiB, no server packages, no engine warning`, () => {
    const folder = join(work, 'empty');
    mkdirSync(folder);
    writeFileSync(join(folder, 'package.json'), '{ "private": true }\n');
    const output = npm(['install', '--omit=dev', tarball], folder);
    expect(output).not.toContain('EBADENGINE');
    expect(readdirSync(join(folder, 'node_modules')).filter((name) => !name.startsWith('.'))).toEqual([
      'aims-gate',
    ]);
    for (const name of SERVER_PACKAGES) expect(readdirSync(join(folder, 'node_modules'))).not.toContain(name);
    expect(diskMiB(join(folder, 'node_modules'))).toBeLessThanOrEqual(MAX_INSTALLED_MIB);
    const version = execFileSync(join(folder, 'node_modules/.bin/aims-gate'), ['--version'], {
      encoding: 'utf8',
    });
    expect(version.trim()).toMatch(/^\d+\.\d+\.\d+/);
  }, 120_000);

  it('installs from a tarball kept in the repository, and a fresh clone installs it again with an empty cache', () => {
    // A model repository adopting it as the README says: the tarball in vendor/, a development dependency.
    const repo = join(work, 'models-repo');
    cpSync(EXAMPLE, repo, { recursive: true });
    writeFileSync(join(repo, 'package.json'), '{ "private": true }\n');
    writeFileSync(join(repo, '.gitignore'), 'node_modules/\n');
    mkdirSync(join(repo, 'vendor'));
    const vendored = join(repo, 'vendor', readdirSync(join(work, 'pack'))[0]!);
    copyFileSync(tarball, vendored);
    git(['init', '-q', '-b', 'main'], repo);
    npm(['install', '--save-dev', `./vendor/${readdirSync(join(work, 'pack'))[0]!}`], repo);
    const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
    // A path inside the repository (the old route recorded ../aims-gate/…, which no clone has).
    expect(manifest.devDependencies['aims-gate']).toMatch(/^file:vendor\/aims-gate-[\d.]+\.tgz$/);
    git(['add', '-A'], repo);
    git(['commit', '-qm', 'Adopt aims-gate'], repo);

    // CI: a fresh clone, an empty cache, and no registry at all (--offline): the lockfile and vendor/ suffice.
    const clone = join(work, 'clone');
    git(['clone', '-q', repo, clone], work);
    npm(['ci', '--offline'], clone);
    const check = spawnSync(join(clone, 'node_modules/.bin/aims-gate'), ['check', '--today', '2026-11-01'], {
      cwd: clone,
      encoding: 'utf8',
    });
    expect(check.stderr).toBe('');
    expect(check.stdout).toMatch(/^FAIL: findings: \d+ major/m); // the example's findings, judged from the clone
    expect(check.status).toBe(1);
  }, 120_000);
});
