import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { appGitHub } from './app-github.js';
import { startAppProcess } from './app-process.js';

// What the Dockerfile does, here, where Docker does not run: the two packages as npm packs them, laid out as
// in the repository (aims-gate, then the App package in app/), the App's dependencies installed for
// production only in a clean folder, started, and ready.
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'aims-package-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

it('the packed App installs for production in a clean folder, starts, and answers /health/ready', async () => {
  const npm = (args: string[], cwd: string) =>
    execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8' });
  /** The package, packed as the Dockerfile packs it; lib/ is built (npm test builds first), so no `prepare`. */
  const pack = (into: string, ...workspace: string[]) => {
    mkdirSync(join(work, into));
    npm(['pack', ...workspace, '--ignore-scripts', '--pack-destination', join(work, into)], ROOT);
    return join(work, into, readdirSync(join(work, into))[0]!);
  };
  const cli = pack('cli');
  const appPackage = pack('app-package', '--workspace', '@aims-gate/app');
  const srv = join(work, 'srv');
  mkdirSync(join(srv, 'app'), { recursive: true });
  execFileSync('tar', ['xzf', cli, '--strip-components=1', '-C', srv]);
  execFileSync('tar', ['xzf', appPackage, '--strip-components=1', '-C', join(srv, 'app')]);
  copyFileSync(join(ROOT, 'package-lock.json'), join(srv, 'package-lock.json'));
  copyFileSync(join(ROOT, 'app.yml'), join(srv, 'app.yml'));
  npm(['ci', '--omit=dev', '--ignore-scripts', '--workspace', '@aims-gate/app', '--prefer-offline'], srv);
  expect(existsSync(join(srv, 'app/lib/app.js'))).toBe(true);
  expect(existsSync(join(srv, 'node_modules/prom-client'))).toBe(true);
  expect(existsSync(join(srv, 'node_modules/vitest'))).toBe(false); // production only
  expect(existsSync(join(srv, 'node_modules/@actions/core'))).toBe(false); // the Action's, bundled in dist/

  const fake = await appGitHub({});
  const started = await startAppProcess(
    fake.url,
    { NODE_ENV: 'production' },
    { app: join(srv, 'app/lib/app.js'), cwd: srv },
  );
  try {
    const ready = await fetch(`${started.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok', store: { kind: 'memory', reachable: true } });
  } finally {
    started.child.kill('SIGKILL');
    await fake.stop();
  }
}, 180_000);
