// The App's memory over many evaluations: 1,000 check runs of one pull request against the fake GitHub
// over real HTTP (nock keeps every request it intercepts, so it cannot show this). Run with --expose-gc;
// prints one JSON line: the heap in use after a full GC every 250 evaluations.
import pino from 'pino';
import { runCheck } from '../app/check-run.js';
import { createGitHub } from '../src/github/octokit.js';
import { FakeGitHub } from '../test/fake-github.js';
import { conformantRepo } from '../test/helpers.js';

const fake = await new FakeGitHub('Codertocat/Hello-World').start();
const files = { ...conformantRepo(), '.github/aims-gate.yml': 'systems: [models/*]\naudit-log: none\n' };
const [base, head] = ['b'.repeat(40), 'c'.repeat(40)];
fake.seed(files, base);
fake.seed(files, head);
const REPO = '/repos/Codertocat/Hello-World';
fake.answer('GET', `${REPO}/pulls/1`, {
  number: 1,
  state: 'open',
  base: { sha: base, ref: 'main' },
  head: { sha: head, ref: 'retrain' },
  user: { login: 'dev' },
});
fake.answer('GET', `${REPO}/pulls/1/files`, [{ filename: 'models/credit-scoring/MODEL_CARD.md' }]);
fake.answer('GET', `${REPO}/pulls/1/reviews`, []);
fake.answer('POST', `${REPO}/check-runs`, { id: 1 });
fake.answer('PATCH', `${REPO}/check-runs/1`, { id: 1 });
const github = createGitHub({ token: 'ghs_bench', baseUrl: fake.url, throttle: { enabled: false } });
const log = pino({ level: 'silent' });
const heapMiB: number[] = [];
for (let n = 1; n <= 1000; n++) {
  await runCheck({
    github,
    task: {
      kind: 'check',
      installation: 1,
      owner: 'Codertocat',
      repo: 'Hello-World',
      pullRequest: 1,
      head,
      actor: { login: 'dev' },
    },
    log,
    today: '2026-11-01',
  });
  fake.requests.length = 0; // the fake's own request log is not the App's memory
  fake.bodies.length = 0;
  if (n % 250 === 0) {
    globalThis.gc?.();
    heapMiB.push(Math.round(process.memoryUsage().heapUsed / 2 ** 20));
  }
}
await fake.stop();
console.log(JSON.stringify({ evaluations: 1000, heapMiB }));
