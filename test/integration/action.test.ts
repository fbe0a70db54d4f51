import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/audit/entry.js';
import { ed25519Signer, signerOf } from '../../src/audit/signature.js';
import { verifyLog } from '../../src/audit/verify.js';
import { verifyAttestation } from '../../src/export/attestation.js';
import { BranchStore } from '../../src/github/branch-store.js';
import { createGitHub } from '../../src/github/octokit.js';
import { FakeGitHub } from '../fake-github.js';
import { conformantRepo, edit } from '../helpers.js';
import {
  approvedInLog,
  ORG_CONFIG,
  RepositoryHistory,
  review,
  TEST_GATE,
  TEST_GATE_KEY,
} from '../repository-history.js';
import { runAction } from '../run-action.js';
import { webhook } from '../webhooks.js';

const CONFIG = `_extends: .github
systems: [models/*]
audit-log: branch:aims-audit-log
approvals:
  - tiers: [high, prohibited]
    require: [{ count: 1, teams: [acme/ai-governance] }]
  - environment: production
    tiers: [high, prohibited]
    require: [{ count: 2 }, { count: 1, teams: [acme/ai-governance] }]
`;

// The real pull_request.opened payload: Codertocat/Hello-World #2, base f95f852…, head ec26c3e….
const opened = webhook('pull_request', 'opened');
const PR = opened.pull_request;
const REPO = `/repos/${opened.repository.full_name}`;

let github: FakeGitHub;
let dir: string;
beforeEach(async () => {
  github = await new FakeGitHub(opened.repository.full_name).start();
  github.organisation.set('.github/aims-gate.yml', ORG_CONFIG); // lists the gate's key
  dir = mkdtempSync(join(tmpdir(), 'aims-action-'));
  github.answer('GET', '/orgs/acme/teams/ai-governance/members', [{ login: 'gov-lead', id: 7 }]);
});
afterEach(async () => {
  await github.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The Action on the pull_request.opened payload, as the Codertocat who opened it. */
const action = (inputs: Record<string, string>, env: Record<string, string> = {}) =>
  runAction({
    api: github.url,
    dir,
    event: opened,
    inputs: { token: 'ghs_secret_token', today: '2026-11-01', ...inputs },
    env: { GITHUB_ACTOR: 'Codertocat', GITHUB_SHA: PR.head.sha, GITHUB_REF: 'refs/pull/2/merge', ...env },
  });

async function auditEntries() {
  const text = github.file('aims-audit-log', 'audit-log.jsonl') ?? '';
  return {
    entries: text
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l)),
    verified: await verifyLog(
      (async function* () {
        yield text.trim().split('\n');
      })(),
    ),
  };
}

function pullRequest(head: Record<string, string>, changed: string[], reviews: unknown[] = []) {
  const base = { ...conformantRepo(), '.github/aims-gate.yml': CONFIG };
  github.seed(base, PR.base.sha);
  github.seed(head, PR.head.sha);
  github.answer(
    'GET',
    `${REPO}/pulls/2/files`,
    changed.map((filename) => ({ filename, status: 'modified' })),
  );
  github.answer('GET', `${REPO}/pulls/2/reviews`, reviews);
  return base;
}

describe('the bundled Action, run as a runner runs it, against a GitHub API on 127.0.0.1', () => {
  it('pr-check judges with the base config, annotates, summarises, and records to the audit branch', async () => {
    const base = { ...conformantRepo(), '.github/aims-gate.yml': CONFIG };
    // The pull request retrains the model and tries to switch off the rule that would catch it.
    const head = {
      ...base,
      'models/credit-scoring/train.py': 'import xgboost  # retrained\n',
      '.github/aims-gate.yml': `${CONFIG}overrides:\n  change.model-card: { disabled: true, reason: no }\n`,
    };
    pullRequest(head, ['models/credit-scoring/train.py', '.github/aims-gate.yml']);
    const { code, stdout, summary, outputs } = await action({ mode: 'pr-check' });
    expect(code).toBe(0); // a minor nonconformity does not block by default
    expect(stdout).toContain(
      '::warning title=minor nonconformity%3A change.model-card (A.6.2.3%2C A.6.2.7),file=models/credit-scoring/MODEL_CARD.md,line=1::',
    );
    // The token appears once, in the command that tells the runner to mask it, and nowhere else.
    expect(stdout.split('ghs_secret_token')).toHaveLength(2);
    expect(stdout).toContain('::add-mask::ghs_secret_token\n');
    expect(summary).toContain('## aims-gate: ✅ PASS: findings: 1 minor, 1 observation');
    expect(summary).toContain(
      'This change edits .github/aims-gate.yml; it was judged by the configuration in the base branch master.',
    );
    expect(summary).toContain(
      '⏳ waiting for 1 more of 1 approval from team acme/ai-governance (high/prohibited risk)',
    );
    expect(outputs).toMatchObject({
      verdict: 'pass',
      systems: '["credit-scoring"]',
      findings: '{"major":0,"minor":1,"observation":1,"waived":0}',
    });
    const { entries, verified } = await auditEntries();
    expect(entries).toMatchObject([
      {
        seq: 1,
        type: 'evaluated',
        actor: { login: 'Codertocat' },
        subject: { system: 'credit-scoring', pullRequest: 2, commit: PR.head.sha },
      },
    ]);
    expect(verified.ok).toBe(true);
    expect(outputs.checkpoint).toBe(`1:${entries[0].hash}`);
    // The checkpoint where the log's writer cannot rewrite it: a status on the audited commit.
    expect(github.statuses).toEqual([
      {
        sha: PR.head.sha,
        state: 'success',
        context: 'aims-gate/audit-checkpoint',
        description: outputs.checkpoint,
      },
    ]);
  });

  it('pr-check says when the base is not a release branch: its config judged, the gate judges again', async () => {
    pullRequest({ ...conformantRepo(), '.github/aims-gate.yml': CONFIG }, [
      'models/credit-scoring/MODEL_CARD.md',
    ]);
    const stacked = { ...opened, pull_request: { ...PR, base: { ...PR.base, ref: 'feature-x' } } };
    const { summary } = await runAction({
      api: github.url,
      dir,
      event: stacked,
      inputs: { mode: 'pr-check', token: 'ghs_secret_token', today: '2026-11-01', 'audit-log': 'none' },
    });
    expect(summary).toContain(
      "> This pull request targets feature-x, which is not a release branch (master): it was judged by the configuration on feature-x. Its commits are judged again, by the default branch's configuration, before they can be deployed.",
    );
  });

  it('pr-check fails on a major nonconformity, with an error annotation at its line', async () => {
    const base = { ...conformantRepo(), '.github/aims-gate.yml': CONFIG };
    const head = edit(
      base,
      'models/credit-scoring/risk-assessment.yml',
      '    score: 16\n',
      '    score: 15\n',
    );
    pullRequest(head, ['models/credit-scoring/risk-assessment.yml']);
    const { code, stdout, outputs } = await action({ mode: 'pr-check', 'audit-log': 'none' });
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /::error title=major nonconformity%3A risk\.scores \(A\.6\.1\.3\),file=models\/credit-scoring\/risk-assessment\.yml,line=19,col=12::risk R-001: score 15/,
    );
    expect(stdout).toContain('::error::FAIL: findings: 1 major');
    expect(outputs.verdict).toBe('fail');
  });

  describe('deploy-gate', () => {
    let history: RepositoryHistory;
    beforeEach(async () => {
      history = new RepositoryHistory(github, { ...conformantRepo(), '.github/aims-gate.yml': CONFIG });
      // Where production starts: the gate's own approval in the audit log, which the gate trusts over GitHub's deployments.
      const store = new BranchStore(createGitHub({ baseUrl: github.url, throttle: { enabled: false } }), {
        owner: 'Codertocat',
        repo: 'Hello-World',
        branch: 'aims-audit-log',
      });
      await approvedInLog(store, opened.repository.full_name, history.head(), 'production', history.head());
    });
    const retrain = (files: Record<string, string>) => ({
      ...files,
      'models/credit-scoring/train.py': '# v2\n',
    });
    /** The gate as a deploying job runs it, with the gate's key from an environment secret. */
    const gate = (commit: string, auditLog = 'branch:aims-audit-log') =>
      action({
        mode: 'deploy-gate',
        environment: 'production',
        commit,
        'audit-log': auditLog,
        'signing-key': TEST_GATE_KEY,
      });

    it('rejects approvals an attacker would fake, records the rejection, and says what is missing', async () => {
      const pr = history.pullRequest({
        number: 2,
        change: retrain,
        author: 'Codertocat',
        reviews: (head, own) => [
          review('Codertocat', head), // the author
          review('gov-lead', own[0]!), // an earlier commit
          review('hubot', head),
          { ...review('hubot', head, 'CHANGES_REQUESTED'), submitted_at: '2026-11-20T11:00:00Z' }, // withdrawn
          review('mallory', head), // not in the team
        ],
      });
      const { code, stdout, outputs, summary } = await gate(pr.mergeCommit!);
      expect(code).toBe(1);
      expect(outputs.verdict).toBe('rejected');
      expect(stdout).toContain(
        '::error::Deployment to production rejected: #2 (high risk: credit-scoring): waiting for 1 more of 1 approval from team acme/ai-governance (high/prohibited risk); 1 more of 2 approvals from anyone but the author (to production, high/prohibited risk) (has mallory);',
      );
      expect(summary).toContain('### What this deployment to production ships');
      expect(summary).toContain(
        '| #2 | high | credit-scoring | ⏳ waiting for 1 more of 1 approval from team',
      );
      const { entries } = await auditEntries();
      expect(entries.slice(1)).toMatchObject([
        { type: 'evaluated', subject: { system: 'credit-scoring', environment: 'production' } },
        {
          type: 'deployment.rejected',
          subject: { environment: 'production', commit: pr.mergeCommit },
          // The systems it would have deployed: each system's deployment register reads them.
          details: {
            by: 'aims-gate',
            pullRequests: ['#2'],
            tier: 'high',
            approvers: ['mallory'],
            systems: ['credit-scoring'],
            // Who met which requirement, and which run of the gate wrote this: where an auditor checks it.
            roles: [
              '#2 1 approval from team acme/ai-governance (high/prohibited risk): nobody',
              '#2 2 approvals from anyone but the author (to production, high/prohibited risk): mallory',
              '#2 1 approval from team acme/ai-governance (to production, high/prohibited risk): nobody',
            ],
            writer: expect.stringMatching(
              /^aims-gate Action, workflow run https:\/\/\S+\/actions\/runs\/\d+$/,
            ),
          },
          actor: { via: 'github' },
        },
      ]);
    });

    it('approves with two approvals on the final head, one from the governance team, and the next deploy starts there', async () => {
      const pr = history.pullRequest({ number: 2, change: retrain, approvers: ['gov-lead', 'hubot'] });
      const first = await gate(pr.mergeCommit!);
      expect(first.code).toBe(0);
      expect(first.outputs.verdict).toBe('approved');
      expect((await auditEntries()).entries.map((e) => e.type)).toEqual([
        'deployment.approved',
        'evaluated',
        'deployment.approved',
      ]);
      expect(github.statuses).toMatchObject([
        { sha: pr.mergeCommit, context: 'aims-gate/audit-checkpoint', description: first.outputs.checkpoint },
        // Signed with a key: the approval's attestation, on the same commit.
        { sha: pr.mergeCommit, context: 'aims-gate/attestation: production' },
      ]);
      // The gate's own approval in the log is where the next change set starts: nothing new.
      const again = await gate(pr.mergeCommit!);
      expect(again.stdout).toMatch(
        /approved: nothing new since the last approved deployment to production \(\w{7}, audit log entry 3, signed by the gate key the test gate\)/,
      );
    });

    it('an approval writes the deployed commit’s BOM and the signed verification summary (bom-path, attestation-path)', async () => {
      const pr = history.pullRequest({ number: 2, change: retrain, approvers: ['gov-lead', 'hubot'] });
      const { code, outputs } = await gate(pr.mergeCommit!);
      expect(code).toBe(0);
      const bom = readFileSync(outputs['bom-path']!, 'utf8');
      expect(await new Validation.JsonStrictValidator(Spec.Version.v1dot6).validate(bom)).toBeNull();
      const check = verifyAttestation(readFileSync(outputs['attestation-path']!, 'utf8'), [
        { key: TEST_GATE.publicKey, role: 'gate' },
      ]);
      expect(check).toMatchObject({
        ok: true,
        statement: {
          subject: [{ digest: { gitCommit: pr.mergeCommit } }, { digest: { sha256: sha256(bom) } }],
          predicate: { verificationResult: 'PASSED', verifiedLevels: ['AIMS_GATE_TIER_HIGH'] },
        },
      });
      // The signed approval names both files by digest; the log's branch keeps them beside it.
      const attestation = readFileSync(outputs['attestation-path']!, 'utf8');
      const approval = (await auditEntries()).entries.at(-1);
      expect(approval).toMatchObject({
        type: 'deployment.approved',
        details: { bom: `sha256:${sha256(bom)}`, attestation: `sha256:${sha256(attestation)}` },
      });
      const kept = `attestations/${sha256(attestation)}.intoto.jsonl`;
      expect(github.file('aims-audit-log', kept)).toBe(attestation);
      expect(github.statuses.find((s) => s.context === 'aims-gate/attestation: production')).toMatchObject({
        sha: pr.mergeCommit,
        description: `sha256:${sha256(attestation)}`,
        target_url: `https://github.com/${github.repository}/blob/aims-audit-log/${kept}`,
      });
    });

    it('signs what it records with the signing-key input, never showing the key; without one it warns', async () => {
      const pem = generateKeyPairSync('ed25519')
        .privateKey.export({ format: 'pem', type: 'pkcs8' })
        .toString();
      const trusted = [{ key: ed25519Signer(pem).publicKey, role: 'gate' as const }];
      const pr = history.pullRequest({ number: 2, change: retrain, approvers: ['gov-lead', 'hubot'] });
      const signed = await action({
        mode: 'deploy-gate',
        environment: 'production',
        commit: pr.mergeCommit!,
        'audit-log': 'branch:aims-audit-log',
        'signing-key': pem,
      });
      expect(signed.code).toBe(0);
      // Masked: the runner takes ::add-mask:: and hides the value wherever else it would appear.
      const body = pem.split('\n')[1]!;
      expect(signed.stdout).toContain(`::add-mask::${body}\n`);
      expect(
        signed.stdout
          .split('\n')
          .filter((l) => !l.startsWith('::add-mask::'))
          .join('\n'),
      ).not.toContain(body);
      expect(signed.stdout).not.toContain('no signing-key');
      const { entries } = await auditEntries();
      expect(entries.slice(1).map((e) => [e.type, signerOf(e, trusted).status])).toEqual([
        ['evaluated', 'signed'],
        ['deployment.approved', 'signed'],
      ]);
      const unsigned = await action({
        mode: 'deploy-gate',
        environment: 'production',
        commit: pr.mergeCommit!,
        'audit-log': 'branch:aims-audit-log',
      });
      expect(unsigned.stdout).toContain(
        "::warning::aims-gate: no signing-key: this decision is recorded unsigned, and the gate's next deployment decision will not trust it",
      );
      expect((await auditEntries()).entries.at(-1)!.sig).toBeUndefined();
      // A key that cannot sign stops the gate: a rejection, not an unsigned approval.
      const bad = await action({
        mode: 'deploy-gate',
        environment: 'production',
        commit: pr.mergeCommit!,
        'signing-key': 'not a key',
      });
      expect(bad.code).toBe(1);
      expect(bad.stdout).toContain(
        '::error::Deployment rejected: aims-gate could not decide, so it fails closed. signing-key: the signing key is not PEM',
      );
    });

    it('rejects a merge into a branch the attacker made, and never writes the log onto main', async () => {
      const main = github.history('main');
      const pr = history.pullRequest({
        number: 3,
        into: 'attacker',
        change: (files) => ({
          ...retrain(files),
          '.github/aims-gate.yml': 'systems: [models/*]\naudit-log: branch:main\n',
        }),
      });
      const { code, stdout } = await gate(pr.mergeCommit!, '');
      expect(code).toBe(1);
      expect(stdout).toContain(`${pr.mergeCommit!.slice(0, 7)} is on no release branch (main)`);
      expect(github.history('main')).toBe(main);
      expect(github.file('aims-audit-log', 'audit-log.jsonl')).toContain('deployment.rejected');
    });

    it('an approval that would be logged onto main is not given, and nothing is written there', async () => {
      const pr = history.pullRequest({ number: 2, change: retrain, approvers: ['gov-lead', 'hubot'] });
      const main = github.history('main');
      const { code, stdout, outputs } = await gate(pr.mergeCommit!, 'branch:main');
      expect(code).toBe(1);
      expect(outputs.verdict).toBe('rejected');
      expect(stdout).toContain(
        'the audit log cannot be written to branch "main": it is the default branch of Codertocat/Hello-World.',
      );
      expect(github.history('main')).toBe(main);
    });

    it('rejects one commit in an unapproved pull request to main and an approved one to a weak branch', async () => {
      const unapproved = history.pullRequest({ number: 4, change: retrain, commits: 1 });
      // The same commit, then approved in a pull request to a weak branch that GitHub records as merged later.
      history.carry(5, 'weak', unapproved.head, ['gov-lead', 'hubot']);
      const { code, stdout } = await gate(unapproved.mergeCommit!);
      expect(code).toBe(1);
      expect(stdout).toContain('#4 (high risk: credit-scoring): waiting for');
    });

    it('rejects the head of an open pull request', async () => {
      const pr = history.pullRequest({
        number: 6,
        change: retrain,
        state: 'open',
        approvers: ['gov-lead', 'hubot'],
      });
      const { code, stdout } = await gate(pr.head);
      expect(code).toBe(1);
      expect(stdout).toContain(`${pr.head.slice(0, 7)} is on no release branch (main)`);
    });

    it('fails closed when GitHub keeps failing: a rejection with the reason, never an approval', async () => {
      const pr = history.pullRequest({ number: 2, change: retrain, approvers: ['gov-lead', 'hubot'] });
      github.fail(...Array(12).fill('500'));
      const { code, stdout, outputs } = await gate(pr.mergeCommit!, 'none');
      expect(code).toBe(1);
      expect(outputs.verdict).toBe('rejected');
      expect(stdout).toContain(
        '::error::Deployment to production rejected: aims-gate could not decide, so it fails closed: ',
      );
    });
  });

  it('record appends a pipeline event to the audit branch and refuses a bad one before writing', async () => {
    const ok = await action({
      mode: 'record',
      'event-type': 'model.retrained',
      system: 'credit-scoring',
      details: 'run=2026-11-21\naccuracy=0.91',
    });
    expect(ok.code).toBe(0);
    const { entries } = await auditEntries();
    expect(entries).toMatchObject([
      {
        seq: 1,
        type: 'model.retrained',
        subject: { system: 'credit-scoring' },
        details: { run: '2026-11-21', accuracy: '0.91' },
      },
    ]);
    expect(ok.outputs.checkpoint).toBe(`1:${entries[0].hash}`);
    expect(github.statuses).toMatchObject([{ sha: PR.head.sha, description: ok.outputs.checkpoint }]);
    const bad = await action({ mode: 'record', 'event-type': 'model.deleted', system: 'credit-scoring' });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('::error::aims-gate: "model.deleted" is not an event type');
    // What only the gate writes cannot be recorded, and so never signed with its key by a workflow.
    const forged = await action({
      mode: 'record',
      'event-type': 'deployment.approved',
      system: 'credit-scoring',
    });
    expect(forged.stdout).toContain(
      '::error::aims-gate: record mode does not record deployment.approved: only deploy-gate writes the gate',
    );
    expect((await auditEntries()).entries).toHaveLength(1);
  });

  it('writes to GitHub a second apart, as GitHub asks, unless AIMS_GATE_WRITE_INTERVAL_MS says less', async () => {
    const record = { mode: 'record', 'event-type': 'model.retrained', system: 'credit-scoring' };
    // The entry's blob, tree, commit and branch, then the checkpoint's status: five writes, four waits.
    const paced = await action(record, { AIMS_GATE_WRITE_INTERVAL_MS: '' });
    expect(paced.code).toBe(0);
    expect(paced.ms).toBeGreaterThan(3_500);
    const bad = await action(record, { AIMS_GATE_WRITE_INTERVAL_MS: '2s' });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(
      '::error::aims-gate: AIMS_GATE_WRITE_INTERVAL_MS must be a whole number of milliseconds from 0 to 1000, not "2s"',
    );
    expect((await auditEntries()).entries).toHaveLength(1);
  });

  it('a checkpoint GitHub does not take is a warning: the entry stays in the log', async () => {
    github.statusesForbidden = true; // a token without statuses: write
    const { code, stdout, outputs } = await action({
      mode: 'record',
      'event-type': 'model.retrained',
      system: 'credit-scoring',
    });
    expect(code).toBe(0);
    const { entries } = await auditEntries();
    expect(entries).toHaveLength(1);
    expect(outputs.checkpoint).toBe(`1:${entries[0].hash}`);
    expect(stdout).toContain(
      `::warning::the audit log's checkpoint ${outputs.checkpoint} is recorded, but could not be published as a commit status on ${PR.head.sha.slice(0, 7)}: Resource not accessible by integration`,
    );
    expect(github.statuses).toEqual([]);
  });

  it('shows 10 annotations per level, most severe first, points to the summary for the rest, and writes SARIF', async () => {
    // Ten systems, each with a broken score: eleven major findings or more.
    const base: Record<string, string> = {
      '.github/aims-gate.yml': CONFIG.replace('audit-log: branch:aims-audit-log\n', ''),
    };
    for (let i = 0; i < 11; i++)
      for (const [path, content] of Object.entries(conformantRepo()))
        base[path.replace('models/credit-scoring/', `models/credit-scoring-${i}/`)] = content;
    const head = Object.fromEntries(
      Object.entries(base).map(([p, c]) => [p, c.replace('    score: 16\n', '    score: 15\n')]),
    );
    pullRequest(
      head,
      Object.keys(head).filter((p) => p.endsWith('risk-assessment.yml')),
    );
    github.seed(base, PR.base.sha);
    const { code, stdout, outputs } = await action({
      mode: 'pr-check',
      'sarif-file': join(dir, 'out.sarif'),
    });
    expect(code).toBe(1);
    const errors = stdout.split('\n').filter((l) => l.startsWith('::error title='));
    expect(errors).toHaveLength(10);
    expect(stdout).toMatch(/::notice title=aims-gate::\d+ more findings are listed in the job summary\./);
    expect(outputs['report-path']).toBe(join(dir, 'out.sarif'));
    const sarif = JSON.parse(readFileSync(join(dir, 'out.sarif'), 'utf8'));
    expect(
      sarif.runs[0].results.filter((r: { level: string }) => r.level === 'error').length,
    ).toBeGreaterThan(10);
  });
});
