import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkPullRequest } from '../src/github/evaluate.js';
import { createGitHub } from '../src/github/octokit.js';
import { renderApprovals } from '../src/report/approvals.js';
import { FakeGitHub, type FakePull } from './fake-github.js';
import { conformantRepo } from './helpers.js';
import { RepositoryHistory, review } from './repository-history.js';

/**
 * The pull-request check's approvals through the shared flow (src/github/evaluate.ts), against the fake
 * GitHub: reviews through REST, then what GitHub knows of the approvers and the commits through one GraphQL
 * query, CODEOWNERS at the base, team members live.
 */
const REPOSITORY = { owner: 'acme', repo: 'ml-platform' };
const CONFIG = `systems: [models/*]
audit-log: none
approvals:
  - require: [{ count: 1 }]
  - tiers: [high, prohibited]
    require: [{ count: 1, teams: [acme/ai-governance] }]
`;

let fake: FakeGitHub;
beforeEach(async () => {
  fake = await new FakeGitHub('acme/ml-platform').start();
  fake.answer('GET', '/orgs/acme/teams/ai-governance/members', [{ login: 'gov-lead', id: 7 }]);
});
afterEach(() => fake.stop());

/** An open pull request retraining the high-risk model, on a repository with this config (and more files). */
function opened(
  config = CONFIG,
  more: Record<string, string> = {},
  approvers = ['alice', 'gov-lead'],
): FakePull {
  const repo = new RepositoryHistory(fake, { ...conformantRepo(), '.github/aims-gate.yml': config, ...more });
  return repo.pullRequest({
    number: 7,
    state: 'open',
    change: (f) => ({ ...f, 'models/credit-scoring/train.py': '# retrained\n', 'README.md': 'docs\n' }),
    approvers,
  });
}

async function check(pull: FakePull) {
  fake.requests.length = 0;
  const { approval } = await checkPullRequest(
    createGitHub({ token: 't', baseUrl: fake.url, retries: 0, throttle: { enabled: false } }),
    REPOSITORY,
    {
      number: pull.number,
      base: { sha: pull.baseSha, ref: 'main', repo: { default_branch: 'main' } },
      head: { sha: pull.head, ref: 'retrain' },
      user: { login: pull.author },
    },
    { today: '2026-11-01' },
  );
  return approval;
}

const graphqlRequests = () => fake.requests.filter((r) => r === 'POST /graphql').length;

describe('the pull-request check counts approvals as GitHub does', () => {
  it('approved by two who can push and wrote none of it: met', async () => {
    expect(await check(opened())).toMatchObject({
      satisfied: true,
      ignored: [{ login: 'alice', reason: 'is not in team acme/ai-governance' }],
    });
  });

  it('what GitHub knows of the approvers, the commits and the last push costs one GraphQL query and one activity page, and none when nobody approved', async () => {
    const pull = opened(CONFIG, {}, []);
    await check(pull);
    const without = [...fake.requests];
    pull.reviews = [review('alice', pull.head), review('gov-lead', pull.head)];
    await check(pull);
    expect(fake.requests.length).toBe(without.length + 2);
    expect(fake.requests.filter((r) => r.endsWith('/activity'))).toEqual([
      'GET /repos/acme/ml-platform/activity',
    ]);
    expect(graphqlRequests()).toBe(without.filter((r) => r === 'POST /graphql').length + 1);
  });

  it('an approval from a user without write access does not count', async () => {
    fake.readOnly.add('gov-lead');
    const approval = await check(opened());
    expect(approval.satisfied).toBe(false);
    expect(approval.ignored).toContainEqual({
      login: 'gov-lead',
      reason: 'cannot push to acme/ml-platform: GitHub would not count this approval',
    });
    expect(renderApprovals(approval)).toContain(
      '- @gov-lead: cannot push to acme/ml-platform: GitHub would not count this approval',
    );
  });

  it('whoever force-pushed or pushed the final head, any committer and any co-author do not count', async () => {
    const pull = opened();
    pull.forcePush = { by: 'gov-lead', to: pull.head };
    expect((await check(pull)).ignored).toContainEqual({
      login: 'gov-lead',
      reason: `force-pushed the final head ${pull.head.slice(0, 7)}: GitHub does not count an approval by whoever pushed last`,
    });
    delete pull.forcePush;
    pull.people = {
      [pull.head]: { authors: ['dev'], committer: 'alice' },
      [pull.commits[0]!]: { authors: ['dev', 'gov-lead'] },
    };
    const approval = await check(pull);
    expect(approval.satisfied).toBe(false);
    expect(approval.ignored).toEqual([
      {
        login: 'alice',
        reason: `committed ${pull.head.slice(0, 7)} in this pull request`,
      },
      {
        login: 'gov-lead',
        reason: `is an author or co-author of ${pull.commits[0]!.slice(0, 7)} in this pull request`,
      },
    ]);
  });

  it('reads past the first 100 commits and approvals; a commit with more authors than it reads is undecidable', async () => {
    const pull = opened();
    pull.commits = [...Array.from({ length: 120 }, (_, i) => `${i}`.padStart(40, 'e')), ...pull.commits];
    pull.people = { [pull.commits[5]!]: { authors: ['dev', 'gov-lead'] } };
    pull.reviews = [
      ...Array.from({ length: 100 }, (_, i) => ({ ...review(`fan-${i}`, pull.head), id: i + 1 })),
      ...pull.reviews,
    ];
    const approval = await check(pull);
    expect(approval.ignored).toContainEqual({
      login: 'gov-lead',
      reason: `is an author or co-author of ${pull.commits[5]!.slice(0, 7)} in this pull request`,
    });
    expect(approval.groups[0]!.approvers).toContain('alice');
    pull.people = { [pull.head]: { authors: Array.from({ length: 11 }, (_, i) => `writer-${i}`) } };
    expect((await check(pull)).summary).toMatch(
      /^cannot decide: \w{7} in #7 names 11 authors, more than aims-gate reads, so who may not approve #7 is unknown$/,
    );
  });

  it('fails closed when what GitHub knows of the approvers cannot be read', async () => {
    const pull = opened();
    fake.pulls.delete(7);
    fake.answer(
      'GET',
      '/repos/acme/ml-platform/pulls/7/files',
      pull.files.map((filename) => ({ filename })),
    );
    fake.answer('GET', '/repos/acme/ml-platform/pulls/7/reviews', pull.reviews);
    await expect(check(pull)).rejects.toThrow('#7 of acme/ml-platform cannot be read');
  });
});

describe('the pull-request check’s codeowners requirement', () => {
  const config = `${CONFIG}  - require: [{ codeowners: true }]\n`;
  const owners = `*                        @alice
models/credit-scoring/   @acme/ai-governance  models@acme.example
`;

  it('needs, for every changed path, an owner from CODEOWNERS at the base; team owners are read live', async () => {
    const pull = opened(config, { '.github/CODEOWNERS': owners }, ['alice']);
    const approval = await check(pull);
    expect(approval.satisfied).toBe(false);
    const panel = renderApprovals(approval);
    expect(panel).toContain(
      '| an approval from a code owner of each changed path (.github/CODEOWNERS) | @alice | 1 |',
    );
    expect(panel).toContain(
      '- `models/credit-scoring/train.py`: @acme/ai-governance or models@acme.example (line 2). models@acme.example is an e-mail address, which aims-gate cannot match to a GitHub account: name that owner as @user in .github/CODEOWNERS line 2',
    );
    expect(fake.requests).toContain('GET /orgs/acme/teams/ai-governance/members');
    pull.reviews.push({ ...review('gov-lead', pull.head), id: 9000 });
    expect((await check(pull)).satisfied).toBe(true);
  });

  it('CODEOWNERS comes from the base: the pull request cannot rewrite who owns what', async () => {
    const repo = new RepositoryHistory(fake, {
      ...conformantRepo(),
      '.github/aims-gate.yml': config,
      '.github/CODEOWNERS': owners,
    });
    const pull = repo.pullRequest({
      number: 7,
      state: 'open',
      change: (f) => ({
        ...f,
        'models/credit-scoring/train.py': '# x\n',
        '.github/CODEOWNERS': '* @alice\n',
      }),
      approvers: ['alice'],
    });
    const approval = await check(pull);
    expect(approval.groups.find((g) => g.group.codeowners)!.unapproved!.map((u) => u.path)).toEqual([
      'models/credit-scoring/train.py',
    ]);
  });

  it('fails closed, naming the file and line, on a CODEOWNERS file GitHub would not read fully', async () => {
    const approval = await check(
      opened(config, { 'docs/CODEOWNERS': '* @alice\nmodels/ ml-team\n' }, ['alice']),
    );
    expect(approval).toMatchObject({
      satisfied: false,
      summary: `cannot decide: docs/CODEOWNERS:2: "ml-team" is not an owner: write @user, @org/team or an e-mail address (on the base branch main)`,
    });
  });

  it('fails closed on a pull request with more files than GitHub lists', async () => {
    const pull = opened(config, { '.github/CODEOWNERS': owners }, ['alice', 'gov-lead']);
    fake.answer(
      'GET',
      '/repos/acme/ml-platform/pulls/7/files',
      Array.from({ length: 3000 }, (_, i) => ({ filename: `data/f${i}.csv`, status: 'added' })),
    );
    const approval = await check(pull);
    expect(approval.satisfied).toBe(false);
    expect(approval.summary).toMatch(
      /^cannot decide: GitHub lists only some of the files this pull request changes/,
    );
  });
});
