// Evaluations per second for ONE installation, as operators see it: the App's Octokit as in production,
// GitHub's write pacing ON (writes a second apart per installation, Probot's throttling), against the same
// with pacing OFF (the ceiling of the App's own work). GitHub is the fake on 127.0.0.1. Prints one JSON line:
// for each, evaluations/s, GitHub requests per evaluation and writes per evaluation.
import pino from 'pino';
import { Probot } from 'probot';
import { AppOctokit, aimsGateApp } from '../app/index.js';
import { appGitHub, openPullRequest } from '../test/app-github.js';
import { conformantRepo } from '../test/helpers.js';
import { privateKey } from '../test/probot.js';

const PULL_REQUESTS = Number(process.env.BENCH_PACED_PULL_REQUESTS ?? 30);
const files = { ...conformantRepo(), '.github/aims-gate.yml': 'systems: [models/*]\naudit-log: none\n' };

async function run(pacing: boolean) {
  const fake = await appGitHub(files);
  const payloads = Array.from({ length: PULL_REQUESTS }, (_, n) =>
    JSON.parse(openPullRequest(fake, n + 1, files).body),
  );
  const Octokit = pacing
    ? AppOctokit
    : AppOctokit.defaults((options: { throttle?: object }) => ({
        ...options,
        throttle: { ...options.throttle, enabled: false },
      }));
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
      probot.receive({ id: `paced-${n}`, name: 'pull_request', payload } as never),
    ),
  );
  await gate.queue.idle();
  const seconds = (performance.now() - begin) / 1000;
  const completed = [...fake.checkRuns.values()].filter((r) => r.status === 'completed').length;
  if (completed !== PULL_REQUESTS) throw new Error(`${completed} of ${PULL_REQUESTS} checks completed`);
  const requests = fake.requests.filter((r) => !r.endsWith('/access_tokens'));
  const writes = requests.filter((r) => !r.startsWith('GET') && !r.endsWith('/graphql'));
  await gate.close();
  await fake.stop();
  return {
    seconds,
    perSecond: PULL_REQUESTS / seconds,
    requestsPerEvaluation: requests.length / PULL_REQUESTS,
    writesPerEvaluation: writes.length / PULL_REQUESTS,
  };
}

const on = await run(true);
const off = await run(false);
console.log(JSON.stringify({ pullRequests: PULL_REQUESTS, installations: 1, pacingOn: on, pacingOff: off }));
