import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { ValidateFunction } from 'ajv';
import nock from 'nock';
import pino from 'pino';
import { Probot } from 'probot';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aimsGateApp } from '../app/index.js';
import { APP_AUDIT_BRANCH } from '../app/settings.js';
import { sha256 } from '../src/audit/entry.js';
import { ed25519Signer, signerOf } from '../src/audit/signature.js';
import { verifyAttestation } from '../src/export/attestation.js';
import { recordedIn } from '../src/export/gate.js';
import { BranchStore } from '../src/github/branch-store.js';
import { createGitHub } from '../src/github/octokit.js';
import { blobQueryAnswer, FakeGitHub } from './fake-github.js';
import { conformantRepo, edit } from './helpers.js';
import { answer, type Json, postWebhook, privateKey, startAppServer, TestOctokit } from './probot.js';
import { approvedInLog, RepositoryHistory } from './repository-history.js';
import { runAction } from './run-action.js';
import { webhook, webhookSchema } from './webhooks.js';

const API = 'https://api.github.com';
const SECRET = 'webhook-secret';
const CONFIG = `systems: [models/*]
audit-log: none
approvals:
  - environment: production
    tiers: [high, prohibited]
    require: [{ count: 1, teams: [Codertocat/ai-governance] }]
`;

// Real payloads: Codertocat/Hello-World #2, base f95f852…, head ec26c3e…; installation 1 added where the example has none.
const opened = {
  ...webhook('pull_request', 'opened'),
  installation: { id: 1, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==' },
};
const PR = opened.pull_request;
const REPO = `/repos/${opened.repository.full_name}`;

/** Every request the App made, with its body: what the tests assert on. */
let calls: { request: string; body: unknown }[];
/** Files by commit, as the GraphQL and tree answers serve them. */
let commits: Record<string, Record<string, string>>;
let logs: Record<string, unknown>[];

beforeEach(() => {
  calls = [];
  logs = [];
  commits = {};
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
});
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  nock.enableNetConnect();
  expect(pending, 'every request the test announced was made').toEqual([]);
});

/** The fixture with a risk score that is not likelihood × impact: a major nonconformity. */
const broken = (files: Record<string, string>) =>
  edit(files, 'models/credit-scoring/risk-assessment.yml', '    score: 16\n', '    score: 15\n');

/** Loads the App into a Probot, delivers one event, and waits until the work it queued is done. */
async function deliver(name: string, payload: unknown, id: string) {
  const { gate, probot } = app();
  await probot.load(gate);
  await probot.receive({ id, name, payload } as never);
  await gate.queue.idle();
  return gate;
}

function app(options: Parameters<typeof aimsGateApp>[0] = {}, baseUrl?: string) {
  const gate = aimsGateApp({ today: () => '2026-11-01', ...options });
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _encoding, done) {
        logs.push(JSON.parse(String(chunk)));
        done();
      },
    }),
  );
  const probot = new Probot({
    appId: 1,
    privateKey,
    secret: SECRET,
    log,
    Octokit: TestOctokit,
    ...(baseUrl ? { baseUrl } : {}),
  });
  return { gate, probot, log };
}

const record = (request: string) => (_uri: string, body: unknown) => {
  calls.push({ request, body });
};

/** GitHub as the App first sees it: an installation token, then the organisation's defaults and the base's config. */
function github({ org = false } = {}) {
  const scope = token(nock(API));
  // The pull request as it is now: its current head is what gets checked.
  scope.get(`${REPO}/pulls/2`).reply(200, PR);
  // The organisation's defaults and the base's config, read side by side.
  scope.post('/graphql').times(2).reply(200, blobs(org));
  return scope;
}

const token = (scope: nock.Scope) =>
  scope
    .post('/app/installations/1/access_tokens')
    .reply(201, { token: 'ghs_installation', expires_at: '2099-01-01T00:00:00Z' });

function lookup(commit: string, path: string) {
  const text = commits[commit]?.[path];
  if (text !== undefined) return { oid: commit.slice(0, 8) + path.length, bytes: Buffer.from(text) };
  return Object.keys(commits[commit] ?? {}).some((p) => p.startsWith(`${path}/`))
    ? ('folder' as const)
    : undefined;
}

/**
 * GitHub's answer to the blob query, recorded: files from `commits`; the organisation's `.github`
 * repository holds the files of `commits.org` when `org`, and does not exist otherwise.
 */
const blobs = (org = false) =>
  answer((body) => {
    const { query, variables } = body as { query: string; variables: Record<string, string> };
    record(`POST /graphql ${variables.repo}`)('', { variables });
    if (variables.repo !== '.github') return blobQueryAnswer(query, variables, lookup);
    return org
      ? blobQueryAnswer(query, variables, (_commit, path) => lookup('org', path))
      : {
          data: { repository: null },
          errors: [{ type: 'NOT_FOUND', path: ['repository'], message: 'Could not resolve to a Repository' }],
        };
  });

/** The recursive tree of the commit the URL names, as GET /git/trees/{sha}?recursive=true answers it. */
const tree = answer((_body, url) => {
  const sha = /trees\/([0-9a-f]{40})/.exec(url)![1]!;
  return {
    sha,
    truncated: false,
    tree: Object.entries(commits[sha]!).map(([path, text]) => ({
      path,
      type: 'blob',
      mode: '100644',
      sha: 'f'.repeat(40),
      size: text.length,
    })),
  };
});

/** The requests of one pull-request evaluation after the config was read. */
function evaluation(
  scope: nock.Scope,
  { files = ['models/credit-scoring/MODEL_CARD.md'], reviews = [] as unknown[] } = {},
) {
  scope
    .post('/graphql')
    .reply(200, blobs())
    .get(`${REPO}/pulls/2/files`)
    .query({ per_page: 100 })
    .reply(
      200,
      files.map((filename) => ({ filename, status: 'modified' })),
    )
    .get(`${REPO}/pulls/2/reviews`)
    .query({ per_page: 100 })
    .reply(200, reviews)
    .get(`${REPO}/git/trees/${PR.head.sha}`)
    .query({ recursive: 'true' })
    .reply(200, tree);
}

/** The check run, created completed (one write); `updates`: the further annotations GitHub is sent. */
function checkRuns(scope: nock.Scope, updates = 0) {
  scope.post(`${REPO}/check-runs`).reply(
    201,
    answer((body, uri) => {
      record('POST check-runs')(uri, body);
      return { id: 42 };
    }),
  );
  if (updates)
    scope
      .patch(`${REPO}/check-runs/42`)
      .times(updates)
      .reply(
        200,
        answer((body, uri) => {
          record('PATCH check-runs/42')(uri, body);
          return { id: 42 };
        }),
      );
}

function seed(head: Record<string, string> = { ...conformantRepo(), '.github/aims-gate.yml': CONFIG }) {
  commits[PR.base.sha] = { ...conformantRepo(), '.github/aims-gate.yml': CONFIG };
  commits[PR.head.sha] = head;
}

describe('the GitHub App, with probot.receive and GitHub answered by nock', () => {
  it('runs a check on a pull request: one write, the check run created completed with a summary', async () => {
    seed();
    const scope = github();
    checkRuns(scope);
    evaluation(scope);
    await deliver('pull_request', opened, 'delivery-1');

    const [complete, ...more] = calls.filter((c) => c.request.includes('check-runs'));
    expect(more).toEqual([]);
    expect(complete!.body).toMatchObject({
      name: 'aims-gate',
      head_sha: PR.head.sha,
      status: 'completed',
      output: { title: 'PASS: no findings (fails on: major)' },
      conclusion: 'success',
      actions: [{ identifier: 'rerun' }, { identifier: 'explain' }],
    });
    const summary = (complete!.body as { output: { summary: string } }).output.summary;
    expect(summary).toContain('| `models/credit-scoring` credit-scoring');
    expect(summary).toContain('### ISO/IEC 42001 Annex A controls');
    expect(summary).toContain('### Approvals (shown, not blocking on pull requests)');
    // The org's .github repository is asked for defaults; the base is read for config; the documents of
    // base and head travel in one request.
    expect(calls.map((c) => c.request)).toEqual([
      'POST /graphql .github',
      'POST /graphql Hello-World',
      'POST /graphql Hello-World',
      'POST check-runs',
    ]);
    // Every log line of the delivery carries its id and the repository.
    const lines = logs.filter((l) => l.id === 'delivery-1');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.repository === 'Codertocat/Hello-World')).toBe(true);
    expect(JSON.stringify(logs)).not.toContain('ghs_installation');
  });

  it('fails the check on a major nonconformity, with annotations most severe first', async () => {
    seed(broken({ ...conformantRepo(), '.github/aims-gate.yml': CONFIG }));
    const scope = github();
    checkRuns(scope);
    evaluation(scope, { files: ['models/credit-scoring/risk-assessment.yml'] });
    await deliver('pull_request', opened, 'd2');
    const [complete] = calls.filter((c) => c.request === 'POST check-runs').map((c) => c.body as Json);
    expect(complete.output.annotations[0]).toMatchObject({
      path: 'models/credit-scoring/risk-assessment.yml',
      start_line: 19,
      annotation_level: 'failure',
      title: 'major nonconformity: risk.scores (A.6.1.3)',
    });
    expect(complete).toMatchObject({
      status: 'completed',
      conclusion: 'failure',
      output: { title: 'FAIL: findings: 1 major (fails on: major)' },
    });
  });

  it('"Explain" on the check run evaluates again and adds what each rule behind a finding means', async () => {
    seed(broken({ ...conformantRepo(), '.github/aims-gate.yml': CONFIG }));
    // The real requested_action payload, pointed at the fixture's repository and pull request.
    const clicked = webhook('check_run', 'requested_action');
    clicked.repository = opened.repository;
    clicked.installation = opened.installation;
    clicked.requested_action = { identifier: 'explain' };
    clicked.check_run.pull_requests = [{ number: 2, head: PR.head, base: PR.base }];
    const scope = github();
    checkRuns(scope);
    evaluation(scope, { files: ['models/credit-scoring/risk-assessment.yml'] });
    await deliver('check_run', clicked, 'explain-1');
    const complete = calls.filter((c) => c.request === 'POST check-runs').at(-1)!.body as Json;
    expect(complete.conclusion).toBe('failure');
    expect(complete.output.text).toContain('#### `risk.scores`');
    expect(complete.output.text).toContain('A.6.1.3');
    expect(complete.output.text).toContain('**Fix:**');
  });

  it('gives a repository without a config a neutral check that says how to start', async () => {
    commits[PR.base.sha] = { 'README.md': '# Hello' };
    const scope = github();
    checkRuns(scope);
    await deliver('pull_request', opened, 'd3');
    const complete = calls.find((c) => c.request === 'POST check-runs')!.body as Json;
    expect(complete).toMatchObject({
      conclusion: 'neutral',
      output: { title: 'aims-gate is not set up here' },
    });
    expect(complete.output.summary).toContain('npx aims-gate init models/<your-model>');
  });

  it('makes no check at all where the organisation says so', async () => {
    commits[PR.base.sha] = { 'README.md': '# Hello' };
    commits.org = { '.github/aims-gate.yml': 'systems: [models/*]\napp: { without-config: skip }\n' };
    github({ org: true });
    await deliver('pull_request', opened, 'd4');
    expect(calls.map((c) => c.request)).toEqual(['POST /graphql .github', 'POST /graphql Hello-World']);
  });

  it('completes the check with the error when GitHub fails mid-evaluation', async () => {
    seed();
    const scope = github();
    checkRuns(scope);
    scope.get(`${REPO}/pulls/2/files`).query(true).reply(502, { message: 'Bad Gateway' });
    scope.get(`${REPO}/pulls/2/reviews`).query(true).reply(200, []);
    await deliver('pull_request', opened, 'd5');
    const complete = calls.find((c) => c.request === 'POST check-runs')!.body as Json;
    expect(complete).toMatchObject({
      status: 'completed',
      conclusion: 'failure',
      output: { title: 'aims-gate could not evaluate this pull request' },
    });
    expect(complete.output.summary).toContain('Bad Gateway');
  });

  it('evaluates a burst of 50 synchronize events for one pull request at most twice: the first, then the latest head', async () => {
    seed();
    const scope = token(nock(API));
    const { gate, probot } = app();
    await probot.load(gate);
    const heads = Array.from({ length: 50 }, (_, i) => i.toString(16).padStart(40, 'a'));
    // GitHub's pull request has the last pushed head: every check reads it when it starts.
    scope
      .get(`${REPO}/pulls/2`)
      .times(2)
      .reply(200, { ...PR, head: { ...PR.head, sha: heads[49] } });
    let evaluations = 0;
    // Count evaluations where they end: the check run's creation, one per evaluation.
    scope
      .post(`${REPO}/check-runs`)
      .times(2)
      .reply(
        201,
        answer((body) => {
          evaluations++;
          calls.push({ request: 'POST check-runs', body });
          return { id: 42 };
        }),
      );
    for (const sha of heads) commits[sha] = commits[PR.head.sha]!;
    // Each evaluation asks the organisation's defaults, the base config, then the documents.
    scope.post('/graphql').times(6).reply(200, blobs());
    scope
      .get(`${REPO}/pulls/2/files`)
      .query(true)
      .times(2)
      .reply(200, [{ filename: 'models/credit-scoring/MODEL_CARD.md' }]);
    scope.get(`${REPO}/pulls/2/reviews`).query(true).times(2).reply(200, []);
    scope
      .get(/\/git\/trees\//)
      .query(true)
      .times(2)
      .reply(200, tree);
    await Promise.all(
      heads.map((sha, i) =>
        probot.receive({
          id: `burst-${i}`,
          name: 'pull_request',
          payload: { ...opened, action: 'synchronize', pull_request: { ...PR, head: { ...PR.head, sha } } },
        }),
      ),
    );
    await gate.queue.idle();
    expect(evaluations).toBe(2);
    const evaluated = calls
      .filter((c) => c.request === 'POST check-runs')
      .map((c) => (c.body as { head_sha: string }).head_sha);
    // The first event starts a check, the 49 after it coalesce into one: both check the current head.
    expect(evaluated).toEqual([heads[49], heads[49]]);
  });
});

describe('the deployment protection rule', () => {
  const validate = webhookSchema('deployment_protection_rule$requested', { allErrors: true });

  /** GitHub sends no example of this event: one built from real parts that validates against its schema. */
  function requested(sha = PR.head.sha) {
    const deployment = webhook('deployment', 'created');
    const payload = {
      action: 'requested',
      environment: 'production',
      event: 'push',
      deployment_callback_url: `${API}${REPO}/actions/runs/1234/deployment_protection_rule`,
      deployment: { ...deployment.deployment, sha, environment: 'production' },
      pull_requests: [],
      // The example repository predates fields the schema now requires.
      repository: {
        ...opened.repository,
        is_template: false,
        web_commit_signoff_required: false,
        topics: [],
        visibility: 'public',
        custom_properties: {},
      },
      sender: opened.sender,
      installation: opened.installation,
    };
    expect(validate(payload), JSON.stringify(validate.errors)).toBe(true);
    return payload;
  }

  /** The App on a fake GitHub that keeps a commit graph: delivers the event and returns the App's answer. */
  let fake: FakeGitHub;
  let history: RepositoryHistory;
  beforeEach(async () => {
    fake = await new FakeGitHub(opened.repository.full_name).start();
    fake.answer('POST', '/app/installations/1/access_tokens', {
      token: 'ghs_installation',
      expires_at: '2099-01-01T00:00:00Z',
    });
    fake.answer('GET', '/orgs/codertocat/teams/ai-governance/members', [{ login: 'gov-lead', id: 9 }]);
    fake.answer('POST', `${REPO}/actions/runs/1234/deployment_protection_rule`, {});
    history = new RepositoryHistory(fake, { ...conformantRepo(), '.github/aims-gate.yml': LOGGED });
    await deployed(history.head());
  });

  /** The gate's config with the App's log, where its signed approvals say what production runs, and the App's key. */
  const LOGGED = CONFIG.replace('audit-log: none\n', '_extends: .github\n');
  /** A deployment the App approved before: in GitHub's deployments and in its log. */
  async function deployed(commit: string) {
    history.deployed(commit);
    const github = createGitHub({ token: 't', baseUrl: fake.url, retries: 0, throttle: { enabled: false } });
    const [owner, repo] = opened.repository.full_name.split('/') as [string, string];
    const store = new BranchStore(github, { owner, repo, branch: APP_AUDIT_BRANCH });
    await approvedInLog(store, opened.repository.full_name, commit, 'production', history.head());
  }
  afterEach(() => fake.stop());

  async function protect(sha: string, id: string, options: Parameters<typeof app>[0] = {}): Promise<Json> {
    const { gate, probot } = app(options, fake.url);
    await probot.load(gate);
    await probot.receive({ id, name: 'deployment_protection_rule', payload: requested(sha) as never });
    await gate.queue.idle();
    return fake.bodies.find((b) => b.request === `POST ${REPO}/actions/runs/1234/deployment_protection_rule`)
      ?.body;
  }
  const retrain = (files: Record<string, string>) => ({
    ...files,
    'models/credit-scoring/train.py': '# v2\n',
  });

  it('rejects a deployment that lacks the required approval, naming what is missing', async () => {
    const pr = history.pullRequest({ number: 2, change: retrain, approvers: ['mallory'] });
    const given = await protect(pr.mergeCommit!, 'dpr-1');
    expect(given).toMatchObject({ environment_name: 'production', state: 'rejected' });
    expect(given.comment).toContain(
      '#2 (high risk: credit-scoring): waiting for 1 more of 1 approval from team Codertocat/ai-governance (to production, high/prohibited risk)',
    );
    expect(given.comment.length).toBeLessThanOrEqual(1024);
  });

  it('approves when the governance team approved the final head', async () => {
    const pr = history.pullRequest({ number: 2, change: retrain, approvers: ['gov-lead'] });
    expect(await protect(pr.mergeCommit!, 'dpr-2')).toMatchObject({ state: 'approved' });
  });

  it('attaches an approval’s BOM and signed attestation: beside its entry on the log branch, named by digest in the entry, the comment and a status', async () => {
    const pr = history.pullRequest({ number: 2, change: retrain, approvers: ['gov-lead'] });
    const signer = ed25519Signer(
      generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    );
    const given = await protect(pr.mergeCommit!, 'dpr-attest', { signer });
    expect(given).toMatchObject({ state: 'approved' });
    const entries = (fake.file('aims-audit-log', 'audit-log.jsonl') ?? '')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const decision = entries.at(-1);
    expect(decision).toMatchObject({ type: 'deployment.approved', subject: { commit: pr.mergeCommit } });
    const digest: string = decision.details.attestation;
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const path = `attestations/${digest.slice('sha256:'.length)}.intoto.jsonl`;
    const url = `https://github.com/${opened.repository.full_name}/blob/${APP_AUDIT_BRANCH}/${path}`;
    const file = fake.file(APP_AUDIT_BRANCH, path)!;
    expect(`sha256:${sha256(file)}`).toBe(digest);
    expect(
      fake.file(APP_AUDIT_BRANCH, `attestations/${decision.details.bom.slice(7)}.cdx.json`),
    ).toBeDefined();
    // The reviewers of the run read the digest and the link in the answer; the commit shows them as a status.
    expect(given.comment.endsWith(` Attestation ${digest}: ${url}`)).toBe(true);
    expect(fake.statuses.find((s) => s.context === 'aims-gate/attestation: production')).toMatchObject({
      sha: pr.mergeCommit,
      state: 'success',
      description: digest,
      target_url: url,
    });
    // Signed with the App's key, and tied by digest to the App's signed entry.
    const trusted = [{ key: signer.publicKey, role: 'app' as const }];
    expect(verifyAttestation(file, trusted)).toMatchObject({
      ok: true,
      statement: { predicate: { verificationResult: 'PASSED', verifiedLevels: ['AIMS_GATE_TIER_HIGH'] } },
    });
    expect(recordedIn(file, entries, trusted)).toMatchObject({ entry: { seq: decision.seq }, by: 'file' });
  });

  it('records its decision and publishes the log’s checkpoint on the deployed commit, after answering', async () => {
    history = new RepositoryHistory(fake, { ...conformantRepo(), '.github/aims-gate.yml': LOGGED });
    history.deployed(history.head());
    const pr = history.pullRequest({ number: 2, change: retrain, approvers: ['gov-lead'] });
    // The log has no earlier approval to start from: the first commit, pushed without a pull request, rejects.
    const signer = ed25519Signer(
      generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    );
    expect(await protect(pr.mergeCommit!, 'dpr-log', { signer })).toMatchObject({ state: 'rejected' });
    const decision = (fake.file('aims-audit-log', 'audit-log.jsonl') ?? '')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
      .at(-1);
    expect(decision).toMatchObject({ type: 'deployment.rejected', subject: { commit: pr.mergeCommit } });
    // Signed with the App's key: what a later decision, and verify, trust.
    expect(signerOf(decision, [{ key: signer.publicKey, role: 'app' }])).toMatchObject({ status: 'signed' });
    expect(fake.statuses).toEqual([
      {
        sha: pr.mergeCommit,
        state: 'success',
        context: 'aims-gate/audit-checkpoint',
        description: `${decision.seq}:${decision.hash}`,
      },
    ]);
    // A deployment waits on the answer, never on a commit status.
    const posts = fake.requests.filter((r) => /deployment_protection_rule|\/statuses\//.test(r));
    expect(posts.map((r) => r.split('/').at(-2))).toEqual(['1234', 'statuses']);
  });

  it('rejects a merge into a branch the attacker made, whose config asks for nothing', async () => {
    const pr = history.pullRequest({
      number: 3,
      into: 'attacker',
      change: (files) => ({ ...retrain(files), '.github/aims-gate.yml': 'systems: [models/*]\n' }),
    });
    const given = await protect(pr.mergeCommit!, 'dpr-3');
    expect(given.state).toBe('rejected');
    expect(given.comment).toContain(`${pr.mergeCommit!.slice(0, 7)} is on no release branch (main)`);
  });

  it('rejects one commit in an unapproved pull request to main and an approved one to a weak branch', async () => {
    const unapproved = history.pullRequest({ number: 4, change: retrain, commits: 1 });
    history.carry(5, 'weak', unapproved.head, ['gov-lead']);
    const given = await protect(unapproved.mergeCommit!, 'dpr-4');
    expect(given.state).toBe('rejected');
    expect(given.comment).toContain(
      '#4 (high risk: credit-scoring): waiting for 1 more of 1 approval from team',
    );
  });

  it('rejects the head of an open pull request', async () => {
    const pr = history.pullRequest({ number: 6, change: retrain, state: 'open', approvers: ['gov-lead'] });
    const given = await protect(pr.head, 'dpr-5');
    expect(given.state).toBe('rejected');
    expect(given.comment).toContain(`${pr.head.slice(0, 7)} is on no release branch (main)`);
  });

  it('fails closed when the organisation’s settings cannot be read: no trusted place to judge or record in', async () => {
    const pr = history.pullRequest({ number: 2, change: retrain, approvers: ['gov-lead'] });
    // GitHub fails every read of the organisation's .github repository.
    fake.broken.push(/Codertocat\/\.github|"repo":"\.github"/i);
    const given = await protect(pr.mergeCommit!, 'dpr-org');
    expect(given.state).toBe('rejected');
    expect(given.comment).toMatch(
      /^aims-gate rejected the deployment to production: aims-gate could not decide, so it fails closed: /,
    );
  });

  it('fails closed: GitHub errors become a rejection with the reason, never silence', async () => {
    const pr = history.pullRequest({ number: 2, change: retrain, approvers: ['gov-lead'] });
    fake.broken.push(/^GET \/repos\/[^/]+\/[^/]+\/compare\//); // GitHub fails the gate's compare
    const { gate, probot } = app({}, fake.url);
    await probot.load(gate);
    await probot.receive({
      id: 'dpr-6',
      name: 'deployment_protection_rule',
      payload: requested(pr.mergeCommit!) as never,
    });
    await gate.queue.idle();
    const given = fake.bodies.find(
      (b) => b.request === `POST ${REPO}/actions/runs/1234/deployment_protection_rule`,
    )?.body;
    expect(given?.state).toBe('rejected');
    expect(given?.comment).toContain('aims-gate could not decide, so it fails closed');
  });

  it('a re-run of the job is decided again: the first attempt failed closed in an outage, the re-run is approved', async () => {
    const pr = history.pullRequest({ number: 2, change: retrain, approvers: ['gov-lead'] });
    const { gate, probot } = app({}, fake.url);
    await probot.load(gate);
    const attempt = async (id: string, deployment: number) => {
      const payload = requested(pr.mergeCommit!);
      payload.deployment.id = deployment;
      await probot.receive({ id, name: 'deployment_protection_rule', payload: payload as never });
      await gate.queue.idle();
    };
    fake.broken.push(/^GET \/repos\/[^/]+\/[^/]+\/compare\//);
    await attempt('dpr-attempt-1', 1001);
    fake.broken.length = 0;
    // The same workflow run (1234), its job re-run: GitHub makes a new deployment for the new attempt.
    await attempt('dpr-attempt-2', 1002);
    const answers = fake.bodies
      .filter((b) => b.request === `POST ${REPO}/actions/runs/1234/deployment_protection_rule`)
      .map((b) => b.body.state);
    expect(answers).toEqual(['rejected', 'approved']);
    const decisions = (fake.file(APP_AUDIT_BRANCH, 'audit-log.jsonl') ?? '')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
      .filter((entry) => entry.details.deployment !== undefined);
    expect(decisions.map((e) => [e.type, e.details.workflowRun, e.details.deployment])).toEqual([
      ['deployment.rejected', 1234, 1001],
      ['deployment.approved', 1234, 1002],
    ]);
  });
});

describe('the App manifest (app.yml)', () => {
  it('subscribes to every event the App handles, and to none GitHub refuses', async () => {
    const { parse } = await import('yaml');
    const { readFileSync } = await import('node:fs');
    const manifest = parse(readFileSync(join(import.meta.dirname, '..', 'app.yml'), 'utf8'));
    const handled: string[] = [];
    aimsGateApp()({ on: (events: string | string[]) => handled.push(...[events].flat()), log: {} } as never);
    const names = [...new Set(handled.map((e) => e.split('.')[0]!))]
      .filter((e) => e !== 'installation')
      .sort();
    expect(manifest.default_events).toEqual(names);
    // GitHub delivers these to every App and refuses them as subscriptions.
    expect(manifest.default_events).not.toContain('installation');
    expect(manifest.default_events).not.toContain('installation_repositories');
  });
});

describe("the App's HTTP server on 127.0.0.1", () => {
  it('processes a webhook with a correct signature, rejects a wrong one, and answers /health and /metrics', async () => {
    seed();
    const gate = aimsGateApp({ today: () => '2026-11-01' });
    const { stop, url } = await startAppServer(gate, SECRET);
    try {
      // A port the OS chose, not Probot's default 3000, which another process on a shared machine may hold.
      expect(url).not.toMatch(/:3000$/);
      const body = JSON.stringify(opened);
      const forged = await postWebhook(url, 'pull_request', 'http-1', body, 'not-the-secret');
      expect(forged.status).toBe(400);
      await gate.queue.idle();
      expect(calls).toEqual([]); // nothing was evaluated

      const scope = github();
      checkRuns(scope);
      evaluation(scope);
      const signed = await postWebhook(url, 'pull_request', 'http-2', body, SECRET);
      expect(signed.status).toBe(200);
      await gate.queue.idle();
      expect(calls.find((c) => c.request === 'POST check-runs')!.body).toMatchObject({
        conclusion: 'success',
      });

      const health = await fetch(`${url}/health/ready`);
      expect(await health.json()).toEqual({
        status: 'ok',
        queue: { running: 0, waiting: 0, oldestSeconds: 0 },
        store: { kind: 'memory', reachable: true },
        limiter: { writes: 'paced in this process', reads: 'paced in this process' },
      });
      expect((await fetch(`${url}/health/live`)).status).toBe(200);
      // HEAD as GET, for load balancers whose health checks use it.
      expect((await fetch(`${url}/health/ready`, { method: 'HEAD' })).status).toBe(200);

      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toContain('aims_gate_evaluations_total{kind="check",outcome="success"} 1');
      expect(metrics).toContain('aims_gate_webhooks_total{event="pull_request",status="200"} 1');
      expect(metrics).toContain('aims_gate_webhooks_total{event="refused",status="400"} 1');
      expect(metrics).toMatch(/aims_gate_evaluation_seconds_count\{kind="check"\} 1/);
      expect(metrics).toMatch(/aims_gate_github_requests_total\{method="POST",status="201"\} \d+/);
      expect(metrics).toContain('aims_gate_queue_tasks{state="waiting"} 0');
      expect(metrics).toContain('aims_gate_queue_oldest_waiting_seconds 0');
    } finally {
      await stop();
    }
  });
});

describe('the App and the Action on the same commit', () => {
  it.each([
    ['a conformant change', (files: Record<string, string>) => files],
    ['a broken risk score', broken],
  ])('give the same verdict: %s', async (_name, change) => {
    const fake = await new FakeGitHub(opened.repository.full_name).start();
    const dir = mkdtempSync(join(tmpdir(), 'aims-same-'));
    try {
      const base = { ...conformantRepo(), '.github/aims-gate.yml': CONFIG };
      fake.seed(base, PR.base.sha);
      fake.seed(change(base), PR.head.sha);
      fake.answer('GET', `${REPO}/pulls/2/files`, [
        { filename: 'models/credit-scoring/risk-assessment.yml' },
      ]);
      fake.answer('GET', `${REPO}/pulls/2/reviews`, []);
      fake.answer('GET', `${REPO}/pulls/2`, PR);
      fake.answer('POST', '/app/installations/1/access_tokens', {
        token: 'ghs_installation',
        expires_at: '2099-01-01T00:00:00Z',
      });
      fake.answer('POST', `${REPO}/check-runs`, { id: 42 });
      fake.answer('PATCH', `${REPO}/check-runs/42`, { id: 42 });

      const action = await runAction({
        api: fake.url,
        dir,
        event: opened,
        inputs: { mode: 'pr-check', token: 'ghs_action', today: '2026-11-01' },
      });
      const { gate, probot } = app({}, fake.url);
      await probot.load(gate);
      await probot.receive({ id: 'same-1', name: 'pull_request', payload: opened });
      await gate.queue.idle();

      const completed = fake.bodies.filter((b) => b.request === `POST ${REPO}/check-runs`).at(-1)!.body;
      expect(completed.conclusion).toBe(action.outputs.verdict === 'pass' ? 'success' : 'failure');
      // The same sentence heads the Action's job summary and the App's check run.
      expect(action.summary).toContain(
        `## aims-gate: ${action.outputs.verdict === 'pass' ? '✅' : '❌'} ${completed.output.title}\n`,
      );
      expect(action.outputs.findings).toBe(
        change === broken
          ? '{"major":1,"minor":0,"observation":0,"waived":0}'
          : '{"major":0,"minor":0,"observation":0,"waived":0}',
      );
    } finally {
      await fake.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('deployment reviews by people', () => {
  let reviewSchema: ValidateFunction | undefined;
  it.each([
    ['no config on the default branch: the App’s branch', undefined, 'aims-audit-log'],
    ['the log the config names, as the gate’s own decisions', 'audit-log: branch:governance\n', 'governance'],
    ['audit-log: none: nowhere', 'audit-log: none\n', undefined],
  ])('records an environment reviewer’s approval: %s', async (_name, config, branch) => {
    const requested = webhook('deployment_review', 'requested');
    const {
      workflow_job_run: job,
      environment: _requestedOnly,
      requestor: _also,
      reviewers: _too,
      ...rest
    } = requested;
    const payload = {
      ...rest,
      action: 'approved',
      approver: requested.requestor,
      comment: 'Model card and risk sign-off reviewed.',
      workflow_job_runs: [job],
    };
    // GitHub's schema for the event, compiled once for the three cases.
    reviewSchema ??= webhookSchema('deployment_review$approved');
    expect(reviewSchema(payload), JSON.stringify(reviewSchema.errors)).toBe(true);

    const fake = await new FakeGitHub(requested.repository.full_name).start();
    try {
      fake.answer('POST', `/app/installations/${requested.installation.id}/access_tokens`, {
        token: 'ghs_installation',
        expires_at: '2099-01-01T00:00:00Z',
      });
      // The default branch, with the config the gate reads (or none).
      fake.defaultBranch = 'main';
      fake.branch(
        'main',
        fake.seed(
          config ? { '.github/aims-gate.yml': `systems: [models/*]\n${config}` } : { 'README.md': '#' },
        ),
      );
      const { gate, probot } = app({}, fake.url);
      await probot.load(gate);
      await probot.receive({ id: 'review-1', name: 'deployment_review', payload: payload as never });
      await gate.queue.idle();
      if (!branch) {
        expect(fake.requests.filter((r) => !r.startsWith('GET') && !/graphql|access_tokens/.test(r))).toEqual(
          [],
        );
        return;
      }
      expect(
        fake.file(branch === 'governance' ? 'aims-audit-log' : 'governance', 'audit-log.jsonl'),
      ).toBeUndefined();
      const [entry] = (fake.file(branch, 'audit-log.jsonl') ?? '')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(entry).toMatchObject({
        seq: 1,
        type: 'deployment.approved',
        actor: { login: requested.requestor.login, via: 'github' },
        subject: { environment: 'TST', commit: requested.workflow_run.head_sha },
        details: {
          by: 'environment reviewer',
          reason: 'Model card and risk sign-off reviewed.',
          writer: `aims-gate App, installation ${requested.installation.id}, from a deployment_review webhook`,
        },
      });
      // Published where the log's writer cannot rewrite it: a status on the reviewed commit.
      expect(fake.statuses).toEqual([
        {
          sha: requested.workflow_run.head_sha,
          state: 'success',
          context: 'aims-gate/audit-checkpoint',
          description: `1:${entry.hash}`,
        },
      ]);
    } finally {
      await fake.stop();
    }
  });
});
