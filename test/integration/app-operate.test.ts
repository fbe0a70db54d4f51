import type { ChildProcess } from 'node:child_process';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aimsGateApp } from '../../app/index.js';
import { RedisQueue } from '../../app/redis-queue.js';
import { APP_AUDIT_BRANCH } from '../../app/settings.js';
import { appGitHub, opened, openPullRequest, PR, REPO } from '../app-github.js';
import { spawnAppProcess, startAppProcess } from '../app-process.js';
import { FakeGitHub } from '../fake-github.js';
import { conformantRepo } from '../helpers.js';
import { FastOctokit, postWebhook, startAppServer } from '../probot.js';
import { startRedis } from '../redis.js';
import { TEST_GATE_KEY } from '../repository-history.js';
import { webhook } from '../webhooks.js';

// The App as an operator meets it: `node app/lib/app.js` under faults (a hostile client, GitHub answering
// badly, signals), each test a defect found that way, kept so that it stays fixed.
const SECRET = 'app-process'; // startAppProcess's WEBHOOK_SECRET
const files = { ...conformantRepo(), '.github/aims-gate.yml': 'systems: [models/*]\naudit-log: none\n' };

let fake: FakeGitHub;
const children: ChildProcess[] = [];
const sockets: Socket[] = [];
const servers: Server[] = [];
beforeEach(async () => {
  fake = await appGitHub(files);
});
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
  await fake.stop();
});

async function app(github = fake.url, env: Record<string, string> = {}) {
  const started = await startAppProcess(github, env);
  children.push(started.child);
  return started;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(done: () => boolean, ms = 15_000): Promise<void> {
  for (let waited = 0; !done() && waited < ms; waited += 50) await sleep(50);
}
const completed = (head: string) =>
  [...fake.checkRuns.values()].filter((r) => r.head_sha === head && r.status === 'completed');

/**
 * GitHub behind a proxy on 127.0.0.1 that answers some requests itself (a truncated body, an HTML error page
 * from a load balancer) and forwards the rest to the fake GitHub.
 */
async function proxy(
  target: string,
  intercept: (
    request: string,
    headers: IncomingMessage['headers'],
  ) => { status: number; type: string; body: string } | undefined,
  {
    delay = () => 0,
    forwarded = () => {},
  }: { delay?: (request: string) => number; forwarded?: (request: string) => void } = {},
): Promise<string> {
  const server = createServer((req: IncomingMessage, res) => {
    const path = new URL(req.url!, target).pathname.replace(/^\/api\/v3(?=\/)/, '');
    const request = `${req.method} ${path}`;
    const own = intercept(request, req.headers);
    if (own) {
      res.writeHead(own.status, { 'content-type': own.type }).end(own.body);
      return;
    }
    const forward = httpRequest(
      `${target}${req.url}`,
      { method: req.method, headers: req.headers },
      (answer) => {
        forwarded(request);
        setTimeout(() => {
          res.writeHead(answer.statusCode!, answer.headers);
          answer.pipe(res);
        }, delay(request));
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('a hostile client', () => {
  it('four connections that declare a 25 MB body and send none do not lock every webhook out', async () => {
    const { url } = await app();
    const { port } = new URL(url);
    // What anyone who can reach the webhook URL can do, unsigned: headers only, then silence.
    for (let i = 0; i < 4; i++) {
      const socket = connect(Number(port), '127.0.0.1');
      sockets.push(socket);
      socket.on('error', () => {});
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(
        `POST /api/github/webhooks HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nx-github-event: push\r\nx-github-delivery: hold-${i}\r\nx-hub-signature-256: sha256=${'0'.repeat(64)}\r\ncontent-length: ${25 * 1024 * 1024}\r\n\r\n{`,
      );
    }
    await sleep(200);
    const { body } = openPullRequest(fake, 2, files);
    const answer = await postWebhook(url, 'pull_request', 'real-one', body, SECRET);
    // GitHub does not redeliver a failed webhook on its own: a 503 here is a pull request left unchecked.
    expect(answer.status).toBe(200);
  });

  it('unsigned webhooks with made-up event names do not add a /metrics series each', async () => {
    const { url } = await app();
    for (let i = 0; i < 50; i++)
      await fetch(`${url}/api/github/webhooks`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': `made-up-${i}-${'x'.repeat(200)}`,
          'x-github-delivery': `junk-${i}`,
          'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
        },
        body: '{}',
      });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const series = metrics.split('\n').filter((l) => l.startsWith('aims_gate_webhooks_total{'));
    // Who wrote the header? Anyone: the series (and Prometheus's storage) grow without bound.
    expect(series.length).toBeLessThan(5);
  });
});

describe('GitHub answering badly', () => {
  it('a pull request read as a truncated JSON body (200) still ends in a completed check run', async () => {
    const { head, body } = openPullRequest(fake, 3, files);
    const github = await proxy(fake.url, (request) =>
      request === `GET ${REPO}/pulls/3`
        ? { status: 200, type: 'application/json; charset=utf-8', body: '{"url":"https://api.github.com/re' }
        : undefined,
    );
    const { url, output } = await app(github);
    expect((await postWebhook(url, 'pull_request', 'truncated', body, SECRET)).status).toBe(200);
    await until(() => completed(head).length > 0 || /no longer open|gave up/.test(output()), 10_000);
    // Octokit hands an unparseable JSON body back as a string: pr.state is undefined, "no longer open".
    expect(completed(head)).toHaveLength(1);
  });
});

describe('SIGTERM', () => {
  it('during the grace period the App answers /health/ready with 503, as docs/operating.md says', async () => {
    const { child, url } = await app();
    const { head, body } = openPullRequest(fake, 8, files);
    // A task under way for 3 s: the App waits for it before it exits.
    fake.slow.push({ route: /\/pulls\/8\/files$/, ms: 3_000 });
    expect((await postWebhook(url, 'pull_request', 'draining', body, SECRET)).status).toBe(200);
    await until(() => fake.requests.some((r) => r.endsWith('/pulls/8/files')));
    child.kill('SIGTERM');
    await sleep(200);
    // A load balancer (or Kubernetes, whose endpoint removal lags SIGTERM) still sends here for a while: it
    // must be told "not ready", and a webhook that still comes must get an answer GitHub shows as failed.
    // The App closes its listener at once: both meet a refused connection (an ingress answers GitHub 502
    // and does not retry a POST elsewhere).
    const ready = await fetch(`${url}/health/ready`).then(
      (r) => r.status,
      (error) => error.cause?.code,
    );
    await new Promise((resolve) => child.once('exit', resolve));
    expect(completed(head)).toHaveLength(1);
    expect(ready).toBe(503);
  });
});

describe('a webhook acknowledged', () => {
  it('only once its task is queued (DESIGN.md): a fork’s re-run is not answered 2xx and then dropped', async () => {
    const gate = aimsGateApp({ today: () => '2026-11-01' });
    const server = await startAppServer(gate, SECRET, fake.url);
    try {
      const { head } = openPullRequest(fake, 11, files);
      // GitHub names no pull request on a check suite from a fork: the handler lists the open ones itself,
      // before it answers. GitHub is slow, then fails.
      fake.slow.push({ route: /^GET .*\/pulls$/, ms: 10_000 });
      fake.broken.push(/^GET .*\/pulls$/);
      const suite = webhook('check_suite', 'rerequested');
      const body = JSON.stringify({
        ...suite,
        check_suite: { ...suite.check_suite, head_sha: head, pull_requests: [] },
        repository: opened.repository,
        installation: { id: 1 },
      });
      const answer = await postWebhook(server.url, 'check_suite', 'fork-rerun', body, SECRET);
      // The webhooks middleware answers 202 once a handler has run 9 s; the handler then fails, and nothing
      // is queued: GitHub shows the delivery as delivered, and the re-run the user asked for never happens.
      await sleep(2_000);
      await gate.queue.idle();
      expect({ status: answer.status, checked: completed(head).length }).not.toEqual({
        status: 202,
        checked: 0,
      });
    } finally {
      await server.stop();
    }
  }, 20_000);
});

describe('a task the Redis queue gave up on', () => {
  it('stays given up: the next sweep or process start does not run it again', async () => {
    const redis = await startRedis();
    let runs = 0;
    let gaveUp = 0;
    const queue = new RedisQueue(
      async () => {
        runs++;
        // What kills its process each time (a poison task) ends the same way, by maxStalledCount.
        throw new Error('this task fails every time');
      },
      {
        url: redis.url,
        name: 'given-up',
        concurrency: 1,
        retryDelays: [10],
        onGiveUp: () => {
          gaveUp++;
        },
      },
    );
    try {
      await queue.schedule(
        {
          kind: 'check',
          installation: 1,
          owner: 'acme',
          repo: 'ml',
          pullRequest: 1,
          head: 'c'.repeat(40),
          actor: { login: 'dev' },
        },
        'poison',
      );
      await until(() => gaveUp === 1);
      expect(runs).toBe(2);
      // Run by every sweep (AIMS_GATE_RECONCILE_MINUTES) and at every reconnection to Redis (a process start):
      // the task was never deleted, its job was, so it is an "orphan", and runs its tries again, without end.
      const requeued = await queue.requeueOrphans();
      await sleep(300);
      expect({ requeued, runs }).toEqual({ requeued: 0, runs: 2 });
    } finally {
      await queue.close(1_000);
      await redis.stop();
    }
  });
});

/**
 * An App that takes one task at a time and calls itself stuck after 1 s, each evaluation waiting `ms` on GitHub,
 * and `count` pull requests (numbered from `first`) sent to it.
 */
async function backlogOf(ms: number, count: number, first: number) {
  const gate = aimsGateApp({ today: () => '2026-11-01', concurrency: 1, stuckAfter: 1 });
  const server = await startAppServer(gate, SECRET, fake.url);
  try {
    fake.slow.push({ route: /\/pulls\/\d+\/files$/, ms });
    const prs = Array.from({ length: count }, (_, i) => openPullRequest(fake, first + i, files));
    for (const [i, { body }] of prs.entries())
      expect(
        (await postWebhook(server.url, 'pull_request', `backlog-${first + i}`, body, SECRET)).status,
      ).toBe(200);
    return { server, prs };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

describe('a backlog', () => {
  it('one the App works through steadily leaves it ready (every replica unready at once is an outage)', async () => {
    // At scale: writes are paced a second apart per installation, so 700 pull requests queued at once (a
    // sweep after Redis lost its data, a mass rebase) wait over the 600 s `stuckAfter`. Here 1 s, and tasks
    // of about 0.6 s, one at a time.
    const { server, prs } = await backlogOf(600, 5, 20);
    try {
      await until(() => completed(prs[1]!.head).length > 0);
      await sleep(300);
      // Work is progressing (a check run a second or so), yet every replica with such a backlog says 503: a
      // load balancer then has no replica to send GitHub's webhooks to.
      const ready = await fetch(`${server.url}/health/ready`);
      expect(completed(prs[0]!.head)).toHaveLength(1);
      expect(ready.status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});

describe('a stuck queue', () => {
  it('one where nothing finishes while a task waits makes the App not ready, saying why', async () => {
    const { server } = await backlogOf(4_000, 2, 40);
    try {
      await sleep(2_500);
      const ready = await fetch(`${server.url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(JSON.stringify(await ready.json())).toMatch(/none finished in \d+ s: work is not progressing/);
    } finally {
      await server.stop();
    }
  });
});

describe('GitHub revoking a token', () => {
  it('an installation token GitHub revoked (401) is replaced: the next pull request is checked', async () => {
    let revoked = false;
    const github = await proxy(fake.url, (request, headers) =>
      revoked && headers.authorization === 'token ghs_installation' && !request.includes('/access_tokens')
        ? { status: 401, type: 'application/json', body: '{"message":"Bad credentials"}' }
        : undefined,
    );
    const { url } = await app(github);
    const first = openPullRequest(fake, 6, files);
    expect((await postWebhook(url, 'pull_request', 'before', first.body, SECRET)).status).toBe(200);
    await until(() => completed(first.head).length > 0);
    // Suspending and unsuspending an installation, or secret scanning finding a token, revokes it; GitHub
    // gives a new one on request.
    revoked = true;
    fake.answer('POST', '/app/installations/1/access_tokens', {
      token: 'ghs_second',
      expires_at: '2099-01-01T00:00:00Z',
    });
    const second = openPullRequest(fake, 7, files);
    expect((await postWebhook(url, 'pull_request', 'after', second.body, SECRET)).status).toBe(200);
    // The queue retries after 1 s and 5 s; Probot keeps the revoked token cached for 59 minutes.
    // auth-app first waits out 1 + 2 + 3 s for a token under 5 s old (GitHub's replication delay), as this one is.
    await until(() => completed(second.head).length > 0, 8_000);
    expect(completed(second.head)).toHaveLength(1);
  });
});

describe('GitHub refusing the check run for a while', () => {
  it('the evaluation it could not report is recorded in the audit log once, not once a try', async () => {
    const logged = {
      ...conformantRepo(),
      '.github/aims-gate.yml': 'systems: [models/*]\naudit-log: branch:aims-audit-log\n',
    };
    const github = await appGitHub(logged);
    const gate = aimsGateApp({ today: () => '2026-11-01', retryDelays: [10, 10] });
    const server = await startAppServer(gate, SECRET, github.url, { Octokit: FastOctokit });
    try {
      const { head, body } = openPullRequest(github, 9, logged);
      // A 502 outage of the Checks API: the Octokit's four tries of each write, twice (the verdict, then the
      // failure saying why), all fail; the queue's retry finds it over.
      github.flaky.push({ route: /^POST .*\/check-runs$/, times: 8 });
      expect((await postWebhook(server.url, 'pull_request', 'checks-down', body, SECRET)).status).toBe(200);
      await gate.queue.idle();
      expect([...github.checkRuns.values()].filter((r) => r.head_sha === head)).toHaveLength(1);
      const evaluated = entries(github)
        .map((line) => JSON.parse(line))
        .filter((e) => e.subject?.commit === head);
      expect(evaluated.filter((e) => e.type === evaluated[0].type)).toHaveLength(1);
    } finally {
      await server.stop();
      await github.stop();
    }
  });
});

describe('what an operator reads', () => {
  it('at LOG_LEVEL=debug, no line carries the body of a request to GitHub', async () => {
    const { url, output } = await app(fake.url, { LOG_LEVEL: 'debug' });
    const { head, body } = openPullRequest(fake, 4, files);
    expect((await postWebhook(url, 'pull_request', 'debug', body, SECRET)).status).toBe(200);
    await until(() => completed(head).length > 0);
    await until(() => output().includes('check-runs - 201'), 2_000);
    const lines = output()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const requests = lines.filter((line) => String(line.msg).startsWith('GitHub request: POST'));
    expect(requests.length).toBeGreaterThan(0);
    // Probot logs each request's parameters as the line's fields: the check run's summary, the GraphQL
    // query, the audit entries' blobs; and the check run's `name` replaces the logger's.
    for (const line of requests) {
      expect(line).not.toHaveProperty('output');
      expect(line).not.toHaveProperty('query');
      expect(line).not.toHaveProperty('head_sha');
    }
  });

  it('a LOG_FORMAT or LOG_LEVEL it cannot use stops the App at start, naming the variable', async () => {
    // LOG_FORMAT=JSON (capitals) starts the App with human-readable lines: a JSON log pipeline takes none of
    // them, silently. LOG_LEVEL=verbose ends it with pino's stack trace, which names no variable.
    for (const [name, value] of [
      ['LOG_FORMAT', 'JSON'],
      ['LOG_LEVEL', 'verbose'],
    ] as const) {
      const { child, output } = spawnAppProcess(fake.url, { [name]: value });
      children.push(child);
      const code = await Promise.race([
        new Promise((resolve) => child.once('exit', resolve)),
        sleep(3_000).then(() => 'still running'),
      ]);
      expect({ name, code, named: output().includes(name) }).toEqual({ name, code: 2, named: true });
    }
  });

  it('/metrics counts each request to GitHub once', async () => {
    const { url } = await app();
    const { head, body } = openPullRequest(fake, 5, files);
    expect((await postWebhook(url, 'pull_request', 'counted', body, SECRET)).status).toBe(200);
    await until(() => completed(head).length > 0);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const counted = metrics
      .split('\n')
      .filter((line) => line.startsWith('aims_gate_github_requests_total{'))
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
    // Probot builds each installation's Octokit from the App's options, whose fetch already counts: twice.
    expect(counted).toBe(fake.requests.length);
  });
});

/** A reviewer's approval as GitHub sends it (`deployment_review.approved`, built from its own example). */
function reviewApproved() {
  const requested = webhook('deployment_review', 'requested');
  const { workflow_job_run: job, environment: _e, requestor: _r, reviewers: _v, ...rest } = requested;
  const payload = { ...rest, action: 'approved', approver: requested.requestor, workflow_job_runs: [job] };
  return { requested, body: JSON.stringify(payload) };
}

/** The review's repository on a fake GitHub: its default branch has no config, so the App's log branch. */
async function reviewGitHub(): Promise<FakeGitHub> {
  const { requested } = reviewApproved();
  const github = await new FakeGitHub(requested.repository.full_name).start();
  github.answer('POST', `/app/installations/${requested.installation.id}/access_tokens`, {
    token: 'ghs_installation',
    expires_at: '2099-01-01T00:00:00Z',
  });
  github.branch('main', github.seed({ 'README.md': '#' }));
  return github;
}
const entries = (github: FakeGitHub) =>
  (github.file(APP_AUDIT_BRANCH, 'audit-log.jsonl') ?? '').split('\n').filter(Boolean);

/** A deployment waiting on the App's protection rule (GitHub sends no example: built from real parts). */
function protectionRequested(sha: string): string {
  const deployment = webhook('deployment', 'created');
  return JSON.stringify({
    action: 'requested',
    environment: 'production',
    event: 'push',
    deployment_callback_url: `https://api.github.com${REPO}/actions/runs/1234/deployment_protection_rule`,
    deployment: { ...deployment.deployment, sha, environment: 'production' },
    pull_requests: [],
    repository: opened.repository,
    sender: opened.sender,
    installation: { id: 1 },
  });
}

describe('deployment protection rule', () => {
  it('an App process killed while it records its decision, then another taking over: one decision in the log', async () => {
    const redis = await startRedis();
    fake.branch('main', fake.seed({ 'README.md': '#' }));
    fake.answer('POST', `${REPO}/actions/runs/1234/deployment_protection_rule`, {});
    let written = false;
    const writes = (request: string) => / \/repos\/.*\/git\/refs/.test(request) && !request.startsWith('GET');
    const slow = await proxy(fake.url, () => undefined, {
      delay: (request) => (writes(request) ? 5_000 : 0),
      forwarded: (request) => {
        if (writes(request)) written = true;
      },
    });
    // With the App's key: an entry only it could have signed stands for the decision (one anyone can write would not).
    const env = {
      REDIS_URL: redis.url,
      AIMS_GATE_QUEUE_NAME: 'protection-kill',
      AIMS_GATE_LOCK_MS: '1000',
      AIMS_GATE_SIGNING_KEY: TEST_GATE_KEY,
    };
    try {
      const a = await app(slow, env);
      const body = protectionRequested(PR.head.sha);
      expect((await postWebhook(a.url, 'deployment_protection_rule', 'dpr-1', body, SECRET)).status).toBe(
        200,
      );
      await until(() => written);
      a.child.kill('SIGKILL');
      await new Promise((resolve) => a.child.once('exit', resolve));
      expect(entries(fake)).toHaveLength(1);
      // The decision is kept in Redis only after its entry is written: the process that takes the task over
      // finds the entry its run left in the log, and posts that decision instead of writing a second one.
      await app(fake.url, env);
      await until(() =>
        fake.requests.some((r) => r.startsWith('POST') && r.endsWith('/deployment_protection_rule')),
      );
      expect(entries(fake)).toHaveLength(1);
    } finally {
      await redis.stop();
    }
  });
});

describe('environment reviewers’ decisions', () => {
  it('one whose recording failed every retry is recorded when GitHub redelivers its webhook', async () => {
    const github = await reviewGitHub();
    const gate = aimsGateApp({ retryDelays: [10, 10] });
    const server = await startAppServer(gate, SECRET, github.url);
    try {
      const { body } = reviewApproved();
      // GitHub's Git Data API down for a while: every try of the task fails, and the queue gives up.
      github.broken.push(/^POST .*\/git\//);
      expect((await postWebhook(server.url, 'deployment_review', 'review-1', body, SECRET)).status).toBe(200);
      await gate.queue.idle();
      expect(entries(github)).toEqual([]);
      // No sweep looks for reviewer decisions; an operator redelivers the webhook from the App's settings.
      github.broken.length = 0;
      expect((await postWebhook(server.url, 'deployment_review', 'review-1', body, SECRET)).status).toBe(200);
      await gate.queue.idle();
      expect(entries(github)).toHaveLength(1);
    } finally {
      await server.stop();
      await github.stop();
    }
  });

  it('an App process killed while it records one, then another taking over: one entry in the log', async () => {
    const redis = await startRedis();
    const github = await reviewGitHub();
    let written = false;
    // The log's branch is written (GitHub has it), and the answer takes a while: the process dies meanwhile.
    const slow = await proxy(github.url, () => undefined, {
      delay: (request) => (/ \/repos\/.*\/git\/refs/.test(request) && !request.startsWith('GET') ? 5_000 : 0),
      forwarded: (request) => {
        if (/ \/repos\/.*\/git\/refs/.test(request) && !request.startsWith('GET')) written = true;
      },
    });
    const env = {
      REDIS_URL: redis.url,
      AIMS_GATE_QUEUE_NAME: 'review-kill',
      AIMS_GATE_LOCK_MS: '1000',
      AIMS_GATE_SIGNING_KEY: TEST_GATE_KEY,
    };
    try {
      const a = await app(slow, env);
      const { body } = reviewApproved();
      expect((await postWebhook(a.url, 'deployment_review', 'review-2', body, SECRET)).status).toBe(200);
      await until(() => written);
      a.child.kill('SIGKILL');
      await new Promise((resolve) => a.child.once('exit', resolve));
      expect(entries(github)).toHaveLength(1);

      // Its lock expires after 1 s: the task is taken over and run again.
      await app(github.url, env);
      // The process that takes it over finds the entry in the log and publishes its checkpoint: the same
      // reviewer's decision is not written twice (the log would say the deployment was approved twice).
      await until(() => github.statuses.length > 0);
      expect(entries(github)).toHaveLength(1);
    } finally {
      await redis.stop();
      await github.stop();
    }
  });
});
