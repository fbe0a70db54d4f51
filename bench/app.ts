import nock from 'nock';
import { aimsGateApp } from '../app/index.js';
import { blobQueryAnswer } from '../test/fake-github.js';
import { conformantRepo } from '../test/helpers.js';
import { answer, type Json, postWebhook, startAppServer } from '../test/probot.js';
import '../test/setup.js';
import { webhook } from '../test/webhooks.js';

const WEBHOOKS = Number(process.env.BENCH_WEBHOOKS ?? 1000);
const IN_FLIGHT = 20;
const SECRET = 'bench-secret';
const API = 'https://api.github.com';
const opened = { ...webhook('pull_request', 'opened'), installation: { id: 1, node_id: 'x' } };
const REPO = `/repos/${opened.repository.full_name}`;
const files: Record<string, string> = {
  ...conformantRepo(),
  '.github/aims-gate.yml': 'systems: [models/*]\naudit-log: none\n',
};

// GitHub, answered at once; every request counted.
let requests = 0;
/** By check-run id (derived from the head SHA, so from the delivery): delivered, check run made (completed). */
const delivered = new Map<number, number>();
const finished = new Map<number, number>();
nock.disableNetConnect();
nock.enableNetConnect('127.0.0.1');
/** Every request GitHub answers is counted. */
const json = (fn: (body: Json, url: string) => unknown) =>
  answer((body, url) => {
    requests++;
    return fn(body, url);
  });
nock(API)
  .persist()
  .post('/app/installations/1/access_tokens')
  .reply(
    201,
    json(() => ({ token: 'ghs_bench', expires_at: '2099-01-01T00:00:00Z' })),
  )
  .post('/graphql')
  .reply(
    200,
    json(({ query, variables }) =>
      variables.repo === '.github'
        ? { data: { repository: null }, errors: [{ type: 'NOT_FOUND', path: ['repository'] }] }
        : blobQueryAnswer(query, variables, (_commit, path) =>
            files[path] === undefined ? undefined : { oid: 'f'.repeat(40), bytes: Buffer.from(files[path]) },
          ),
    ),
  )
  .post(`${REPO}/check-runs`)
  .reply(
    201,
    json((body) => {
      // One write per evaluation: the check run is created completed.
      const id = Number(body.head_sha.slice(0, 8));
      if (body.conclusion) finished.set(id, performance.now());
      return { id };
    }),
  )
  .patch(/\/check-runs\/\d+$/)
  .reply(
    200,
    json((body, url) => {
      if (body.conclusion) finished.set(Number(/check-runs\/(\d+)/.exec(url)![1]), performance.now());
      return {};
    }),
  )
  .get(/\/pulls\/\d+$/)
  .reply(
    200,
    json((_body, url) => {
      const n = Number(/pulls\/(\d+)$/.exec(url)![1]);
      const sha = String(10_000_000 + n).padEnd(40, '0');
      return { ...opened.pull_request, number: n, head: { ...opened.pull_request.head, sha } };
    }),
  )
  .get(/\/pulls\/\d+\/files/)
  .reply(
    200,
    json(() => [{ filename: 'models/credit-scoring/MODEL_CARD.md' }]),
  )
  .get(/\/pulls\/\d+\/reviews/)
  .reply(
    200,
    json(() => []),
  )
  .get(/\/git\/trees\//)
  .reply(
    200,
    json(() => ({
      truncated: false,
      tree: Object.entries(files).map(([path, text]) => ({
        path,
        type: 'blob',
        sha: 'f'.repeat(40),
        size: text.length,
      })),
    })),
  );

const gate = aimsGateApp({ today: () => '2026-11-01' });
// Probot's pacing of writes a second apart per installation is GitHub's guard, not the App's cost: off here.
const { stop, url } = await startAppServer(gate, SECRET);

// Each webhook is a different pull request, so none coalesces: 1,000 evaluations. The head SHA carries
// the number, and the check run's id is derived from it, so each completion is matched to its delivery.
const deliver = async (n: number) => {
  const sha = String(10_000_000 + n).padEnd(40, '0');
  const body = JSON.stringify({
    ...opened,
    number: n,
    pull_request: { ...opened.pull_request, number: n, head: { ...opened.pull_request.head, sha } },
  });
  delivered.set(Number(sha.slice(0, 8)), performance.now());
  const res = await postWebhook(url, 'pull_request', `bench-${n}`, body, SECRET);
  if (res.status !== 200) throw new Error(`webhook ${n}: HTTP ${res.status}`);
};
const start = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: IN_FLIGHT }, async () => {
    while (next < WEBHOOKS) await deliver(next++);
  }),
);
await gate.queue.idle();
const seconds = (performance.now() - start) / 1000;
await stop();

const percentiles = (from: Map<number, number>) => {
  const times = [...from].map(([id, t]) => (finished.get(id) ?? Number.NaN) - t).sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  return { p50: at(0.5), p99: at(0.99) };
};
console.log(
  JSON.stringify({
    webhooks: WEBHOOKS,
    evaluations: finished.size,
    seconds,
    perSecond: WEBHOOKS / seconds,
    /** Delivery to completed check run: includes waiting behind the evaluations under way. */
    endToEnd: percentiles(delivered),
    requestsPerEvaluation: requests / WEBHOOKS,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  }),
);
