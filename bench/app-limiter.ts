// 20 pull requests of one installation through the App, with the throttling plugin on as in production
// (writes a second apart): GraphQL reads paced as writes (v1: Probot's Octokit) against the read limiter
// (AppOctokit). Prints one JSON line: seconds for each.
import pino from 'pino';
import { Probot, ProbotOctokit } from 'probot';
import { AppOctokit, aimsGateApp } from '../app/index.js';
import { FakeGitHub } from '../test/fake-github.js';
import { conformantRepo } from '../test/helpers.js';
import { privateKey } from '../test/probot.js';
import { webhook } from '../test/webhooks.js';

const PULL_REQUESTS = Number(process.env.BENCH_PULL_REQUESTS ?? 20);
const opened = { ...webhook('pull_request', 'opened'), installation: { id: 1, node_id: 'x' } };
const PR = opened.pull_request;
const REPO = `/repos/${opened.repository.full_name}`;
const files = { ...conformantRepo(), '.github/aims-gate.yml': 'systems: [models/*]\naudit-log: none\n' };

async function run(Octokit: typeof ProbotOctokit): Promise<{ seconds: number; requests: number }> {
  const fake = await new FakeGitHub(opened.repository.full_name).start();
  fake.answer('POST', '/app/installations/1/access_tokens', {
    token: 'ghs_bench',
    expires_at: '2099-01-01T00:00:00Z',
  });
  fake.seed(files, PR.base.sha);
  const payloads = Array.from({ length: PULL_REQUESTS }, (_, n) => {
    const head = fake.seed(files, (0x200000 + n).toString(16).padStart(40, 'c'));
    const pull = { ...PR, number: n + 1, head: { ...PR.head, sha: head } };
    fake.answer('GET', `${REPO}/pulls/${n + 1}`, pull);
    fake.answer('GET', `${REPO}/pulls/${n + 1}/files`, [{ filename: 'models/credit-scoring/MODEL_CARD.md' }]);
    fake.answer('GET', `${REPO}/pulls/${n + 1}/reviews`, []);
    return { ...opened, number: n + 1, pull_request: pull };
  });
  const probot = new Probot({
    appId: 1,
    privateKey,
    secret: 'bench',
    baseUrl: fake.url,
    log: pino({ level: 'silent' }),
    Octokit,
  });
  const gate = aimsGateApp({ today: () => '2026-11-01', concurrency: 4 });
  await probot.load(gate);
  const begin = performance.now();
  await Promise.all(
    payloads.map((payload, n) =>
      probot.receive({ id: `limiter-${n}`, name: 'pull_request', payload } as never),
    ),
  );
  await gate.queue.idle();
  const seconds = (performance.now() - begin) / 1000;
  const completed = [...fake.checkRuns.values()].filter((r) => r.status === 'completed').length;
  if (completed !== PULL_REQUESTS) throw new Error(`${completed} of ${PULL_REQUESTS} checks completed`);
  const requests = fake.requests.length;
  await gate.close();
  await fake.stop();
  return { seconds, requests };
}

const v1 = await run(ProbotOctokit);
const limiter = await run(AppOctokit);
console.log(JSON.stringify({ pullRequests: PULL_REQUESTS, v1, limiter }));
