// Ten unsigned 24 MB webhook bodies at once at a real `node app/lib/app.js` (JSON logs): the App's peak and
// settled resident memory (from /proc), and the bytes it logged. Prints one JSON line. (v1 logged 75 MB
// per body and peaked at 741 MiB.)
import { readFileSync } from 'node:fs';
import { appGitHub } from '../test/app-github.js';
import { startAppProcess } from '../test/app-process.js';

const BODIES = 10;
const fake = await appGitHub({});
const app = await startAppProcess(fake.url);
const pid = app.child.pid!;
const status = (field: string) =>
  Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const before = status('VmRSS');
const body = Buffer.alloc(24 * 1024 * 1024, 'a');
body.write('{"a":"', 0);
body.write('"}', body.length - 2);
const answers = await Promise.all(
  Array.from({ length: BODIES }, (_, i) =>
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
      () => 'closed',
    ),
  ),
);
await new Promise((resolve) => setTimeout(resolve, 3_000));
console.log(
  JSON.stringify({
    bodies: BODIES,
    bodyMiB: 24,
    answers,
    rssMiB: {
      start: Math.round(before),
      peak: Math.round(status('VmHWM')),
      after: Math.round(status('VmRSS')),
    },
    logBytes: Buffer.byteLength(app.output()),
  }),
);
app.child.kill('SIGKILL');
await fake.stop();
