// 20 pull requests of one installation through the App, with the throttling plugin on as in production
// (writes a second apart): GraphQL reads paced as writes (v1: Probot's Octokit) against the read limiter
// (AppOctokit). Prints one JSON line: seconds for each.
import pino from 'pino';
import { Probot, ProbotOctokit } from 'probot';
import { AppOctokit, aimsGateApp } from '../app/index.js';
import { appGitHub, openPullRequest } from '../test/app-github.js';
import { conformantRepo } from '../test/helpers.js';
import { privateKey } from '../test/probot.js';

const PULL_REQUESTS = Number(process.env.BENCH_PULL_REQUESTS ?? 20);
const files = { ...conformantRepo(), '.github/aims-gate.yml': 'systems: [models/*]\naudit-log: none\n' };

async function run(Octokit: typeof ProbotOctokit): Promise<{ seconds: number; requests: number }> {
  const fake = await appGitHub(files);
  const payloads = Array.from({ length: PULL_REQUESTS }, (_, n) =>
    JSON.parse(openPullRequest(fake, n + 1, files).body),
  );
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
