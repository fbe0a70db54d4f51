import { describe, expect, it } from 'vitest';
import { type ApprovalRule, applicableRules, judgeApprovals, type Review } from '../src/approvals.js';
import { loadPolicy } from '../src/policy/load.js';
import { MemorySource } from '../src/source.js';

const HEAD = '6dcb09b5b57875f334f61aebed695e2e4193db5e';
const OLDER = 'f95f852bd8fca8fcc58a9a2d6c842781e32a215e';

let nextId = 80;
/** A review as GET /repos/{owner}/{repo}/pulls/{n}/reviews returns it. */
function review(login: string, state: string, at: string, commit = HEAD, type = 'User'): Review {
  nextId++;
  return {
    id: nextId,
    user: { login, id: 1000 + nextId, type },
    state,
    commit_id: commit,
    submitted_at: `2026-11-20T${at}:00Z`,
  };
}

// Production, high risk: two approvals, one of them from the governance team.
const PRODUCTION_HIGH: ApprovalRule = {
  environment: 'production',
  tiers: ['high', 'prohibited'],
  require: [{ count: 2 }, { count: 1, teams: ['acme/ai-governance'] }],
};
const facts = (reviews: Review[]) => ({
  author: 'octocat',
  headSha: HEAD,
  reviews,
  teams: { 'acme/ai-governance': ['gov-lead', 'Risk-Officer'] },
});

describe('approval requirements', () => {
  it('apply by environment and tier; a pull request alone meets only environment-free rules', () => {
    const anyPr: ApprovalRule = { require: [{ count: 1 }] };
    const rules = [PRODUCTION_HIGH, anyPr];
    expect(applicableRules(rules, { environment: 'production', tier: 'high' })).toEqual(rules);
    expect(applicableRules(rules, { environment: 'production', tier: 'limited' })).toEqual([anyPr]);
    expect(applicableRules(rules, { environment: 'staging', tier: 'high' })).toEqual([anyPr]);
    // GitHub's environment names are case-insensitive: "Production" is production.
    expect(applicableRules(rules, { environment: 'Production', tier: 'high' })).toEqual(rules);
    expect(applicableRules(rules, { environment: 'PRODUCTION', tier: 'high' })).toEqual(rules);
    expect(applicableRules(rules, { tier: 'high' })).toEqual([anyPr]);
  });

  it('are met by two approvals on the head commit, one from the governance team', () => {
    const result = judgeApprovals(
      [PRODUCTION_HIGH],
      facts([review('hubot', 'APPROVED', '10:00'), review('risk-officer', 'APPROVED', '10:05')]),
    );
    expect(result.satisfied).toBe(true);
    expect(result.groups.map((g) => g.approvers)).toEqual([['hubot', 'risk-officer'], ['risk-officer']]);
    expect(result.summary).toBe(
      'approved: 2 approvals from anyone but the author (to production, high/prohibited risk): hubot, risk-officer; 1 approval from team acme/ai-governance (to production, high/prohibited risk): risk-officer',
    );
  });

  it('say what is missing', () => {
    const result = judgeApprovals([PRODUCTION_HIGH], facts([review('hubot', 'APPROVED', '10:00')]));
    expect(result.satisfied).toBe(false);
    expect(result.summary).toBe(
      'waiting for 1 more of 2 approvals from anyone but the author (to production, high/prohibited risk) (has hubot); 1 more of 1 approval from team acme/ai-governance (to production, high/prohibited risk)',
    );
  });
});

describe('approvals an attacker would try to fake do not count', () => {
  const governanceOnly: ApprovalRule = { require: [{ count: 1, teams: ['acme/ai-governance'] }] };

  it('a self-approval', () => {
    const result = judgeApprovals(
      [{ require: [{ count: 1 }] }],
      facts([review('octocat', 'APPROVED', '10:00')]),
    );
    expect(result.satisfied).toBe(false);
    expect(result.ignored).toEqual([
      { login: 'octocat', reason: 'the author cannot approve their own pull request' },
    ]);
  });

  it('an approval of an older commit, unless the rule allows stale approvals', () => {
    const reviews = [review('gov-lead', 'APPROVED', '10:00', OLDER)];
    const result = judgeApprovals([governanceOnly], facts(reviews));
    expect(result.satisfied).toBe(false);
    expect(result.ignored).toEqual([
      { login: 'gov-lead', reason: 'approved an earlier commit (f95f852), not the final head 6dcb09b' },
    ]);
    expect(judgeApprovals([{ ...governanceOnly, 'allow-stale': true }], facts(reviews)).satisfied).toBe(true);
  });

  it('an approval later replaced by "changes requested", or dismissed', () => {
    const changed = judgeApprovals(
      [governanceOnly],
      facts([review('gov-lead', 'APPROVED', '10:00'), review('gov-lead', 'CHANGES_REQUESTED', '11:00')]),
    );
    expect(changed.satisfied).toBe(false);
    expect(changed.ignored).toEqual([
      { login: 'gov-lead', reason: 'requested changes after (or instead of) approving' },
    ]);
    const dismissed = judgeApprovals(
      [governanceOnly],
      facts([review('gov-lead', 'APPROVED', '10:00'), review('gov-lead', 'DISMISSED', '11:00')]),
    );
    expect(dismissed.satisfied).toBe(false);
  });

  it('but a later comment does not withdraw an approval, and a later approval restores it', () => {
    expect(
      judgeApprovals(
        [governanceOnly],
        facts([review('gov-lead', 'APPROVED', '10:00'), review('gov-lead', 'COMMENTED', '11:00')]),
      ).satisfied,
    ).toBe(true);
    expect(
      judgeApprovals(
        [governanceOnly],
        facts([review('gov-lead', 'CHANGES_REQUESTED', '09:00'), review('gov-lead', 'APPROVED', '10:00')]),
      ).satisfied,
    ).toBe(true);
  });

  it('an approval by someone outside the team, by a bot, or by a deleted account', () => {
    const reviews = [
      review('hubot', 'APPROVED', '10:00'),
      review('gov-lead', 'APPROVED', '10:01', HEAD, 'Bot'),
      { ...review('ghost', 'APPROVED', '10:02'), user: null },
    ];
    const result = judgeApprovals([governanceOnly], facts(reviews));
    expect(result.satisfied).toBe(false);
    expect(result.ignored).toEqual([
      { login: 'gov-lead', reason: 'bots do not count as approvers' },
      { login: 'hubot', reason: 'is not in team acme/ai-governance' },
    ]);
  });

  it('matches logins and teams without regard to case', () => {
    expect(judgeApprovals([governanceOnly], facts([review('GOV-LEAD', 'APPROVED', '10:00')])).satisfied).toBe(
      true,
    );
    expect(
      judgeApprovals(
        [{ require: [{ count: 1, users: ['Hubot'] }] }],
        facts([review('hubot', 'APPROVED', '10:00')]),
      ).satisfied,
    ).toBe(true);
  });

  it('fails closed when a team it needs is unknown', () => {
    const result = judgeApprovals([governanceOnly], {
      ...facts([review('gov-lead', 'APPROVED', '10:00')]),
      teams: {},
    });
    expect(result).toMatchObject({
      satisfied: false,
      undecidable: ['acme/ai-governance'],
      summary: 'cannot decide: the members of team acme/ai-governance are unknown',
    });
  });
});

describe('approvals in the config', () => {
  it('load from .github/aims-gate.yml, and a malformed one names its line', async () => {
    const config = `systems: [models/*]
approvals:
  - environment: production
    tiers: [high]
    require:
      - { count: 2 }
      - { count: 1, teams: [acme/ai-governance] }
`;
    const policy = await loadPolicy(new MemorySource({ '.github/aims-gate.yml': config }));
    expect(policy.approvals).toEqual([
      {
        environment: 'production',
        tiers: ['high'],
        require: [{ count: 2 }, { count: 1, teams: ['acme/ai-governance'] }],
      },
    ]);
    const bad = loadPolicy(
      new MemorySource({ '.github/aims-gate.yml': config.replace('count: 2', 'count: 0') }),
    );
    await expect(bad).rejects.toMatchObject({
      line: 6,
      message: 'approvals[0].require[0].count must be >= 1',
    });
  });
});
