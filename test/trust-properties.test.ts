import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ApprovalRule, Review } from '../src/approvals.js';
import {
  type ChangeSet,
  type DeploymentHistory,
  environmentProblem,
  judgeChangeSet,
  type ShippedPullRequest,
  startingPoints,
} from '../src/deployment.js';
import type { RiskTier } from '../src/types.js';

/**
 * The trust rules stated as properties over change sets fast-check makes up, each checked against an oracle
 * written here from the rule's words, not from the code: no change set that holds a pull request unapproved
 * at its tier is approved, whatever else it holds.
 */

const RULES: ApprovalRule[] = [
  { environment: 'production', require: [{ count: 1 }] },
  { environment: 'production', tiers: ['high', 'prohibited'], require: [{ count: 1, teams: ['acme/gov'] }] },
  { environment: 'staging', require: [] },
];
const TEAM = ['gov-lead', 'gov-2'];
const PEOPLE = ['alice', 'bob', 'dev', ...TEAM, 'ci[bot]'];
const TIERS: RiskTier[] = ['minimal', 'limited', 'high', 'prohibited'];
const sha = (n: number) => n.toString(16).padStart(40, '0');

const review = fc.record({
  login: fc.constantFrom(...PEOPLE),
  state: fc.constantFrom('APPROVED', 'APPROVED', 'CHANGES_REQUESTED', 'COMMENTED', 'DISMISSED'),
  onHead: fc.boolean(),
  at: fc.integer({ min: 0, max: 50 }),
  canPush: fc.option(fc.boolean(), { nil: undefined }),
});

const pull = fc.record({
  state: fc.constantFrom('merged', 'merged', 'merged', 'open', 'closed'),
  baseRef: fc.constantFrom('main', 'main', 'release/1', 'attacker'),
  author: fc.constantFrom(...PEOPLE),
  tier: fc.option(fc.constantFrom(...TIERS), { nil: undefined }),
  reviews: fc.array(review, { maxLength: 5 }),
  commits: fc.integer({ min: 1, max: 3 }),
  changesPolicy: fc.boolean(),
  /** Someone who pushed to it or co-wrote it, who never counts. */
  excluded: fc.option(fc.constantFrom(...PEOPLE), { nil: undefined }),
});

/** A change set of 1 to 6 pull requests, each bringing its own commits, the last one's merge deployed. */
const changeSets = fc
  .record({
    pulls: fc.array(pull, { minLength: 1, maxLength: 6 }),
    environment: fc.constantFrom('production', 'Production', ' production', 'staging'),
    pushed: fc.boolean(),
  })
  .map(({ pulls, environment, pushed }) => {
    let n = 0;
    const commits: ChangeSet['commits'] = [];
    const pullRequests: ShippedPullRequest[] = pulls.map((p, i) => {
      const number = i + 1;
      const own = Array.from({ length: p.commits }, () => sha(++n));
      const head = own.at(-1)!;
      for (const c of own) commits.push({ sha: c, message: `commit of #${number}`, pullRequests: [number] });
      const merge = p.state === 'merged' ? own.at(-1)! : undefined;
      return {
        number,
        state: p.state as ShippedPullRequest['state'],
        baseRef: p.baseRef,
        headSha: head,
        ...(merge ? { mergeCommit: merge } : {}),
        author: p.author,
        reviews: p.reviews.map(
          (r, j): Review => ({
            id: j + 1,
            user: { login: r.login, id: j, type: r.login.endsWith('[bot]') ? 'Bot' : 'User' },
            state: r.state,
            commit_id: r.onHead ? head : sha(9999),
            submitted_at: `2026-11-20T10:${String(r.at).padStart(2, '0')}:00Z`,
            ...(r.canPush === undefined ? {} : { canPush: r.canPush }),
          }),
        ),
        ...(p.excluded
          ? { approvalFacts: { excluded: [{ login: p.excluded, reason: 'pushed the final head' }] } }
          : {}),
        commits: own,
        systems: p.tier ? ['s'] : [],
        ...(p.tier ? { tier: p.tier } : {}),
        ...(p.changesPolicy ? { changesPolicy: true } : {}),
      };
    });
    if (pushed) commits.splice(1, 0, { sha: sha(++n), message: 'direct push', pullRequests: [] });
    const set: ChangeSet = {
      environment,
      commit: commits.at(-1)!.sha,
      releaseBranches: ['main', 'release/*'],
      branch: 'main',
      since: { commit: sha(0), what: 'the last approved deployment', trusted: true },
      commits,
      total: commits.length,
      pullRequests,
      shipped: [],
      teams: { 'acme/gov': TEAM },
    };
    return set;
  });

/**
 * The rule in words: approvals count from people who can push, other than the author, a pusher or co-author,
 * not bots, whose latest decision approved the final head.
 */
function approvers(pr: ShippedPullRequest): Set<string> {
  const latest = new Map<string, Review>();
  for (const r of [...pr.reviews].sort(
    (a, b) => a.submitted_at!.localeCompare(b.submitted_at!) || a.id - b.id,
  ))
    if (r.state !== 'COMMENTED') latest.set(r.user!.login, r);
  return new Set(
    [...latest.values()]
      .filter((r) => r.state === 'APPROVED' && r.commit_id === pr.headSha && r.canPush === true)
      .map((r) => r.user!.login)
      .filter(
        (login) =>
          login !== pr.author &&
          !login.endsWith('[bot]') &&
          !pr.approvalFacts?.excluded?.some((e) => e.login === login),
      ),
  );
}

/** Whether the oracle finds `pr` approved for the environment at its tier (every rule, if it changes the policy). */
function approvedAtItsTier(pr: ShippedPullRequest, environment: string): boolean {
  if (environment.trim().toLowerCase() === 'staging') return true;
  const who = approvers(pr);
  const high = pr.changesPolicy || pr.tier === 'high' || pr.tier === 'prohibited';
  return who.size >= 1 && (!high || [...who].some((login) => TEAM.includes(login)));
}

describe('the trust rules, as properties', () => {
  it('no change set holding a pull request unapproved at its tier, or a pushed commit, is approved', () => {
    fc.assert(
      fc.property(changeSets, (set) => {
        const verdict = judgeChangeSet(RULES, set);
        const unapproved = set.pullRequests.filter(
          (pr) =>
            pr.state !== 'merged' || pr.baseRef === 'attacker' || !approvedAtItsTier(pr, set.environment),
        );
        const pushed = set.commits.some((c) => c.pullRequests.length === 0);
        if (unapproved.length || pushed) expect(verdict.approved).toBe(false);
        else expect(verdict.approved).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('an unapproved change to the trusted config rejects every deployment, whatever ships', () => {
    fc.assert(
      fc.property(changeSets, fc.nat(), (set, pick) => {
        const pr = set.pullRequests[pick % set.pullRequests.length]!;
        const config = {
          branch: 'main',
          since: 'the config before',
          commits: [set.commits.find((c) => c.pullRequests.includes(pr.number))!],
        };
        const verdict = judgeChangeSet(RULES, { ...set, config });
        const everything = { ...pr, changesPolicy: true };
        const approved =
          pr.state === 'merged' && pr.baseRef === 'main' && approvedAtItsTier(everything, set.environment);
        if (!approved) expect(verdict.approved).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('only an approval signed by a gate key says where production stands', () => {
    const history = fc.record({
      approvals: fc.array(
        fc.record({
          seq: fc.nat(),
          repository: fc.constantFrom('acme/ml', 'ACME/ml', 'evil/ml'),
          environment: fc.constantFrom('production', 'Production ', 'staging'),
          commit: fc.constantFrom(sha(1), sha(2)),
          signer: fc.record({ gate: fc.boolean(), who: fc.constant('key') }),
          by: fc.constantFrom('aims-gate', 'aims-gate', 'environment reviewer'),
        }),
        { maxLength: 5 },
      ),
      deployments: fc.array(
        fc.record({ environment: fc.constantFrom('production', 'staging'), commit: fc.constant(sha(3)) }),
        {
          maxLength: 3,
        },
      ),
      baseline: fc.option(fc.constant(sha(4)), { nil: undefined }),
    });
    fc.assert(
      fc.property(history, (facts) => {
        const h: DeploymentHistory = {
          environment: 'production',
          repository: 'acme/ml',
          log: 'memory',
          ...facts,
        };
        const start = startingPoints(h);
        const signed = facts.approvals.filter(
          (a) =>
            a.signer.gate &&
            a.by === 'aims-gate' &&
            a.repository.toLowerCase() === 'acme/ml' &&
            a.environment.trim().toLowerCase() === 'production',
        );
        if ('problem' in start) {
          expect(signed).toEqual([]);
          expect(facts.baseline).toBeUndefined();
          expect(facts.deployments.some((d) => d.environment === 'production')).toBe(true);
        } else {
          expect(start.points.map((p) => p.commit)).toEqual(signed.map((a) => a.commit).reverse());
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('an environment no rule names, or one hiding characters, is never judged', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), (name) => {
        const problem = environmentProblem(name, RULES);
        const clean = name.trim();
        const known = ['production', 'staging'].includes(clean.toLowerCase());
        const hidden = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(clean);
        expect(problem === undefined).toBe(known && !hidden);
      }),
      { numRuns: 2000 },
    );
  });
});
