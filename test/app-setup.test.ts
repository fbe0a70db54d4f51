import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { freePort } from './probot.js';

// Registering the App (`npm run app` with no APP_ID): the manifest the setup page posts to GitHub takes its
// webhook URL from WEBHOOK_URL, and the App says so (app.yml's example.com URL used to win).
const ROOT = fileURLToPath(new URL('..', import.meta.url));
let child: ChildProcess | undefined;
const work = mkdtempSync(join(tmpdir(), 'aims-setup-'));
afterEach(() => {
  child?.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

it('the setup page registers the App with WEBHOOK_URL as its webhook URL, and says so', async () => {
  const app = join(ROOT, 'app/lib/app.js');
  if (!existsSync(app)) throw new Error('app/lib/app.js is missing: npm run build (npm test builds first)');
  // A folder like a checkout: app.yml and package.json, and no .env.
  copyFileSync(join(ROOT, 'app.yml'), join(work, 'app.yml'));
  copyFileSync(join(ROOT, 'package.json'), join(work, 'package.json'));
  const port = await freePort();
  child = spawn(process.execPath, [app], {
    cwd: work,
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      HOST: '127.0.0.1',
      WEBHOOK_URL: 'https://gate.example.org',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (chunk) => {
    out += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    out += chunk;
  });
  let page = '';
  for (let waited = 0; waited < 20_000 && !page; waited += 200) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    page = await fetch(`http://127.0.0.1:${port}/probot`).then(
      (r) => (r.ok ? r.text() : ''),
      () => '',
    );
  }
  expect(out).toContain(
    'GitHub will send webhooks to https://gate.example.org/api/github/webhooks (WEBHOOK_URL)',
  );
  // The manifest is in the page as HTML-escaped JSON.
  const manifest = page.replaceAll('&quot;', '"').replaceAll('&#34;', '"');
  expect(manifest).toContain('"url":"https://gate.example.org/api/github/webhooks"');
  expect(manifest).not.toContain('example.com/api/github/webhooks');
  expect(manifest).toContain('merge_group');
}, 40_000);
