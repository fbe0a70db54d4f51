import { describe, expect, it } from 'vitest';
import type { ApprovalRule, Review } from '../src/approvals.js';
import { type ChangeSet, judgeChangeSet, type ShippedPullRequest } from '../src/deployment.js';

/** The decision alone, on facts built by hand: what src/github/ gathers from GitHub. */
const RULES: ApprovalRule[] = [
  { environment: 'production', require: [{ count: 1 }] },
  { environment: 'production', tiers: ['high'], require: [{ count: 1, teams: ['acme/ai-governance'] }] },
];
const sha = (n: number) => n.toString(16).padStart(40, 'a');
const approve = (login: string, head: string): Review => ({
  id: login.length,
  user: { login, id: login.length, type: 'User' },
  state: 'APPROVED',
  commit_id: head,
  submitted_at: '2026-11-20T10:00:00Z',
  canPush: true,
});

/** A pull request merged into main as commit `merge`, approved by `approvers` on its final head. */
function merged(number: number, merge: string, approvers: string[], more: Partial<ShippedPullRequest> = {}) {
  const head = sha(1000 + number);
  return {
    number,
    state: 'merged' as const,
    baseRef: 'main',
    headSha: head,
    mergeCommit: merge,
    author: 'dev',
    reviews: approvers.map((a) => approve(a, head)),
    systems: ['churn'],
    tier: 'limited' as const,
    ...more,
  };
}

function changeSet(more: Partial<ChangeSet> = {}): ChangeSet {
  return {
    environment: 'production',
    commit: sha(2),
    releaseBranches: ['main', 'release/*'],
    branch: 'main',
    since: { commit: sha(0), what: 'the last approved deployment (aaaaaaa)' },
    commits: [
      { sha: sha(1), message: 'Merge pull request #1', pullRequests: [1] },
      { sha: sha(2), message: 'Merge pull request #2', pullRequests: [2] },
    ],
    total: 2,
    pullRequests: [merged(1, sha(1), ['alice']), merged(2, sha(2), ['bob'])],
    shipped: [{ id: 'churn', tier: 'limited' }],
    production: 'production',
    teams: { 'acme/ai-governance': ['gov-lead'] },
    ...more,
  };
}

describe('the deployment gate’s decision', () => {
  it('approves when every commit since the last deployment came through an approved pull request', () => {
    const verdict = judgeChangeSet(RULES, changeSet());
    expect(verdict.approved).toBe(true);
    expect(verdict.reason).toBe(
      '2 commits since the last approved deployment (aaaaaaa), through pull requests #1 (approved: 1 approval from anyone but the author (to production): alice); #2 (approved: 1 approval from anyone but the author (to production): bob)',
    );
  });

  it('judges every pull request shipped, not only the last: an unapproved earlier one rejects', () => {
    const set = changeSet({ pullRequests: [merged(1, sha(1), []), merged(2, sha(2), ['bob'])] });
    const verdict = judgeChangeSet(RULES, set);
    expect(verdict.approved).toBe(false);
    expect(verdict.problems).toEqual([
      '#1 (limited risk: churn): waiting for 1 more of 1 approval from anyone but the author (to production)',
    ]);
  });

  it('a high-risk pull request needs the governance team, whatever the environment’s case', () => {
    const high = merged(2, sha(2), ['bob'], { tier: 'high', systems: ['credit-scoring'] });
    const verdict = judgeChangeSet(
      RULES,
      changeSet({ environment: 'Production', pullRequests: [merged(1, sha(1), ['alice']), high] }),
    );
    expect(verdict.problems).toEqual([
      '#2 (high risk: credit-scoring): waiting for 1 more of 1 approval from team acme/ai-governance (to production, high risk)',
    ]);
  });

  it('rejects a direct push between deployments, naming the commit', () => {
    const set = changeSet({
      commits: [
        { sha: sha(1), message: 'Merge pull request #1', pullRequests: [1] },
        { sha: sha(9), message: 'hotfix: skip the fairness check\nlong body', pullRequests: [] },
        { sha: sha(2), message: 'Merge pull request #2', pullRequests: [2] },
      ],
      total: 3,
    });
    expect(judgeChangeSet(RULES, set).problems).toEqual([
      `${sha(9).slice(0, 7)} "hotfix: skip the fairness check" was pushed without a pull request`,
    ]);
  });

  it('an open, a closed-unmerged, or a pull request into another branch never counts', () => {
    const open = merged(3, sha(3), ['alice'], { state: 'open', mergeCommit: undefined });
    const closed = merged(4, sha(4), ['alice'], { state: 'closed', mergeCommit: undefined });
    const weak = merged(5, sha(5), ['alice'], { baseRef: 'attacker/weak' });
    const set = changeSet({
      shipped: [],
      commit: sha(5),
      commits: [{ sha: sha(5), message: 'models: lower the tier', pullRequests: [3, 4, 5] }],
      total: 1,
      pullRequests: [open, closed, weak],
    });
    expect(judgeChangeSet(RULES, set).problems).toEqual([
      `${sha(5).slice(0, 7)} is not where main stood right after merging a pull request (it is a commit inside #3, whose approvals are on its final head): deploy the merge commit of an approved pull request`,
      `${sha(5).slice(0, 7)} "models: lower the tier" came only through #3 (still open), #4 (closed without merging), #5 (merged into attacker/weak, not a release branch)`,
    ]);
  });

  it('the same commit in an unapproved pull request to main and an approved one to a weak branch: rejected', () => {
    const set = changeSet({
      shipped: [],
      commit: sha(2),
      commits: [{ sha: sha(2), message: 'both', pullRequests: [6, 7] }],
      total: 1,
      pullRequests: [merged(6, sha(2), []), merged(7, sha(2), ['alice', 'gov-lead'], { baseRef: 'weak' })],
    });
    const verdict = judgeChangeSet(RULES, set);
    expect(verdict.approved).toBe(false);
    expect(verdict.problems).toEqual([
      '#6 (limited risk: churn): waiting for 1 more of 1 approval from anyone but the author (to production)',
    ]);
  });

  it('a commit first merged into a feature branch is covered by the approved pull request that carried it to main', () => {
    const stacked = merged(8, sha(8), [], { baseRef: 'feature-x' });
    const carrier = merged(2, sha(2), ['bob'], { commits: [sha(8), sha(1008)] });
    const set = changeSet({
      commits: [
        { sha: sha(8), message: 'part one', pullRequests: [8] },
        { sha: sha(2), message: 'Merge pull request #2', pullRequests: [2] },
      ],
      pullRequests: [stacked, carrier],
    });
    expect(judgeChangeSet(RULES, set).approved).toBe(true);
    expect(
      judgeChangeSet(RULES, { ...set, pullRequests: [stacked, { ...carrier, commits: [] }] }).problems,
    ).toEqual([
      `${sha(8).slice(0, 7)} "part one" came only through #8 (merged into feature-x, not a release branch)`,
    ]);
  });

  it('an intermediate commit of an approved pull request is not what was approved', () => {
    const set = changeSet({
      commit: sha(11),
      commits: [{ sha: sha(11), message: 'wip', pullRequests: [1] }],
      total: 1,
      pullRequests: [merged(1, sha(1), ['alice'])],
    });
    expect(judgeChangeSet(RULES, set).problems).toEqual([
      `${sha(11).slice(0, 7)} is not where main stood right after merging a pull request (it is a commit inside #1, whose approvals are on its final head): deploy the merge commit of an approved pull request`,
    ]);
  });

  it('the net change must be reviewed: a system changed since production by no approved pull request', () => {
    const set = changeSet({
      shipped: [
        { id: 'churn', tier: 'limited' },
        { id: 'credit-scoring', tier: 'high' },
      ],
    });
    expect(judgeChangeSet(RULES, set).problems).toEqual([
      'the deployment changes credit-scoring (high risk) from production, but no approved pull request in it changed credit-scoring at that tier',
    ]);
    // A pull request that changed it at a lower tier does not cover it either.
    const low = changeSet({
      shipped: [{ id: 'churn', tier: 'high' }],
      production: 'production',
    });
    expect(judgeChangeSet(RULES, low).problems).toEqual([
      'the deployment changes churn (high risk) from production, but no approved pull request in it changed churn at that tier',
    ]);
  });

  it('a commit on no release branch is rejected before anything else', () => {
    const verdict = judgeChangeSet(RULES, changeSet({ branch: undefined }));
    expect(verdict.reason).toBe(
      `${sha(2).slice(0, 7)} is on no release branch (main, release/*): deploy a commit merged into one of them`,
    );
  });

  it('nothing new since the last approved deployment is approved', () => {
    const verdict = judgeChangeSet(
      RULES,
      changeSet({ since: { commit: sha(2), what: 'the last approved deployment (aaaaaab)', trusted: true } }),
    );
    expect(verdict).toMatchObject({
      approved: true,
      reason: 'nothing new since the last approved deployment (aaaaaab)',
    });
  });

  it('fails closed past the bound, and says what to do for a first deployment', () => {
    expect(judgeChangeSet(RULES, changeSet({ total: 400 })).reason).toBe(
      '400 commits since the last approved deployment (aaaaaaa), more than the 2 aims-gate judges in one decision: deploy an approved commit in between first',
    );
    expect(judgeChangeSet(RULES, changeSet({ since: undefined, total: 400 })).reason).toContain(
      'set release.baseline in the default branch’s config to the last commit shipped before aims-gate',
    );
  });
});
