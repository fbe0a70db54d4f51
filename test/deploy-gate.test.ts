import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gateDeployment } from '../src/github/evaluate.js';
import { createGitHub } from '../src/github/octokit.js';
import { FakeGitHub } from './fake-github.js';
import { CARD, conformantRepo, edit, RISK } from './helpers.js';
import { RepositoryHistory, review } from './repository-history.js';

/**
 * The deployment gate through the shared flow (src/github/), against a fake GitHub on 127.0.0.1 that keeps
 * a real commit graph: every way a person with write access tried to ship unapproved code is refused, with
 * the reason the gate gives. The credit-scoring system is high risk.
 */
const TRUSTED_CONFIG = `systems: [models/*]
audit-log: none
approvals:
  - environment: production
    require: [{ count: 1 }]
  - environment: production
    tiers: [high, prohibited]
    require: [{ count: 1, teams: [acme/ai-governance] }]
`;
const REPOSITORY = { owner: 'acme', repo: 'ml-platform' };

let fake: FakeGitHub;
let repo: RepositoryHistory;
beforeEach(async () => {
  fake = await new FakeGitHub('acme/ml-platform').start();
  fake.answer('GET', '/orgs/acme/teams/ai-governance/members', [{ login: 'gov-lead', id: 7 }]);
  repo = new RepositoryHistory(fake, { ...conformantRepo(), '.github/aims-gate.yml': TRUSTED_CONFIG });
  repo.deployed(repo.head()); // the start: what production runs
});
afterEach(() => fake.stop());

const gate = (commit: string, environment = 'production') =>
  gateDeployment(
    createGitHub({ token: 't', baseUrl: fake.url, retries: 0, throttle: { enabled: false } }),
    REPOSITORY,
    { commit, environment },
    { today: '2026-11-01' },
  );

/** A change to the high-risk system's model code. */
const retrain = (files: Record<string, string>) => ({
  ...files,
  'models/credit-scoring/train.py': `${files['models/credit-scoring/train.py'] ?? ''}# retrained\n`,
});
const short = (sha: string) => sha.slice(0, 7);

describe('the deployment gate, through the shared flow', () => {
  it.each(['merge', 'squash', 'rebase'] as const)(
    'approves an approved pull request merged by %s',
    async (method) => {
      const pr = repo.pullRequest({ number: 1, change: retrain, method, approvers: ['alice', 'gov-lead'] });
      const decision = await gate(pr.mergeCommit!);
      expect(decision.reason).toMatch(/^\d commits? since the last deployment to production \(/);
      expect(decision.approved).toBe(true);
      expect(decision.verdict!.pullRequests).toMatchObject([
        { number: 1, tier: 'high', systems: ['credit-scoring'], approval: { satisfied: true } },
      ]);
    },
  );

  it('rejects a pull request merged into a branch the attacker made, whatever that branch’s config says', async () => {
    const pr = repo.pullRequest({
      number: 2,
      into: 'attacker',
      change: (files) => ({
        ...retrain(files),
        '.github/aims-gate.yml': 'systems: [models/*]\naudit-log: branch:main\n',
      }),
    });
    const decision = await gate(pr.mergeCommit!);
    expect(decision.approved).toBe(false);
    expect(decision.reason).toContain(
      `${short(pr.mergeCommit!)} is on no release branch (main): deploy a commit merged into one of them`,
    );
  });

  it('one commit in an unapproved pull request to main and an approved one to a weak branch: rejected', async () => {
    const unapproved = repo.pullRequest({ number: 3, change: retrain, commits: 1 });
    // The same commit, then approved in a pull request to a weak branch that GitHub records as merged later.
    repo.carry(4, 'weak', unapproved.head, ['alice', 'gov-lead']);
    const decision = await gate(unapproved.mergeCommit!);
    expect(decision.approved).toBe(false);
    expect(decision.verdict!.problems).toEqual([
      '#3 (high risk: credit-scoring): waiting for 1 more of 1 approval from anyone but the author (to production); 1 more of 1 approval from team acme/ai-governance (to production, high/prohibited risk)',
    ]);
  });

  it('rejects the head of an open pull request, and of one closed without merging', async () => {
    for (const [number, state] of [
      [5, 'open'],
      [6, 'closed'],
    ] as const) {
      const pr = repo.pullRequest({ number, change: retrain, state, approvers: ['alice', 'gov-lead'] });
      const decision = await gate(pr.head);
      expect(decision.reason).toContain(`${short(pr.head)} is on no release branch (main)`);
    }
  });

  it('rejects an intermediate commit of a merged pull request: the approvals were on its final head', async () => {
    const pr = repo.pullRequest({ number: 7, change: retrain, approvers: ['alice', 'gov-lead'] });
    const decision = await gate(pr.commits[0]!);
    expect(decision.approved).toBe(false);
    expect(decision.reason).toContain(
      `${short(pr.commits[0]!)} is not where main stood right after merging a pull request (it is a commit inside #7, whose approvals are on its final head)`,
    );
  });

  it.each([
    [
      'renaming both documents to their alternative names',
      (files: Record<string, string>) => {
        const { [CARD]: card, [RISK]: risk, ...rest } = files;
        return {
          ...rest,
          'models/credit-scoring/model-card.md': card!.replace('tier: high', 'tier: minimal'),
          'models/credit-scoring/risk-assessment.yaml': risk!.replace('tier: high', 'tier: minimal'),
        };
      },
    ],
    [
      'moving the folder',
      (files: Record<string, string>) =>
        Object.fromEntries(
          Object.entries(
            edit(edit(files, CARD, 'tier: high', 'tier: minimal'), RISK, 'tier: high', 'tier: minimal'),
          ).map(([p, t]) => [p.replace('models/credit-scoring/', 'models/scoring/'), t]),
        ),
    ],
    [
      'moving it out of the systems globs',
      (files: Record<string, string>) =>
        Object.fromEntries(
          Object.entries(files).map(([p, t]) => [
            p.replace('models/credit-scoring/', 'archive/credit-scoring/'),
            t,
          ]),
        ),
    ],
  ])('lowering the tier to minimal while %s still needs the high tier’s approvals', async (_how, change) => {
    const pr = repo.pullRequest({ number: 8, change, commits: 1, approvers: ['alice'] });
    const decision = await gate(pr.mergeCommit!);
    expect(decision.approved).toBe(false);
    expect(decision.verdict!.problems).toEqual([
      '#8 (high risk: credit-scoring): waiting for 1 more of 1 approval from team acme/ai-governance (to production, high/prohibited risk)',
    ]);
  });

  it('environment “Production” is the production environment: its rules apply', async () => {
    const pr = repo.pullRequest({ number: 9, change: retrain, approvers: ['alice'] });
    const decision = await gate(pr.mergeCommit!, 'Production');
    expect(decision.approved).toBe(false);
    expect(decision.reason).toContain('1 more of 1 approval from team acme/ai-governance');
  });

  it('judges every pull request since the last deployment: an unapproved earlier one rejects the deploy', async () => {
    repo.pullRequest({ number: 10, change: retrain, approvers: [] });
    const last = repo.pullRequest({
      number: 11,
      change: (f) => ({ ...f, 'README.md': 'docs\n' }),
      approvers: ['alice'],
    });
    const decision = await gate(last.mergeCommit!);
    expect(decision.approved).toBe(false);
    expect(decision.verdict!.problems).toEqual([
      '#10 (high risk: credit-scoring): waiting for 1 more of 1 approval from anyone but the author (to production); 1 more of 1 approval from team acme/ai-governance (to production, high/prohibited risk)',
    ]);
    expect(decision.verdict!.pullRequests.map((p) => p.number)).toEqual([10, 11]);
  });

  it('rejects a direct push between deployments, naming the commit', async () => {
    const pushed = repo.push('main', retrain, 'quick fix, no review');
    const pr = repo.pullRequest({
      number: 12,
      change: (f) => ({ ...f, 'README.md': 'x\n' }),
      approvers: ['alice'],
    });
    const decision = await gate(pr.mergeCommit!);
    expect(decision.approved).toBe(false);
    expect(decision.verdict!.problems).toEqual([
      `${short(pushed)} "quick fix, no review" was pushed without a pull request`,
    ]);
  });

  it('approves a deploy with nothing new since the last approved one', async () => {
    const decision = await gate(repo.head());
    expect(decision).toMatchObject({ approved: true });
    expect(decision.reason).toMatch(/^nothing new since the last deployment to production/);
  });

  it('first deployment: the whole history is judged, so the history before aims-gate needs a baseline', async () => {
    fake.deployments.length = 0;
    const root = repo.head();
    const first = repo.pullRequest({ number: 13, change: retrain, approvers: ['alice', 'gov-lead'] });
    expect((await gate(first.mergeCommit!)).reason).toContain(
      `${short(root)} "initial commit" was pushed without a pull request`,
    );
    const adopt = repo.pullRequest({
      number: 14,
      change: (f) => ({ ...f, '.github/aims-gate.yml': `${TRUSTED_CONFIG}release:\n  baseline: ${root}\n` }),
      approvers: ['alice'],
    });
    const decision = await gate(adopt.mergeCommit!);
    expect(decision.reason).toMatch(new RegExp(`since the baseline ${short(root)} \\(release.baseline\\)`));
    expect(decision.approved).toBe(true);
  });

  it('fails closed past 250 commits since the last deployment, saying what to do', async () => {
    for (let i = 0; i < 251; i++) repo.push('main', (f) => ({ ...f, 'log.txt': `${i}\n` }), `push ${i}`);
    const decision = await gate(repo.head());
    expect(decision.approved).toBe(false);
    expect(decision.reason).toMatch(
      /251 commits since the last deployment to production \(.+\), more than the 250 aims-gate judges in one decision/,
    );
  });

  it('fails closed when GitHub fails', async () => {
    const pr = repo.pullRequest({ number: 15, change: retrain, approvers: ['alice', 'gov-lead'] });
    fake.fail(...Array(3).fill('500'));
    const decision = await gate(pr.mergeCommit!);
    expect(decision.approved).toBe(false);
    expect(decision.reason).toMatch(/^aims-gate could not decide, so it fails closed: /);
  });
});
