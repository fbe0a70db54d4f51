import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { appGitHub } from '../app-github.js';
import { startAppProcess } from '../app-process.js';

// What the Dockerfile does, here, where Docker does not run: the package as npm publishes it, installed
// for production only in a clean folder, started, and ready.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'aims-package-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

it('the packed App installs for production in a clean folder, starts, and answers /health/ready', async () => {
  const npm = (args: string[], cwd: string) =>
    execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8' });
  // lib/ is built (npm test builds first): pack without running `prepare` again.
  npm(['pack', '--ignore-scripts', '--pack-destination', work], ROOT);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!;
  const app = join(work, 'app');
  mkdirSync(app);
  // As the image's second stage: the package's files, the lockfile, a production install without scripts.
  execFileSync('tar', ['xzf', join(work, tarball), '--strip-components=1', '-C', app]);
  copyFileSync(join(ROOT, 'package-lock.json'), join(app, 'package-lock.json'));
  npm(['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline'], app);
  expect(existsSync(join(app, 'app.yml'))).toBe(true);
  expect(existsSync(join(app, 'lib/app.js'))).toBe(true);
  expect(existsSync(join(app, 'node_modules/prom-client'))).toBe(true);
  expect(existsSync(join(app, 'node_modules/vitest'))).toBe(false); // production only

  const fake = await appGitHub({});
  const started = await startAppProcess(
    fake.url,
    { NODE_ENV: 'production' },
    { app: join(app, 'lib/app.js'), cwd: app },
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
