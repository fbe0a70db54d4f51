import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appGitHub, openPullRequest } from './app-github.js';
import { startAppProcess } from './app-process.js';
import type { FakeGitHub } from './fake-github.js';
import { conformantRepo } from './helpers.js';
import { postWebhook } from './probot.js';

// The App's log as an operator reads it, from a real `node app/lib/app.js` with LOG_FORMAT=json.
const files = { ...conformantRepo(), '.github/aims-gate.yml': 'systems: [models/*]\naudit-log: none\n' };
let fake: FakeGitHub;
let child: ChildProcess | undefined;
beforeEach(async () => {
  fake = await appGitHub(files);
});
afterEach(async () => {
  child?.kill('SIGKILL');
  await fake.stop();
});

describe('the App log', () => {
  it('ten unsigned 24 MB bodies: each refusal one warn line with its delivery id, the whole log under 1 MiB', async () => {
    const app = await startAppProcess(fake.url);
    child = app.child;
    const body = Buffer.alloc(24 * 1024 * 1024, 'a');
    body.write('{"a":"', 0);
    body.write('"}', body.length - 2);
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        fetch(`${app.url}/api/github/webhooks`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-github-event': 'pull_request',
            'x-github-delivery': `unsigned-${i}`,
            'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
          },
          body,
        }).then(
          (r) => r.status,
          // Refused unread (503), the connection closed while the body was still being sent.
          () => 503,
        ),
      ),
    );
    // Read past the body budget (100 MiB at once), 503; the others read, and refused for their signature.
    expect(answers.every((s) => s === 400 || s === 503)).toBe(true);
    const { body: signed } = openPullRequest(fake, 5, files);
    expect((await postWebhook(app.url, 'pull_request', 'signed', signed, 'app-process')).status).toBe(200);
    for (let waited = 0; !/"verdict"/.test(app.output()) && waited < 20_000; waited += 100)
      await new Promise((resolve) => setTimeout(resolve, 100));

    const log = app.output();
    expect(Buffer.byteLength(log)).toBeLessThan(1024 * 1024);
    const lines = log.trim().split('\n');
    for (const line of lines) {
      const record = JSON.parse(line);
      // Written as JSON.stringify writes the object it parses to: no key twice.
      expect(JSON.stringify(record)).toBe(line);
      expect(typeof record.level).toBe('string');
    }
    const refused = lines.map((l) => JSON.parse(l)).filter((r) => /^webhook refused/.test(r.msg));
    expect(refused.map((r) => r.id).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `unsigned-${i}`).sort(),
    );
    expect(refused.every((r) => r.level === 'warn' && r.reason)).toBe(true);
    expect(log).not.toContain('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
  }, 60_000);
});
