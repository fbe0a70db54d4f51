import { describe, expect, it } from 'vitest';
import { type ApprovalRule, applicableRules, judgeApprovals, type Review } from '../src/approvals.js';
import { parseCodeowners } from '../src/codeowners.js';
import { loadPolicy } from '../src/policy/load.js';
import { renderApprovals } from '../src/report/approvals.js';
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
    canPush: true,
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
      undecidable: ['the members of team acme/ai-governance are unknown'],
      summary: 'cannot decide: the members of team acme/ai-governance are unknown',
    });
  });
});

describe('approvals as GitHub counts them', () => {
  const anyone: ApprovalRule = { require: [{ count: 1 }] };
  const withFacts = (reviews: Review[], more = {}) => ({
    ...facts(reviews),
    repository: 'acme/ml-platform',
    ...more,
  });

  it('an approval by someone who cannot push to the repository does not count', () => {
    const result = judgeApprovals(
      [anyone],
      withFacts([{ ...review('outsider', 'APPROVED', '10:00'), canPush: false }]),
    );
    expect(result.satisfied).toBe(false);
    expect(result.ignored).toEqual([
      {
        login: 'outsider',
        reason: 'cannot push to acme/ml-platform: GitHub would not count this approval',
      },
    ]);
  });

  it('an approval whose reviewer’s push access is unknown does not count either, and says so', () => {
    const { canPush: _, ...unknown } = review('hubot', 'APPROVED', '10:00');
    const result = judgeApprovals([anyone], withFacts([unknown]));
    expect(result.satisfied).toBe(false);
    expect(result.ignored).toEqual([
      {
        login: 'hubot',
        reason: 'whether they can push to acme/ml-platform is unknown, so the approval does not count',
      },
    ]);
  });

  it('the pusher of the last commit, a co-author or a committer of any commit does not count', () => {
    const excluded = [
      {
        login: 'Pusher',
        reason:
          'force-pushed the final head 6dcb09b: GitHub does not count an approval by whoever pushed last',
      },
      { login: 'coauthor', reason: 'is an author or co-author of f95f852 in this pull request' },
    ];
    const result = judgeApprovals(
      [{ require: [{ count: 1 }] }],
      withFacts([review('pusher', 'APPROVED', '10:00'), review('coauthor', 'APPROVED', '10:01')], {
        excluded,
      }),
    );
    expect(result.satisfied).toBe(false);
    // Logins compare without regard to case: "Pusher" is pusher.
    expect(result.ignored).toEqual([
      { login: 'pusher', reason: excluded[0]!.reason },
      { login: 'coauthor', reason: excluded[1]!.reason },
    ]);
    // Someone else's approval still counts.
    expect(
      judgeApprovals(
        [{ require: [{ count: 1 }] }],
        withFacts([review('pusher', 'APPROVED', '10:00'), review('hubot', 'APPROVED', '10:01')], {
          excluded,
        }),
      ).groups[0]!.approvers,
    ).toEqual(['hubot']);
  });

  it('facts the adapter could not gather in full make the result undecidable', () => {
    const result = judgeApprovals(
      [anyone],
      withFacts([review('hubot', 'APPROVED', '10:00')], {
        unknown: [
          'GitHub lists 250 of the 260 commits of #7, so who wrote the others, who may not approve it, is unknown',
        ],
      }),
    );
    expect(result).toMatchObject({
      satisfied: false,
      summary:
        'cannot decide: GitHub lists 250 of the 260 commits of #7, so who wrote the others, who may not approve it, is unknown',
    });
  });
});

describe('a codeowners requirement', () => {
  const CODEOWNERS = `# Owners of the AI systems
*                        @acme/platform
models/                  @gov-lead
models/credit-scoring/   @acme/ai-governance  risk@acme.example
/docs/                   docs@acme.example
models/**/*.md           # documentation of a model: no owner
`;
  const file = parseCodeowners(CODEOWNERS, '.github/CODEOWNERS');
  const owners: ApprovalRule = { environment: 'production', require: [{ codeowners: true }] };
  const judge = (reviews: Review[], paths: string[], more = {}) =>
    judgeApprovals([owners], {
      ...facts(reviews),
      repository: 'acme/ml-platform',
      teams: { 'acme/ai-governance': ['risk-officer'], 'acme/platform': ['sre'] },
      codeowners: { file, paths, complete: true },
      ...more,
    });

  it('is met when every changed path has an approval from one of its owners: the last matching line wins', () => {
    // models/churn/train.py: models/ (@gov-lead), not * (@acme/platform), which comes earlier.
    const result = judge(
      [review('gov-lead', 'APPROVED', '10:00'), review('risk-officer', 'APPROVED', '10:01')],
      ['models/churn/train.py', 'models/credit-scoring/train.py'],
    );
    expect(result.satisfied).toBe(true);
    expect(result.groups[0]).toMatchObject({
      approvers: ['gov-lead', 'risk-officer'],
      missing: 0,
      description: 'an approval from a code owner of each changed path (.github/CODEOWNERS) (to production)',
    });
  });

  it('needs an owner for every path: one owner’s approval does not cover another’s path', () => {
    const result = judge(
      [review('gov-lead', 'APPROVED', '10:00')],
      ['models/churn/train.py', 'models/credit-scoring/train.py', 'Dockerfile'],
    );
    expect(result.satisfied).toBe(false);
    expect(result.groups[0]!.unapproved).toEqual([
      {
        path: 'models/credit-scoring/train.py',
        owners: ['@acme/ai-governance', 'risk@acme.example'],
        line: 4,
        note: 'risk@acme.example is an e-mail address, which aims-gate cannot match to a GitHub account: name that owner as @user in .github/CODEOWNERS line 4',
      },
      { path: 'Dockerfile', owners: ['@acme/platform'], line: 2 },
    ]);
    expect(result.summary).toBe(
      'waiting for an approval from a code owner of each changed path (.github/CODEOWNERS) (to production) (has gov-lead): 2 paths without one (models/credit-scoring/train.py: @acme/ai-governance or risk@acme.example; Dockerfile: @acme/platform)',
    );
  });

  it('a team owner is met by a member of the team, read live', () => {
    expect(judge([review('sre', 'APPROVED', '10:00')], ['Dockerfile']).satisfied).toBe(true);
    // A team whose members are unknown, with no other owner approving: cannot be decided.
    const unknown = judge([review('sre', 'APPROVED', '10:00')], ['Dockerfile'], { teams: {} });
    expect(unknown).toMatchObject({
      satisfied: false,
      undecidable: ['the members of team acme/platform (a code owner of Dockerfile) are unknown'],
    });
  });

  it('an e-mail owner cannot be matched to anyone, and the panel says so', () => {
    const result = judge([review('hubot', 'APPROVED', '10:00')], ['docs/model-governance.md']);
    expect(result.satisfied).toBe(false);
    expect(result.groups[0]!.unapproved).toEqual([
      {
        path: 'docs/model-governance.md',
        owners: ['docs@acme.example'],
        line: 5,
        note: 'docs@acme.example is an e-mail address, which aims-gate cannot match to a GitHub account: name that owner as @user in .github/CODEOWNERS line 5',
      },
    ]);
    expect(result.ignored).toEqual([
      { login: 'hubot', reason: 'owns none of the changed paths in CODEOWNERS' },
    ]);
  });

  it('a path no line gives an owner needs no owner’s approval, as on GitHub', () => {
    const result = judge([], ['models/churn/MODEL_CARD.md']);
    expect(result).toMatchObject({ satisfied: true, groups: [{ missing: 0, approvers: [] }] });
    expect(result.summary).toContain('no changed path has a code owner');
  });

  it('an owner’s approval counts only as any other: not the author’s, not by someone who cannot push', () => {
    const result = judgeApprovals([owners], {
      ...facts([{ ...review('gov-lead', 'APPROVED', '10:00'), canPush: false }]),
      author: 'octocat',
      codeowners: { file, paths: ['models/churn/train.py'], complete: true },
    });
    expect(result.satisfied).toBe(false);
  });

  it('the approvals panel lists each path still lacking an owner’s approval, and each approval not counted', () => {
    const result = judge(
      [
        review('gov-lead', 'APPROVED', '10:00'),
        { ...review('outsider', 'APPROVED', '10:01'), canPush: false },
      ],
      ['models/churn/train.py', 'docs/policy.md', 'Dockerfile'],
    );
    expect(renderApprovals(result)).toBe(`### Approvals

⏳ waiting for an approval from a code owner of each changed path (.github/CODEOWNERS) (to production) (has gov-lead): 2 paths without one (docs/policy.md: docs@acme.example; Dockerfile: @acme/platform)

| Requirement | Approved by | Missing |
|---|---|--:|
| an approval from a code owner of each changed path (.github/CODEOWNERS) (to production) | @gov-lead | 2 |

Changed paths still without an approval from one of their code owners:
- \`docs/policy.md\`: docs@acme.example (line 5). docs@acme.example is an e-mail address, which aims-gate cannot match to a GitHub account: name that owner as @user in .github/CODEOWNERS line 5
- \`Dockerfile\`: @acme/platform (line 2)

Not counted:
- @outsider: cannot push to acme/ml-platform: GitHub would not count this approval
`);
  });

  it('fails closed without a CODEOWNERS file, or when GitHub listed only some of the changed files', () => {
    const none = judgeApprovals([owners], {
      ...facts([review('gov-lead', 'APPROVED', '10:00')]),
      codeowners: { problem: 'there is no CODEOWNERS file on main', paths: ['a.py'], complete: true },
    });
    expect(none).toMatchObject({ satisfied: false, undecidable: ['there is no CODEOWNERS file on main'] });
    const partial = judge([review('gov-lead', 'APPROVED', '10:00')], ['models/churn/train.py'], {
      codeowners: { file, paths: ['models/churn/train.py'], complete: false },
    });
    expect(partial.satisfied).toBe(false);
    expect(partial.summary).toMatch(/^cannot decide: GitHub lists only some of the files/);
    // Facts never gathered are no approval either.
    expect(judgeApprovals([owners], facts([review('gov-lead', 'APPROVED', '10:00')])).satisfied).toBe(false);
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

  it('a codeowners requirement loads, and cannot be mixed with a count', async () => {
    const config = `systems: [models/*]
approvals:
  - environment: production
    require:
      - codeowners: true
      - { count: 1, teams: [acme/ai-governance] }
`;
    const policy = await loadPolicy(new MemorySource({ '.github/aims-gate.yml': config }));
    expect(policy.approvals[0]!.require).toEqual([
      { codeowners: true },
      { count: 1, teams: ['acme/ai-governance'] },
    ]);
    const mixed = loadPolicy(
      new MemorySource({
        '.github/aims-gate.yml': config.replace('codeowners: true', '{ codeowners: true, count: 2 }'),
      }),
    );
    await expect(mixed).rejects.toMatchObject({
      line: 5,
      message: 'approvals[0].require[0] has the wrong form',
    });
  });
});
