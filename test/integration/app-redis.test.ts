import type { ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { aimsGateApp } from '../../app/index.js';
import { appGitHub, openPullRequest, REPO } from '../app-github.js';
import { startAppProcess } from '../app-process.js';
import type { FakeGitHub } from '../fake-github.js';
import { conformantRepo } from '../helpers.js';
import { type Json, postWebhook, startAppServer } from '../probot.js';
import { startRedis } from '../redis.js';

// The durable queue on a real redis-server: several App instances share it, a replay is processed once, and
// an instance killed mid-burst loses nothing.
const SECRET = 'redis-queue';
const files = { ...conformantRepo(), '.github/aims-gate.yml': 'systems: [models/*]\naudit-log: none\n' };

let redis: Awaited<ReturnType<typeof startRedis>>;
let fake: FakeGitHub;
let queues = 0;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});
beforeEach(async () => {
  fake = await appGitHub(files);
});
afterEach(async () => {
  await fake.stop();
});

const pullRequest = (n: number) => openPullRequest(fake, n, files);

const completed = (head: string) =>
  [...fake.checkRuns.values()].filter((r) => r.head_sha === head && r.status === 'completed');

describe('the App on Redis (BullMQ)', () => {
  it('two instances share one queue: every task runs once, a replayed delivery is ignored by both', async () => {
    const name = `share-${++queues}`;
    const instances = await Promise.all(
      [1, 2].map(async () => {
        const gate = aimsGateApp({ today: () => '2026-11-01', redisUrl: redis.url, queueName: name });
        return { gate, ...(await startAppServer(gate, SECRET, fake.url)) };
      }),
    );
    try {
      const prs = Array.from({ length: 12 }, (_, i) => pullRequest(i + 10));
      const answers = await Promise.all(
        prs.flatMap(({ body }, i) => [
          postWebhook(instances[i % 2]!.url, 'pull_request', `pr-${i}`, body, SECRET),
          // The same delivery again, to the other instance.
          postWebhook(instances[(i + 1) % 2]!.url, 'pull_request', `pr-${i}`, body, SECRET),
        ]),
      );
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
      await instances[0]!.gate.queue.idle();
      for (const { head } of prs) expect(completed(head), head).toHaveLength(1);
      expect(fake.checkRuns.size).toBe(12);
      const health = await (await fetch(`${instances[1]!.url}/health/ready`)).json();
      expect(health).toMatchObject({
        status: 'ok',
        queue: { running: 0, waiting: 0, oldestSeconds: 0 },
        store: { kind: 'redis', reachable: true },
      });
    } finally {
      for (const { stop } of instances) await stop();
    }
  });

  it('coalesces a burst for one pull request across instances, and checks its current head', async () => {
    const name = `burst-${++queues}`;
    const instances = await Promise.all(
      [1, 2].map(async () => {
        const gate = aimsGateApp({ today: () => '2026-11-01', redisUrl: redis.url, queueName: name });
        return { gate, ...(await startAppServer(gate, SECRET, fake.url)) };
      }),
    );
    try {
      const { head, body } = pullRequest(7);
      fake.slow.push({ route: /\/pulls\/7\/files$/, ms: 300 });
      await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          postWebhook(instances[i % 2]!.url, 'pull_request', `burst-${i}`, body, SECRET),
        ),
      );
      await instances[0]!.gate.queue.idle();
      // One running when the burst came, at most one more for all that arrived meanwhile.
      expect(completed(head).length).toBeGreaterThanOrEqual(1);
      expect(completed(head).length).toBeLessThanOrEqual(3);
    } finally {
      for (const { stop } of instances) await stop();
    }
  });

  it('while Redis is unreachable: not ready (503), still live, and a webhook gets 503 (GitHub redelivers)', async () => {
    const gate = aimsGateApp({ redisUrl: 'redis://127.0.0.1:1', queueName: `down-${++queues}` });
    const { url, stop } = await startAppServer(gate, SECRET, fake.url);
    try {
      const health = await fetch(`${url}/health/ready`);
      expect(health.status).toBe(503);
      expect(((await health.json()) as Json).store).toMatchObject({ kind: 'redis', reachable: false });
      expect((await fetch(`${url}/health/live`)).status).toBe(200);
      const { body } = pullRequest(3);
      const answer = await postWebhook(url, 'pull_request', 'lost?', body, SECRET);
      expect(answer.status).toBe(503);
    } finally {
      await stop();
    }
  });
});

describe('SIGTERM', () => {
  it('stops taking work, and hands back a task still running after the grace period: another process runs it at once', async () => {
    const env = { REDIS_URL: redis.url, AIMS_GATE_QUEUE_NAME: 'sigterm', AIMS_GATE_SHUTDOWN_SECONDS: '1' };
    const a = await startAppProcess(fake.url, env);
    const { head, body } = pullRequest(60);
    // The evaluation outlasts the grace period.
    fake.slow.push({ route: /\/pulls\/60\/files$/, ms: 4_000 });
    expect((await postWebhook(a.url, 'pull_request', 'sigterm-1', body, 'app-process')).status).toBe(200);
    for (let waited = 0; !fake.requests.some((r) => r.endsWith('/60/files')) && waited < 20_000; waited += 50)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const began = Date.now();
    a.child.kill('SIGTERM');
    const code = await new Promise((resolve) => a.child.once('exit', resolve));
    expect(code).toBe(0);
    expect(Date.now() - began).toBeLessThan(10_000);
    expect(a.output()).toContain('finishing the tasks under way (at most 1 s)');
    expect(completed(head)).toEqual([]);

    // Handed back, not left to its 30 s lock: the next process runs it well within that.
    const b = await startAppProcess(fake.url, env);
    try {
      const start = Date.now();
      for (let waited = 0; completed(head).length === 0 && waited < 20_000; waited += 100)
        await new Promise((resolve) => setTimeout(resolve, 100));
      expect(completed(head)).toHaveLength(1);
      expect(Date.now() - start).toBeLessThan(20_000);
      // Nothing left in progress: every run GitHub holds for the head is completed.
      expect([...fake.checkRuns.values()].filter((r) => r.status !== 'completed')).toEqual([]);
    } finally {
      b.child.kill('SIGKILL');
    }
  }, 60_000);
});

describe('Redis restarted without persistence', () => {
  it('the App notices the lost data and reconciles at once: every open pull request is checked', async () => {
    const own = await startRedis();
    const gate = aimsGateApp({
      today: () => '2026-11-01',
      redisUrl: own.url,
      queueName: 'restart',
      concurrency: 1,
    });
    const { url, stop } = await startAppServer(gate, SECRET, fake.url);
    try {
      const prs = Array.from({ length: 4 }, (_, i) => pullRequest(i + 40));
      fake.answer('GET', '/app', { id: 1, slug: 'aims-gate' });
      fake.answer('GET', '/app/installations', [{ id: 1, account: { login: 'Codertocat' } }]);
      fake.answer('GET', '/installation/repositories', {
        total_count: 1,
        repositories: [{ name: 'Hello-World', owner: { login: 'Codertocat' } }],
      });
      fake.answer('GET', `${REPO}/actions/runs`, { total_count: 0, workflow_runs: [] });
      fake.answer(
        'GET',
        `${REPO}/pulls`,
        prs.map(({ body }) => JSON.parse(body).pull_request),
      );
      // Each evaluation takes a while: the tasks are still waiting in Redis when it loses them.
      fake.slow.push({ route: /\/pulls\/\d+\/files$/, ms: 400 });
      for (const [i, { body }] of prs.entries())
        expect((await postWebhook(url, 'pull_request', `restart-${i}`, body, SECRET)).status).toBe(200);
      await own.restart();
      for (let waited = 0; waited < 30_000; waited += 200) {
        if (prs.every(({ head }) => completed(head).length > 0)) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(prs.filter(({ head }) => completed(head).length === 0)).toEqual([]);
      // Reported where an operator looks (and logged at error).
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toContain('aims_gate_redis_data_loss_total 1');
      expect(metrics).toMatch(/aims_gate_reconciliations_total\{trigger="data-loss",result="ok"\} 1/);
    } finally {
      await stop();
      await own.stop();
    }
  }, 60_000);
});

describe('App processes on Redis, one killed mid-burst', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
  });

  /** `npm run app` as production runs it, pointed at the fake GitHub (as GitHub Enterprise) and Redis. */
  async function instance(name: string): Promise<{ child: ChildProcess; url: string }> {
    const started = await startAppProcess(fake.url, {
      WEBHOOK_SECRET: SECRET,
      REDIS_URL: redis.url,
      AIMS_GATE_QUEUE_NAME: name,
      AIMS_GATE_LOCK_MS: '2000',
    });
    children.push(started.child);
    return started;
  }

  it('the other instance finishes every task, including those the killed one had started', async () => {
    const name = `kill-${++queues}`;
    const [a, b] = [await instance(name), await instance(name)];
    // Each evaluation takes a while, so the killed instance dies with tasks in hand.
    fake.slow.push({ route: /\/pulls\/\d+\/files$/, ms: 500 });
    const prs = Array.from({ length: 4 }, (_, i) => pullRequest(i + 100));
    for (const [i, { body }] of prs.entries()) {
      const answer = await postWebhook(a.url, 'pull_request', `kill-${i}`, body, SECRET);
      expect(answer.status).toBe(200);
    }
    // Wait until A is mid-task (it has read a pull request's files), then kill it without warning.
    for (let waited = 0; !fake.requests.some((r) => r.endsWith('/files')) && waited < 20_000; waited += 50)
      await new Promise((resolve) => setTimeout(resolve, 50));
    a.child.kill('SIGKILL');

    // Writes are paced in each process (not through Redis), so the survivor waits only for the lock to expire.
    const done = () => prs.every(({ head }) => completed(head).length > 0);
    for (let waited = 0; !done() && waited < 30_000; waited += 200)
      await new Promise((resolve) => setTimeout(resolve, 200));
    expect(prs.filter(({ head }) => completed(head).length === 0)).toEqual([]);
    const health = (await (await fetch(`${b.url}/health`)).json()) as Json;
    expect(health.queue.waiting).toBe(0);
  }, 60_000);
});
