import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aimsGateApp, MAX_WEBHOOK_BYTES } from '../app/index.js';
import { taskKey } from '../app/tasks.js';
import { appGitHub, opened, openPullRequest, PR, REPO } from './app-github.js';
import type { FakeGitHub } from './fake-github.js';
import { conformantRepo } from './helpers.js';
import { FastOctokit, postWebhook, startAppServer } from './probot.js';
import { RepositoryHistory } from './repository-history.js';
import { webhook } from './webhooks.js';

// The App behind its real HTTP server on 127.0.0.1, GitHub faked on 127.0.0.1: each way v1 went silent
// (issue 11) now ends in a completed check run or a protection-rule answer.
const SECRET = 'never-silent';
const CONFIG = 'systems: [models/*]\naudit-log: branch:aims-audit-log\n';
const files = { ...conformantRepo(), '.github/aims-gate.yml': CONFIG };

let fake: FakeGitHub;
let gate: ReturnType<typeof aimsGateApp>;
let url: string;
let stop: () => Promise<void>;
let deliveries = 0;

beforeEach(async () => {
  fake = await appGitHub(files);
  openPullRequest(fake, 2, files, PR.head.sha);
});
afterEach(async () => {
  await stop?.();
  await fake.stop();
});

async function start(options: Parameters<typeof aimsGateApp>[0] = {}) {
  gate = aimsGateApp({
    today: () => '2026-11-01',
    retryDelays: [20, 20],
    ...options,
  });
  ({ url, stop } = await startAppServer(gate, SECRET, fake.url));
}

async function send(event: string, payload: unknown, delivery = `d-${++deliveries}`) {
  const response = await postWebhook(url, event, delivery, JSON.stringify(payload), SECRET);
  expect(response.status).toBe(200);
}

/** The check runs GitHub holds for a commit, as the fake kept them. */
const runsOn = (sha: string) => [...fake.checkRuns.values()].filter((r) => r.head_sha === sha);

describe('every pull-request event ends in a completed check run', () => {
  it('an invalid organisation config: a failed check run that names the file', async () => {
    fake.organisation.set('.github/aims-gate.yml', 'systems: [models/*\n');
    await start();
    await send('pull_request', opened);
    await gate.queue.idle();
    const [run] = runsOn(PR.head.sha);
    expect(run).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(run!.output.title).toBe('aims-gate: configuration error');
    expect(run!.output.summary).toContain('.github/aims-gate.yml:1: invalid YAML');
    expect(run!.output.summary).toContain('fix:');
  });

  it('GitHub failing before the check run is made (a GraphQL 500): a failed check run with the reason', async () => {
    fake.broken.push(/^POST \/graphql$/);
    await start();
    await send('pull_request', opened);
    await gate.queue.idle();
    const [run] = runsOn(PR.head.sha);
    expect(run).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(run!.output.title).toBe('aims-gate could not evaluate this pull request');
    expect(run!.output.summary).toContain('Re-run');
  });

  it('the pull request unreadable for a moment: a failed check run says so, and the retry completes a verdict', async () => {
    fake.flaky.push({ route: /^GET \/repos\/[^/]+\/[^/]+\/pulls\/2$/, times: 1 });
    await start();
    await send('pull_request', opened);
    await gate.queue.idle();
    const runs = runsOn(PR.head.sha);
    expect(runs.map((r) => [r.status, r.conclusion])).toEqual([
      ['completed', 'failure'],
      ['completed', 'success'],
    ]);
    expect(runs[0]!.output.title).toBe('aims-gate could not read this pull request');
  });

  it('the newest head wins: a late event naming an older head checks the current one, and never the old', async () => {
    const older = fake.seed(files, 'a'.repeat(40));
    await start();
    await send('pull_request', { ...opened, action: 'synchronize' });
    // A review submitted on the older head arrives after the push.
    const late = webhook('pull_request_review', 'submitted');
    await send('pull_request_review', {
      ...late,
      repository: opened.repository,
      installation: opened.installation,
      pull_request: { ...PR, head: { ...PR.head, sha: older } },
    });
    await gate.queue.idle();
    expect(runsOn(older)).toEqual([]);
    expect(runsOn(PR.head.sha).length).toBeGreaterThan(0);
    expect(runsOn(PR.head.sha).every((r) => r.conclusion === 'success')).toBe(true);
  });

  it('a replayed delivery is evaluated once and recorded once', async () => {
    await start();
    await send('pull_request', opened, 'replayed');
    await gate.queue.idle();
    await send('pull_request', opened, 'replayed');
    await gate.queue.idle();
    expect(runsOn(PR.head.sha)).toHaveLength(1);
    const entries = (fake.file('aims-audit-log', 'audit-log.jsonl') ?? '').trim().split('\n');
    expect(entries.filter((l) => l.includes('"type":"evaluated"'))).toHaveLength(1);
  });

  it('a check run GitHub will not take: retried with backoff, given up loudly, then made by reconciliation', async () => {
    fake.broken.push(/^POST \/repos\/[^/]+\/[^/]+\/check-runs$/);
    await start({ retryDelays: [10, 10] });
    await send('pull_request', opened);
    await gate.queue.idle();
    // A try and two retries, each sending the verdict and then the failure that says why.
    expect(fake.requests.filter((r) => r.startsWith('POST') && r.endsWith('/check-runs'))).toHaveLength(6);
    expect(fake.checkRuns.size).toBe(0);

    fake.broken.length = 0;
    installed();
    fake.answer('GET', `${REPO}/pulls`, [PR]);
    const swept = await gate.reconcile();
    await gate.queue.idle();
    expect(swept).toMatchObject({ installations: 1, repositories: 1, pullRequests: 1, deployments: 0 });
    expect(runsOn(PR.head.sha)).toMatchObject([{ status: 'completed', conclusion: 'success' }]);
    // Once the head has a check run, another sweep queues nothing.
    expect(await gate.reconcile()).toMatchObject({ pullRequests: 0 });
  });
});

describe('what a second pair of eyes found (each was silent or lost work)', () => {
  it('a check run is never left in progress: it is created completed, in one write', async () => {
    await start();
    await send('pull_request', opened);
    await gate.queue.idle();
    expect([...fake.checkRuns.values()].map((r) => [r.head_sha, r.status, r.conclusion])).toEqual([
      [PR.head.sha, 'completed', 'success'],
    ]);
    expect(fake.requests.filter((r) => r.includes('/check-runs'))).toEqual([`POST ${REPO}/check-runs`]);
  });

  it('a check suite of two pull requests re-runs both; one from a fork (GitHub lists none) is found by its head', async () => {
    const other = fake.seed(files, 'b'.repeat(40));
    fake.answer('GET', `${REPO}/pulls/3`, { ...PR, number: 3, head: { ...PR.head, sha: other } });
    fake.answer('GET', `${REPO}/pulls/3/files`, [{ filename: 'models/credit-scoring/MODEL_CARD.md' }]);
    fake.answer('GET', `${REPO}/pulls/3/reviews`, []);
    await start();
    const suite = webhook('check_suite', 'rerequested');
    const rerun = (pulls: unknown[], head: string) => ({
      ...suite,
      repository: opened.repository,
      installation: opened.installation,
      check_suite: { ...suite.check_suite, head_sha: head, pull_requests: pulls },
    });
    await send('check_suite', rerun([{ number: 2 }, { number: 3 }], PR.head.sha));
    await gate.queue.idle();
    expect([runsOn(PR.head.sha).length, runsOn(other).length]).toEqual([1, 1]);

    fake.answer('GET', `${REPO}/pulls`, [{ number: 3, head: { sha: other } }]);
    await send('check_suite', rerun([], other));
    await gate.queue.idle();
    expect(runsOn(other)).toHaveLength(2);
  });

  it('each reviewer’s decision is its own task, never merged into another’s', () => {
    const review = (login: string) =>
      taskKey({
        kind: 'review',
        installation: 1,
        owner: 'acme',
        repo: 'ml',
        state: 'approved',
        environments: ['production'],
        commit: 'c'.repeat(40),
        reviewer: { login },
        run: 7,
      });
    expect(review('alice')).not.toBe(review('bob'));
  });

  it('one repository failing does not stop the sweep of the others', async () => {
    installed();
    fake.answer('GET', '/installation/repositories', {
      total_count: 2,
      repositories: [
        { name: 'broken', owner: { login: 'Codertocat' } },
        { name: 'Hello-World', owner: { login: 'Codertocat' } },
      ],
    });
    fake.answer('GET', `${REPO}/pulls`, [PR]);
    await start();
    const swept = await gate.reconcile();
    expect(swept.errors).toEqual([expect.stringMatching(/^Codertocat\/broken: /)]);
    expect(swept.pullRequests).toBe(1);
    await gate.queue.idle();
  });
});

/** GitHub's answers for a sweep: the App, its one installation and repository, no waiting runs. */
function installed() {
  fake.answer('GET', '/app', { id: 1, slug: 'aims-gate' });
  fake.answer('GET', '/app/installations', [{ id: 1, account: { login: 'Codertocat' } }]);
  fake.answer('GET', '/installation/repositories', {
    total_count: 1,
    repositories: [
      { name: 'Hello-World', owner: { login: 'Codertocat' }, full_name: 'Codertocat/Hello-World' },
    ],
  });
  fake.answer('GET', `${REPO}/actions/runs`, { total_count: 0, workflow_runs: [] });
  fake.answer('GET', `${REPO}/pulls`, []);
}

describe('merge queues', () => {
  it("checks a merge group's head commit (GitHub's real merge_group payload), against its base", async () => {
    await start();
    const group = webhook('merge_group', 'checks_requested');
    const head = fake.seed(files, 'e'.repeat(40));
    group.repository = opened.repository;
    group.installation = opened.installation;
    group.merge_group = {
      ...group.merge_group,
      head_sha: head,
      head_ref: `refs/heads/gh-readonly-queue/master/pr-2-${PR.head.sha}`,
      base_sha: PR.base.sha,
      base_ref: 'refs/heads/master',
    };
    await send('merge_group', group);
    await gate.queue.idle();
    expect(runsOn(head)).toMatchObject([{ status: 'completed', conclusion: 'success' }]);
    // Its own check: the pull request's head got none from it.
    expect(runsOn(PR.head.sha)).toEqual([]);
  });
});

describe("GitHub's rate limits and server errors", () => {
  it('a 403 secondary limit, a 429 and a 502 are waited out and retried: no false red check', async () => {
    gate = aimsGateApp({ today: () => '2026-11-01', retryDelays: [] });
    ({ url, stop } = await startAppServer(gate, SECRET, fake.url, { Octokit: FastOctokit }));
    const prs = Array.from({ length: 6 }, (_, i) => openPullRequest(fake, i + 20, files));
    // One request in three meets one of GitHub's faults (a retried request meets the next one only by chance).
    fake.spreadFaults = true;
    const faults = [
      'secondary-rate-limit',
      'none',
      'none',
      '429',
      'none',
      'none',
      '502',
      'none',
      'none',
    ] as const;
    for (let i = 0; i < 10; i++) fake.fail(...faults);
    for (const [i, { body }] of prs.entries())
      expect((await postWebhook(url, 'pull_request', `limits-${i}`, body, SECRET)).status).toBe(200);
    await gate.queue.idle();
    for (const { head } of prs) expect(runsOn(head).map((r) => r.conclusion)).toEqual(['success']);
    expect(fake.pendingFaults).toBe(0); // every fault was met
  });

  it('a 5xx is tried by one layer only: four sends of the answer, not two dozen', async () => {
    fake.answer('POST', `${REPO}/actions/runs/77/deployment_protection_rule`, {});
    fake.broken.push(/deployment_protection_rule$/);
    gate = aimsGateApp({ today: () => '2026-11-01', retryDelays: [] });
    ({ url, stop } = await startAppServer(gate, SECRET, fake.url, { Octokit: FastOctokit }));
    await send('deployment_protection_rule', {
      action: 'requested',
      environment: 'production',
      event: 'push',
      deployment_callback_url: `https://api.github.com${REPO}/actions/runs/77/deployment_protection_rule`,
      deployment: { ...webhook('deployment', 'created').deployment, sha: PR.head.sha },
      repository: opened.repository,
      sender: opened.sender,
      installation: opened.installation,
    });
    await gate.queue.idle();
    // The retry plugin's three retries, and no task retry (retryDelays: []).
    expect(fake.requests.filter((r) => r.endsWith('/runs/77/deployment_protection_rule'))).toHaveLength(4);
  });
});

describe('the deployment protection rule is always answered, once', () => {
  const ANSWER = `POST ${REPO}/actions/runs/1234/deployment_protection_rule`;
  function requested(sha: string) {
    return {
      action: 'requested',
      environment: 'production',
      event: 'push',
      deployment_callback_url: `https://api.github.com${REPO}/actions/runs/1234/deployment_protection_rule`,
      deployment: { ...webhook('deployment', 'created').deployment, sha, environment: 'production' },
      repository: opened.repository,
      sender: opened.sender,
      installation: opened.installation,
    };
  }
  let head: string;
  beforeEach(() => {
    const history = new RepositoryHistory(fake, files);
    head = history.head();
    fake.answer('POST', `${REPO}/actions/runs/1234/deployment_protection_rule`, {});
  });
  const decisions = () =>
    (fake.file('aims-audit-log', 'audit-log.jsonl') ?? '')
      .trim()
      .split('\n')
      .filter((l) => l.includes('"deployment.'));

  it('an answer GitHub does not take at first is posted again with backoff; the decision is made and logged once', async () => {
    fake.flaky.push({ route: /deployment_protection_rule$/, times: 2 });
    await start();
    await send('deployment_protection_rule', requested(head));
    await gate.queue.idle();
    expect(fake.requests.filter((r) => r === ANSWER)).toHaveLength(3);
    expect(fake.bodies.filter((b) => b.request === ANSWER).at(-1)!.body).toMatchObject({
      environment_name: 'production',
      state: expect.stringMatching(/^(approved|rejected)$/),
    });
    expect(decisions()).toHaveLength(1);
  });

  it('posting failing past every retry fails the task; its retry posts the decision already made', async () => {
    fake.flaky.push({ route: /deployment_protection_rule$/, times: 3 });
    await start({ retryDelays: [10, 10, 10] });
    await send('deployment_protection_rule', requested(head));
    await gate.queue.idle();
    // One post per try of the task (the Octokit's retry plugin is the only other layer, off here): the
    // task's three retries post the kept decision, the last one taken.
    expect(fake.requests.filter((r) => r === ANSWER)).toHaveLength(4);
    expect(fake.bodies.filter((b) => b.request === ANSWER)).toHaveLength(1);
    expect(decisions()).toHaveLength(1);
  });

  it('after a restart, reconciliation answers runs waiting on this App’s rule, and only those', async () => {
    installed();
    fake.answer('GET', `${REPO}/actions/runs`, {
      total_count: 2,
      workflow_runs: [
        { id: 1234, head_sha: head, actor: { login: 'release-bot', id: 5 } },
        { id: 999, head_sha: head, actor: { login: 'release-bot', id: 5 } },
      ],
    });
    fake.answer('GET', `${REPO}/actions/runs/1234/pending_deployments`, [
      { environment: { id: 1, name: 'production' } },
    ]);
    fake.answer('GET', `${REPO}/actions/runs/999/pending_deployments`, [
      { environment: { id: 2, name: 'staging' } },
    ]);
    // The deployment GitHub made for the run's attempt: the decision is kept per deployment.
    fake.answer('GET', `${REPO}/deployments`, [{ id: 555, sha: head, environment: 'production' }]);
    fake.answer('GET', `${REPO}/environments/production/deployment_protection_rules`, {
      total_count: 1,
      custom_deployment_protection_rules: [{ id: 3, enabled: true, app: { id: 1, slug: 'aims-gate' } }],
    });
    // Staging waits on another App's rule: not ours to answer.
    fake.answer('GET', `${REPO}/environments/staging/deployment_protection_rules`, {
      total_count: 1,
      custom_deployment_protection_rules: [{ id: 4, enabled: true, app: { id: 77, slug: 'other' } }],
    });
    await start();
    expect(await gate.reconcile()).toMatchObject({ deployments: 1, pullRequests: 0, errors: [] });
    await gate.queue.idle();
    expect(fake.requests.filter((r) => r === ANSWER)).toHaveLength(1);
    expect(fake.requests.some((r) => r.includes('/runs/999/deployment_protection_rule'))).toBe(false);
    // The same run found again (GitHub had not yet shown the answer): the kept decision, not a second one.
    await gate.reconcile();
    await gate.queue.idle();
    expect(decisions()).toHaveLength(1);
  });
});

describe('bounded input', () => {
  const requests: ReturnType<typeof request>[] = [];
  afterEach(() => {
    for (const req of requests.splice(0)) req.destroy();
  });

  /** A POST that announces `length` bytes and sends 1 KiB: the answer must come before the rest. */
  function announce(length: number | 'chunked', close = true, sent = 1024): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = request(`${url}/api/github/webhooks`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'pull_request',
          'x-github-delivery': 'huge',
          // Signed (wrongly): the signature is checked only once the whole body is read.
          'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
          ...(length === 'chunked' ? { 'transfer-encoding': 'chunked' } : { 'content-length': length }),
        },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode!);
        req.destroy();
      });
      req.on('error', (error) => (close ? reject(error) : undefined));
      if (!close) requests.push(req);
      req.write(Buffer.alloc(sent, 32));
    });
  }

  it('bounds the bodies read at once, all requests together (503 past the budget)', async () => {
    await start({ bodyBudget: 30 * 1024 * 1024 });
    let answered = false;
    // Its body arriving (4 MiB at once, then more to come): a body that stalls gives its share up instead
    // (test/integration/app-operate.test.ts), so that stalled connections cannot keep GitHub's webhooks out.
    void announce(20 * 1024 * 1024, false, 4 * 1024 * 1024).then(() => {
      answered = true;
    });
    // Time for the server to take the first request's headers: a real socket, which no fake timer drives.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await announce(20 * 1024 * 1024)).toBe(503);
    // The first is still being read: its body has not all been sent, so nothing can have answered it.
    expect(answered).toBe(false);
  });

  it('refuses a body over GitHub’s 25 MB before reading it (413), and one of unknown length (411)', async () => {
    await start();
    expect(await announce(MAX_WEBHOOK_BYTES + 1)).toBe(413);
    expect(await announce(800 * 1024 * 1024)).toBe(413);
    expect(await announce('chunked')).toBe(411);
    expect(fake.requests.filter((r) => !r.includes('access_tokens'))).toEqual([]);
  });
});
