import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../src/audit/memory-store.js';
import { ed25519Signer } from '../src/audit/signature.js';
import type { AuditStore } from '../src/audit/store.js';
import { gateDeployment, recordDeployment } from '../src/github/evaluate.js';
import { createGitHub } from '../src/github/octokit.js';
import { FakeGitHub } from './fake-github.js';
import { CARD, conformantRepo, edit, RISK } from './helpers.js';
import { approvedInLog, GATE_CONFIG, RepositoryHistory, review } from './repository-history.js';

/**
 * The deployment gate through the shared flow (src/github/), against a fake GitHub on 127.0.0.1 that keeps
 * a real commit graph: every way a person with write access tried to ship unapproved code is refused, with
 * the reason the gate gives. The credit-scoring system is high risk.
 */
const REPOSITORY = { owner: 'acme', repo: 'ml-platform' };

let fake: FakeGitHub;
let repo: RepositoryHistory;
/** The gate's own log: its signed approvals say what production runs. */
let log: MemoryStore;
beforeEach(async () => {
  fake = await new FakeGitHub('acme/ml-platform').start();
  fake.answer('GET', '/orgs/acme/teams/ai-governance/members', [{ login: 'gov-lead', id: 7 }]);
  repo = new RepositoryHistory(fake, { ...conformantRepo(), '.github/aims-gate.yml': GATE_CONFIG });
  log = new MemoryStore();
  await deploy(repo, repo.head()); // the start: what production runs
});
afterEach(() => fake.stop());

/** A deployment the gate approved: in GitHub's deployments and, signed, in its log, with the config that judged it. */
async function deploy(history: RepositoryHistory, commit: string, environment = 'production') {
  history.deployed(commit, environment);
  await approvedInLog(log, 'acme/ml-platform', commit, environment, history.head());
}

/** The gate, reading its history from `store` (null: it keeps no log). */
const gate = (commit: string, environment = 'production', store: AuditStore | null = log) =>
  gateDeployment(
    createGitHub({ token: 't', baseUrl: fake.url, retries: 0, throttle: { enabled: false } }),
    REPOSITORY,
    { commit, environment },
    { today: '2026-11-01', history: () => store ?? undefined },
  );

/** A change to the high-risk system's model code. */
const retrain = (files: Record<string, string>) => ({
  ...files,
  'models/credit-scoring/train.py': `${files['models/credit-scoring/train.py'] ?? ''}# retrained\n`,
});
const short = (sha: string) => sha.slice(0, 7);
/** The net-change check's line for the high-risk system, when no approved pull request changed it. */
const unreviewedHigh = expect.stringMatching(
  /^the deployment changes credit-scoring \(high risk\) from the last approved deployment to production \(\w{7}, audit log entry \d+, signed by [^)]+\), but no approved pull request in it changed credit-scoring at that tier$/,
);

describe('the deployment gate, through the shared flow', () => {
  it.each(['merge', 'squash', 'rebase'] as const)(
    'approves an approved pull request merged by %s',
    async (method) => {
      const pr = repo.pullRequest({ number: 1, change: retrain, method, approvers: ['alice', 'gov-lead'] });
      const decision = await gate(pr.mergeCommit!);
      expect(decision.reason).toMatch(/^\d commits? since the last approved deployment to production \(/);
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
      unreviewedHigh,
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
      unreviewedHigh,
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
      unreviewedHigh,
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
      unreviewedHigh,
    ]);
  });

  it('nothing new since the gate’s own last approval is approved; a GitHub deployment alone is not proof', async () => {
    const pr = repo.pullRequest({ number: 16, change: retrain, approvers: ['alice', 'gov-lead'] });
    fake.deployments.unshift({ commit: pr.mergeCommit!, environment: 'production', state: 'ACTIVE' });
    // Only GitHub's record: it is judged from the deployment before it, so #16 is judged again.
    expect((await gate(pr.mergeCommit!)).reason).toMatch(
      /^\d commits? since the last approved deployment to production \(\w{7}, audit log entry 1,/,
    );
    await approvedInLog(log, 'acme/ml-platform', pr.mergeCommit!, 'PRODUCTION', repo.head());
    const again = await gate(pr.mergeCommit!);
    expect(again).toMatchObject({ approved: true });
    expect(again.reason).toMatch(
      /^nothing new since the last approved deployment to production \(\w{7}, audit log entry 2, signed by [^)]+\)$/,
    );
  });

  it('first deployment: the whole history is judged, so the history before aims-gate needs a baseline', async () => {
    fake.deployments.length = 0;
    log = new MemoryStore();
    const root = repo.head();
    const first = repo.pullRequest({ number: 13, change: retrain, approvers: ['alice', 'gov-lead'] });
    expect((await gate(first.mergeCommit!)).reason).toContain(
      `${short(root)} "initial commit" was pushed without a pull request`,
    );
    const adopt = repo.pullRequest({
      number: 14,
      change: (f) => ({ ...f, '.github/aims-gate.yml': `${GATE_CONFIG}release:\n  baseline: ${root}\n` }),
      approvers: ['alice', 'gov-lead'], // a change to the config needs every approval rule for production
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
      /251 commits since the last approved deployment to production \(.+\), more than the 250 aims-gate judges in one decision/,
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

/** The bypasses an attacker with write access found in review, each now refused. Release branches: main, release/*. */
describe('the deployment gate against a reviewer’s attacks', () => {
  const CONFIG = GATE_CONFIG.replace(
    'audit-log: none\n',
    "audit-log: none\nrelease:\n  branches: [main, 'release/*']\n",
  );
  const minimal = (files: Record<string, string>) =>
    edit(edit(files, CARD, 'tier: high', 'tier: minimal'), RISK, 'tier: high', 'tier: minimal');
  const raiseToHigh = (f: Record<string, string>) =>
    edit(edit(f, CARD, 'tier: minimal', 'tier: high'), RISK, 'tier: minimal', 'tier: high');
  let rm: RepositoryHistory;
  beforeEach(async () => {
    fake.deployments.length = 0;
    log = new MemoryStore();
    rm = new RepositoryHistory(fake, { ...conformantRepo(), '.github/aims-gate.yml': CONFIG });
    await deploy(rm, rm.head());
  });

  it('a branch made at an old commit, where the system was minimal, cannot lower what production runs', async () => {
    const low = new RepositoryHistory(
      fake,
      minimal({ ...conformantRepo(), '.github/aims-gate.yml': CONFIG }),
    );
    const old = low.head();
    const raise = low.pullRequest({ number: 1, change: raiseToHigh, approvers: ['alice', 'gov-lead'] });
    fake.deployments.length = 0;
    log = new MemoryStore();
    await deploy(low, raise.mergeCommit!);
    // The default branch's config accepts history up to the old commit (release.baseline).
    low.push(
      'main',
      (f) => ({
        ...f,
        '.github/aims-gate.yml': CONFIG.replace(
          "  branches: [main, 'release/*']\n",
          `$&  baseline: ${old}\n`,
        ),
      }),
      'adopt aims-gate',
    );
    fake.branch('release/x', old);
    const pr = low.pullRequest({
      number: 2,
      into: 'release/x',
      change: () => retrain(minimal(low.filesAt(raise.mergeCommit!))),
      approvers: ['alice'],
    });
    const decision = await gate(pr.mergeCommit!);
    expect(decision.approved).toBe(false);
    expect(decision.reason).toContain(
      '#2 (high risk: credit-scoring): waiting for 1 more of 1 approval from team',
    );
  });

  it('a pull request branched before the tier was raised is judged at the raised tier', async () => {
    const low = new RepositoryHistory(
      fake,
      minimal({ ...conformantRepo(), '.github/aims-gate.yml': CONFIG }),
    );
    const stale = low.pullRequest({
      number: 3,
      change: retrain,
      state: 'open',
      approvers: ['alice'],
      commits: 1,
    });
    const raise = low.pullRequest({ number: 4, change: raiseToHigh, approvers: ['alice', 'gov-lead'] });
    fake.deployments.length = 0;
    log = new MemoryStore();
    await deploy(low, raise.mergeCommit!);
    const merge = fake.seed(
      retrain(low.filesAt(raise.mergeCommit!)),
      undefined,
      [raise.mergeCommit!, stale.head],
      'Merge pull request #3',
    );
    fake.branch('main', merge);
    Object.assign(stale, { state: 'merged', mergeCommit: merge, mergedOrder: 50 });
    const decision = await gate(merge);
    expect(decision.approved).toBe(false);
    expect(decision.reason).toContain(
      '#3 (high risk: credit-scoring): waiting for 1 more of 1 approval from team',
    );
  });

  it('a pull request that weakens the approval rules is judged by every rule it would weaken', async () => {
    const pr = rm.pullRequest({
      number: 5,
      change: (f) => ({
        ...retrain(f),
        '.github/aims-gate.yml': CONFIG.replace(/ {2}- environment: production\n {4}tiers[\s\S]*$/, ''),
      }),
      approvers: ['alice'],
    });
    const decision = await gate(pr.mergeCommit!);
    expect(decision.approved).toBe(false);
    expect(decision.verdict!.problems).toEqual([
      '#5 (changes the aims-gate configuration or a policy pack: every approval rule for the environment): waiting for 1 more of 1 approval from team acme/ai-governance (to production, high/prohibited risk)',
      unreviewedHigh,
    ]);
  });

  it('a deployment forged through the API is no proof: neither "nothing new" nor a shorter change set', async () => {
    const pushed = rm.push('release/x', retrain, 'evil, unreviewed');
    fake.deployments.unshift({ commit: pushed, environment: 'production', state: 'ACTIVE', creator: 'User' });
    expect((await gate(pushed)).approved).toBe(false);
    // Even one a workflow made (a bot) only shortens what is judged, never approves the commit it names.
    fake.deployments.unshift({ commit: pushed, environment: 'production', state: 'INACTIVE' });
    expect((await gate(pushed)).reason).toContain(
      `${pushed.slice(0, 7)} is not where release/x stood right after merging a pull request`,
    );
  });

  it('only the gate’s own approvals say where production stands, never a GitHub deployment', async () => {
    const pushed = rm.push('main', retrain, 'evil, unreviewed');
    fake.deployments.unshift({ commit: pushed, environment: 'production', state: 'ACTIVE' }); // forged
    const pr = rm.pullRequest({
      number: 6,
      change: (f) => ({ ...f, 'README.md': 'docs\n' }),
      approvers: ['alice'],
    });
    const decision = await gate(pr.mergeCommit!);
    expect(decision.approved).toBe(false);
    expect(decision.reason).toContain(
      `${pushed.slice(0, 7)} "evil, unreviewed" was pushed without a pull request`,
    );
  });

  describe('the trusted config is judged too, wherever it was merged', () => {
    // release/1 is cut from main before the config changes: they reach main only.
    beforeEach(() => fake.branch('release/1', rm.head()));
    /** An approved pull request into release/1: what it ships. */
    const releaseFix = () =>
      rm.pullRequest({
        number: 41,
        into: 'release/1',
        change: (f) => ({ ...f, 'HOTFIX.md': 'fix\n' }),
        approvers: ['alice'],
      });
    const weaken = (f: Record<string, string>) => ({
      ...f,
      '.github/aims-gate.yml': f['.github/aims-gate.yml']!.replace(
        'audit-log: none',
        'audit-log: branch:empty',
      ),
    });

    it('an unapproved change to the config merged into main rejects a deployment from release/1', async () => {
      rm.pullRequest({ number: 40, change: weaken, approvers: ['alice'] });
      const decision = await gate(releaseFix().mergeCommit!);
      expect(decision.approved).toBe(false);
      expect(decision.verdict!.problems).toEqual([
        '#40 (changes the aims-gate configuration or a policy pack: every approval rule for the environment): waiting for 1 more of 1 approval from team acme/ai-governance (to production, high/prohibited risk)',
      ]);
    });

    it('a change to the config pushed to main without a pull request rejects, naming the commit', async () => {
      const pushed = rm.push('main', weaken, 'switch the audit log');
      const decision = await gate(releaseFix().mergeCommit!);
      expect(decision.approved).toBe(false);
      expect(decision.reason).toMatch(
        new RegExp(
          `^${short(pushed)} "switch the audit log" changed the trusted configuration on main without a pull request merged into it \\(since \\w{7}, whose config judged the last approved deployment\\): revert it through an approved pull request$`,
        ),
      );
    });

    it('a change to the config approved by every rule is trusted; a re-deploy after an unapproved one is not "nothing new"', async () => {
      rm.pullRequest({ number: 42, change: weaken, approvers: ['alice', 'gov-lead'] });
      const fix = releaseFix();
      expect((await gate(fix.mergeCommit!)).approved).toBe(true);
      await deploy(rm, fix.mergeCommit!);
      expect((await gate(fix.mergeCommit!)).reason).toMatch(
        /^nothing new since the last approved deployment/,
      );
      rm.pullRequest({
        number: 43,
        change: (f) => ({
          ...f,
          '.github/aims-gate.yml': f['.github/aims-gate.yml']!.replace(
            "'release/*'",
            "'release/*', 'hotfix/*'",
          ),
        }),
        approvers: ['alice'],
      });
      const again = await gate(fix.mergeCommit!);
      expect(again.approved).toBe(false);
      expect(again.reason).toContain('#43 (changes the aims-gate configuration or a policy pack');
    });
  });

  describe('environments fail closed', () => {
    const approvedDocs = () =>
      rm.pullRequest({ number: 44, change: (f) => ({ ...f, 'README.md': 'y\n' }), approvers: ['alice'] })
        .mergeCommit!;

    it.each([
      [
        'prod',
        /^no approval rule names the environment "prod" \(the trusted config names production\): add its approvals to the default branch’s config, or list it with "require: \[\]" to deploy to it without approvals$/,
      ],
      ['', /^the deployment names no environment/],
      [' \t', /^the deployment names no environment/],
      ['production\u200b', /^the environment name "production\\u200b" holds control or invisible characters/],
      ['prod\u3164uction', /^the environment name "prod\\u3164uction" holds control or invisible characters/],
      ['production\u2800', /^the environment name "production\\u2800" holds control or invisible characters/],
      ['pro\u0000duction', /holds control or invisible characters/],
    ])('a deployment to %j is rejected', async (environment, reason) => {
      const decision = await gate(approvedDocs(), environment);
      expect(decision.approved).toBe(false);
      expect(decision.reason).toMatch(reason);
    });

    it('names compare trimmed and without case: " Production " is production, and its rules apply', async () => {
      const decision = await gate(approvedDocs(), ' Production ');
      expect(decision.approved).toBe(true);
      expect(decision.reason).toContain(
        '(approved: 1 approval from anyone but the author (to production): alice)',
      );
    });

    it('an environment listed with require: [] is deployed without approvals, by decision', async () => {
      rm.pullRequest({
        number: 45,
        change: (f) => ({
          ...f,
          '.github/aims-gate.yml': `${f['.github/aims-gate.yml']}  - environment: preview\n    require: []\n`,
        }),
        approvers: ['alice', 'gov-lead'],
      });
      await deploy(rm, rm.head(), 'preview');
      const commit = rm.pullRequest({ number: 46, change: (f) => ({ ...f, 'README.md': 'z\n' }) })
        .mergeCommit!;
      const decision = await gate(commit, 'preview');
      expect(decision.reason).toContain('#46 (no approvals required)');
      expect(decision.approved).toBe(true);
    });
  });

  describe('fails closed where it cannot know', () => {
    it('a log whose chain does not verify: no history is believed, and the reason names the line', async () => {
      const pr = rm.pullRequest({
        number: 47,
        change: (f) => ({ ...f, 'README.md': 'v\n' }),
        approvers: ['alice'],
      });
      log.text[0] = log.text[0]!.replace('"approved"', '"approved!"');
      const decision = await gate(pr.mergeCommit!);
      expect(decision.approved).toBe(false);
      expect(decision.reason).toMatch(
        /^aims-gate could not decide, so it fails closed: the audit log memory does not verify \(line 1: entry 1 was changed after it was written: its content does not match its hash\), so what was deployed last cannot be trusted$/,
      );
    });

    it('a pull request with more files than GitHub lists: its systems cannot all be known', async () => {
      const pr = rm.pullRequest({
        number: 48,
        change: (f) => ({ ...f, 'README.md': 'w\n' }),
        approvers: ['alice'],
      });
      fake.pulls.get(48)!.files = Array.from({ length: 3001 }, (_, i) => `generated/${i}.txt`);
      const decision = await gate(pr.mergeCommit!);
      expect(decision.approved).toBe(false);
      expect(decision.reason).toContain(
        '#48 changes more files than GitHub lists, so its systems cannot all be known',
      );
    });

    it('a decision that cannot be recorded is no approval', async () => {
      const pr = rm.pullRequest({
        number: 49,
        change: (f) => ({ ...f, 'README.md': 'u\n' }),
        approvers: ['alice'],
      });
      const decision = await gate(pr.mergeCommit!);
      expect(decision.approved).toBe(true);
      const broken: AuditStore = {
        label: 'a log that refuses writes',
        head: () => log.head(),
        lines: () => log.lines(),
        append: async () => {
          throw new Error('403 Resource not accessible by integration');
        },
      };
      const recorded = await recordDeployment(broken, decision, {
        time: '2026-11-21T00:00:00Z',
        actor: { login: 'release-bot' },
        subject: { repository: 'acme/ml-platform', commit: pr.mergeCommit!, environment: 'production' },
        writer: 'a test',
      });
      expect(recorded.decision).toEqual({
        approved: false,
        reason:
          'the decision could not be recorded in the audit log a log that refuses writes: 403 Resource not accessible by integration',
      });
    });
  });

  it('a forged approval appended to the log, chained but not signed by a gate key, is not believed', async () => {
    const pushed = rm.push('main', retrain, 'evil, unreviewed');
    const stranger = ed25519Signer(
      generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    );
    // Unsigned, and signed by a key nobody listed: each names the pushed commit as approved, "nothing new".
    await approvedInLog(log, 'acme/ml-platform', pushed, 'production', rm.head(), null);
    await approvedInLog(log, 'acme/ml-platform', pushed, 'production', rm.head(), stranger);
    const decision = await gate(pushed);
    expect(decision.approved).toBe(false);
    expect(decision.reason).toContain(
      `${short(pushed)} "evil, unreviewed" was pushed without a pull request`,
    );
    // The change set still starts at the gate's own signed approval, entry 1.
    expect(decision.verdict!.problems.join('; ')).toMatch(
      /audit log entry 1, signed by the gate key the test gate\)/,
    );
  });

  it('an empty or moved log while GitHub remembers deployments is a rejection that says what to do', async () => {
    const pr = rm.pullRequest({
      number: 7,
      change: (f) => ({ ...f, 'README.md': 'x\n' }),
      approvers: ['alice'],
    });
    for (const store of [new MemoryStore(), null]) {
      const decision = await gate(pr.mergeCommit!, 'production', store);
      expect(decision.approved).toBe(false);
      expect(decision.reason).toMatch(
        /^GitHub records a deployment to production \(the last of \w{7}\), but .+: set release\.baseline in the default branch’s config to the commit production runs, through a pull request approved by every approval rule for production, then deploy again$/,
      );
    }
  });

  it('an intermediate commit fast-forwarded into another release branch through an unapproved pull request', async () => {
    const base = rm.head();
    const c1 = fake.seed(
      { ...rm.filesAt(base), 'models/credit-scoring/backdoor.py': 'evil\n' },
      undefined,
      [base],
      '#7 step 1',
    );
    const c2 = fake.seed(retrain(rm.filesAt(base)), undefined, [c1], '#7 step 2');
    const m7 = fake.seed(retrain(rm.filesAt(base)), undefined, [base], '#7 (squashed)');
    fake.branch('main', m7);
    const common = { state: 'merged' as const, baseSha: base, author: 'mallory' };
    fake.pulls.set(7, {
      ...common,
      number: 7,
      base: 'main',
      head: c2,
      reviews: [review('alice', c2), review('gov-lead', c2)],
      commits: [c1, c2],
      files: ['models/credit-scoring/train.py'],
      mergeCommit: m7,
      mergedOrder: 1,
    });
    fake.branch('release/y', c1);
    fake.pulls.set(8, {
      ...common,
      number: 8,
      base: 'release/y',
      head: c1,
      reviews: [],
      commits: [c1],
      files: ['models/credit-scoring/backdoor.py'],
      mergeCommit: c1,
      mergedOrder: 2,
    });
    const decision = await gate(c1);
    expect(decision.approved).toBe(false);
    expect(decision.reason).toContain('#8 (high risk: credit-scoring): waiting for');
  });

  it('a repository whose default branch has no config is not approved by default', async () => {
    const files = conformantRepo();
    delete files['.github/aims-gate.yml'];
    const bare = new RepositoryHistory(fake, files);
    const pr = bare.pullRequest({ number: 40, change: retrain });
    expect((await gate(pr.mergeCommit!)).reason).toBe(
      'the default branch main has no .github/aims-gate.yml, so nothing says what a deployment needs: add one with the approvals each environment requires',
    );
  });

  it('a commit undone within an approved pull request, then deployed from a branch made at it: the net change is unreviewed', async () => {
    const base = rm.head();
    const backdoor = { ...rm.filesAt(base), 'models/credit-scoring/backdoor.py': 'evil\n' };
    const typo = { ...rm.filesAt(base), 'README.md': 'typo fix\n' };
    const c1 = fake.seed(backdoor, undefined, [base], 'wip');
    const c2 = fake.seed(typo, undefined, [c1], 'revert wip; fix typo');
    const m20 = fake.seed(typo, undefined, [base, c2], 'Merge pull request #20');
    fake.branch('main', m20);
    const common = { state: 'merged' as const, author: 'mallory' };
    fake.pulls.set(20, {
      ...common,
      number: 20,
      base: 'main',
      baseSha: base,
      head: c2,
      reviews: [review('alice', c2)],
      commits: [c1, c2],
      files: ['README.md'],
      mergeCommit: m20,
      mergedOrder: 1,
    });
    fake.branch('release/evil', c1);
    const h21 = fake.seed({ ...backdoor, 'CHANGELOG.md': 'x\n' }, undefined, [c1], 'changelog');
    const m21 = fake.seed(
      { ...backdoor, 'CHANGELOG.md': 'x\n' },
      undefined,
      [c1, h21],
      'Merge pull request #21',
    );
    fake.branch('release/evil', m21);
    fake.pulls.set(21, {
      ...common,
      number: 21,
      base: 'release/evil',
      baseSha: c1,
      head: h21,
      reviews: [review('bob', h21)],
      commits: [h21],
      files: ['CHANGELOG.md'],
      mergeCommit: m21,
      mergedOrder: 2,
    });
    const decision = await gate(m21);
    expect(decision.approved).toBe(false);
    expect(decision.verdict!.problems).toEqual([unreviewedHigh]);
  });

  it('rolling production back past an approved high-risk change needs that tier’s approvals', async () => {
    const log = new MemoryStore();
    const approve = (commit: string) =>
      approvedInLog(log, 'acme/ml-platform', commit, 'production', rm.head());
    const before = rm.head();
    await approve(before);
    const fix = rm.pullRequest({ number: 60, change: retrain, approvers: ['alice', 'gov-lead'] });
    expect((await gate(fix.mergeCommit!, 'production', log)).approved).toBe(true);
    await approve(fix.mergeCommit!);
    // Re-deploying the exact state approved before is a rollback the log vouches for...
    expect((await gate(before, 'production', log)).approved).toBe(true);
    // ...but a new state that undoes the fix is a change to credit-scoring like any other.
    fake.branch('release/old', before);
    const trivial = rm.pullRequest({
      number: 61,
      into: 'release/old',
      change: (f) => ({ ...f, 'CHANGELOG.md': 'x\n' }),
      approvers: ['bob'],
    });
    expect((await gate(trivial.mergeCommit!, 'production', log)).reason).toMatch(
      /the deployment changes credit-scoring \(high risk\) from the last approved deployment to production \(\w{7}, audit log entry 2, signed by [^)]+\), but no approved pull request in it changed credit-scoring at that tier/,
    );
  });

  it('hotfix deployments from another release branch do not crowd out the last deployment of this one', async () => {
    const log = new MemoryStore();
    const approve = (commit: string) =>
      approvedInLog(log, 'acme/ml-platform', commit, 'production', rm.head());
    const docs = rm.pullRequest({
      number: 90,
      change: (f) => ({ ...f, 'README.md': 'a\n' }),
      approvers: ['alice'],
    });
    await approve(docs.mergeCommit!);
    fake.branch('release/1', docs.mergeCommit!);
    for (let i = 0; i < 6; i++) {
      const hotfix = rm.pullRequest({
        number: 91 + i,
        into: 'release/1',
        change: (f) => ({ ...f, 'HOTFIX.md': `${i}\n` }),
        approvers: ['alice'],
      });
      expect((await gate(hotfix.mergeCommit!, 'production', log)).approved).toBe(true);
      await approve(hotfix.mergeCommit!);
    }
    const next = rm.pullRequest({
      number: 99,
      change: (f) => ({ ...f, 'README.md': 'b\n' }),
      approvers: ['alice'],
    });
    const decision = await gate(next.mergeCommit!, 'production', log);
    expect(decision.reason).toMatch(
      /^3 commits since the last approved deployment to production \(\w{7}, audit log entry 1, signed by [^)]+\)/,
    );
    expect(decision.approved).toBe(true);
  });

  it('a pull request into a junk branch whose base config is broken does not block deployments of main', async () => {
    rm.push('junk', (f) => ({ ...f, '.github/aims-gate.yml': 'systems: [models/*\n' }), 'junk');
    const pr = rm.pullRequest({
      number: 30,
      change: (f) => ({ ...f, 'README.md': 'doc\n', 'x.txt': 'x\n' }),
      approvers: ['alice'],
    });
    fake.pulls.set(31, {
      number: 31,
      state: 'merged',
      base: 'junk',
      baseSha: rm.head('junk'),
      head: pr.commits[0]!,
      author: 'mallory',
      reviews: [],
      commits: [pr.commits[0]!],
      files: ['x.txt'],
      mergeCommit: pr.commits[0]!,
      mergedOrder: 0,
    });
    expect((await gate(pr.mergeCommit!)).approved).toBe(true);
  });

  it('a pull request with more than 100 reviews and commits is read to the end', async () => {
    const pr = rm.pullRequest({
      number: 50,
      change: (f) => ({ ...f, 'README.md': 'doc\n' }),
      commits: 102,
      approvers: [],
    });
    pr.reviews = [
      ...Array.from({ length: 101 }, (_, i) => ({ ...review(`fan-${i}`, pr.head, 'COMMENTED'), id: i + 1 })),
      { ...review('alice', pr.head), id: 500 },
    ];
    const decision = await gate(pr.mergeCommit!);
    expect(decision.reason).toContain(
      '#50 (approved: 1 approval from anyone but the author (to production): alice)',
    );
    expect(decision.approved).toBe(true);
  });

  it('a pull request merged in a fork does not vouch for a commit', async () => {
    const pushed = rm.push('main', retrain, 'pushed, then proposed in a fork');
    fake.pulls.set(77, {
      number: 77,
      state: 'merged',
      base: 'main',
      baseSha: pushed,
      head: pushed,
      author: 'friend',
      reviews: [review('alice', pushed), review('gov-lead', pushed)],
      commits: [pushed],
      files: ['models/credit-scoring/train.py'],
      mergeCommit: pushed,
      mergedOrder: 0,
      repository: 'friend/ml-platform',
    });
    const pr = rm.pullRequest({
      number: 10,
      change: (f) => ({ ...f, 'README.md': 'x\n' }),
      approvers: ['alice'],
    });
    const decision = await gate(pr.mergeCommit!);
    expect(decision.reason).toContain(
      `${pushed.slice(0, 7)} "pushed, then proposed in a fork" was pushed without a pull request`,
    );
  });
});

/** Approvals as GitHub counts them (issue 20, item 5), and code owners as approvers (item 8), at the gate. */
describe('approvals at the deployment gate, as GitHub counts them', () => {
  const team = '1 more of 1 approval from team acme/ai-governance (to production, high/prohibited risk)';
  const ignoredOf = (decision: Awaited<ReturnType<typeof gate>>, number: number) =>
    decision.verdict!.pullRequests.find((p) => p.number === number)!.approval.ignored;

  it('an approval from a user without write access does not count', async () => {
    fake.readOnly.add('gov-lead');
    const pr = repo.pullRequest({ number: 60, change: retrain, approvers: ['alice', 'gov-lead'] });
    const decision = await gate(pr.mergeCommit!);
    expect(decision.approved).toBe(false);
    expect(decision.verdict!.problems[0]).toBe(`#60 (high risk: credit-scoring): waiting for ${team}`);
    expect(ignoredOf(decision, 60)).toContainEqual({
      login: 'gov-lead',
      reason: 'cannot push to acme/ml-platform: GitHub would not count this approval',
    });
  });

  it('the pusher of the last commit approving does not count: a force push, or the push GitHub’s activity records', async () => {
    const forced = repo.pullRequest({ number: 61, change: retrain, approvers: ['alice', 'gov-lead'] });
    forced.forcePush = { by: 'gov-lead', to: forced.head };
    const decision = await gate(forced.mergeCommit!);
    expect(decision.approved).toBe(false);
    expect(ignoredOf(decision, 61)).toContainEqual({
      login: 'gov-lead',
      reason: `force-pushed the final head ${short(forced.head)}: GitHub does not count an approval by whoever pushed last`,
    });
    // A force push that an ordinary push followed says nothing of who pushed last; GitHub's activity does.
    forced.forcePush = { by: 'alice', to: forced.commits[0]! };
    forced.pushedBy = 'gov-lead';
    expect(ignoredOf(await gate(forced.mergeCommit!), 61)).toContainEqual({
      login: 'gov-lead',
      reason: `pushed the final head ${short(forced.head)} (GitHub's repository activity): GitHub does not count an approval by whoever pushed last`,
    });
  });

  it('a co-author approving does not count', async () => {
    const pr = repo.pullRequest({ number: 62, change: retrain, approvers: ['alice', 'gov-lead'] });
    // The first commit carries "Co-authored-by: Gov Lead <gov-lead@acme.example>", which GitHub maps to the account.
    pr.people = { [pr.commits[0]!]: { authors: ['dev', 'gov-lead', null] } };
    const decision = await gate(pr.mergeCommit!);
    expect(decision.approved).toBe(false);
    expect(decision.verdict!.problems[0]).toBe(`#62 (high risk: credit-scoring): waiting for ${team}`);
    expect(ignoredOf(decision, 62)).toContainEqual({
      login: 'gov-lead',
      reason: `is an author or co-author of ${short(pr.commits[0]!)} in this pull request`,
    });
    // Another member of the team who wrote nothing of it approves: the deployment goes ahead.
    fake.answer('GET', '/orgs/acme/teams/ai-governance/members', [
      { login: 'gov-lead', id: 7 },
      { login: 'risk-officer', id: 8 },
    ]);
    pr.reviews.push({ ...review('risk-officer', pr.head), id: 9000 });
    expect(await gate(pr.mergeCommit!)).toMatchObject({ approved: true });
  });

  it('codeowners rule: every changed path needs one of its owners in CODEOWNERS on the default branch', async () => {
    const config = `${GATE_CONFIG}  - environment: production\n    require: [{ codeowners: true }]\n`;
    const owners = `*                        @alice
models/credit-scoring/   @acme/ai-governance
`;
    const own = new RepositoryHistory(fake, {
      ...conformantRepo(),
      '.github/aims-gate.yml': config,
      '.github/CODEOWNERS': owners,
    });
    fake.deployments.length = 0;
    log = new MemoryStore();
    await deploy(own, own.head());
    // alice owns README.md, not the model: the governance team, read live, does.
    const docs = own.pullRequest({
      number: 63,
      change: (f) => ({ ...retrain(f), 'README.md': 'docs\n' }),
      approvers: ['alice', 'bob'],
    });
    const decision = await gate(docs.mergeCommit!);
    expect(decision.approved).toBe(false);
    expect(decision.verdict!.problems[0]).toContain(
      'an approval from a code owner of each changed path (.github/CODEOWNERS) (to production) (has alice): 1 path without one (models/credit-scoring/train.py: @acme/ai-governance)',
    );
    docs.reviews.push({ ...review('gov-lead', docs.head), id: 9001 });
    expect(await gate(docs.mergeCommit!)).toMatchObject({ approved: true });
    // The file is read at the default branch's head: without one there, the requirement fails closed.
    own.push(
      'main',
      (f) => {
        const { '.github/CODEOWNERS': _, ...rest } = f;
        return rest;
      },
      'remove CODEOWNERS',
    );
    const after = own.pullRequest({
      number: 64,
      change: (f) => ({ ...f, 'README.md': 'x\n' }),
      approvers: ['alice'],
    });
    const without = await gate(after.mergeCommit!);
    expect(without.approved).toBe(false);
    expect(without.reason).toContain(
      'cannot decide: there is no CODEOWNERS file on the default branch main (.github/CODEOWNERS, CODEOWNERS, docs/CODEOWNERS): add one, or remove the codeowners requirement',
    );
  });

  it('fails closed when who pushed or wrote the commits cannot be read', async () => {
    const pr = repo.pullRequest({ number: 65, change: retrain, approvers: ['alice', 'gov-lead'] });
    fake.broken.push(/^POST \/graphql$/);
    fake.pulls.delete(65);
    const decision = await gate(pr.mergeCommit!);
    expect(decision.approved).toBe(false);
    expect(decision.reason).toMatch(/^aims-gate could not decide, so it fails closed: /);
  });
});
