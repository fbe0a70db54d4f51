import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seal, serialise, sha256 } from '../src/audit/entry.js';
import { MemoryStore } from '../src/audit/memory-store.js';
import { main, type Output } from '../src/cli/main.js';
import { requirementProblem, verifyAttestation } from '../src/export/attestation.js';
import { attestDecision, BOM_FILE } from '../src/export/gate.js';
import { BranchStore } from '../src/github/branch-store.js';
import { decideDeployment, gateDeployment } from '../src/github/evaluate.js';
import { createGitHub } from '../src/github/octokit.js';
import { GitHubSource } from '../src/github/source.js';
import { FakeGitHub } from './fake-github.js';
import { conformantRepo } from './helpers.js';
import { approvedInLog, GATE_CONFIG, RepositoryHistory, TEST_GATE } from './repository-history.js';

/**
 * What the Action's deploy-gate attaches to an approval (action/main.ts calls attestDecision): the deployed
 * commit's BOM from the gate's own evaluation, and the decision signed with the gate key, against a fake GitHub.
 */
const REPOSITORY = { owner: 'acme', repo: 'ml-platform' };
let fake: FakeGitHub;
let repo: RepositoryHistory;
const log = new MemoryStore();
beforeEach(async () => {
  fake = await new FakeGitHub('acme/ml-platform').start();
  fake.answer('GET', '/orgs/acme/teams/ai-governance/members', [{ login: 'gov-lead', id: 7 }]);
  repo = new RepositoryHistory(fake, { ...conformantRepo(), '.github/aims-gate.yml': GATE_CONFIG });
  repo.deployed(repo.head(), 'production');
  await approvedInLog(log, 'acme/ml-platform', repo.head(), 'production', repo.head());
});
afterEach(() => fake.stop());

it('an approved deployment gets a strict CycloneDX BOM and a verification summary signed with the gate key', async () => {
  const pr = repo.pullRequest({
    number: 1,
    change: (files) => ({ ...files, 'models/credit-scoring/train.py': '# retrained\n' }),
    approvers: ['alice', 'gov-lead'],
  });
  const github = createGitHub({ token: 't', baseUrl: fake.url, retries: 0, throttle: { enabled: false } });
  const commit = pr.mergeCommit!;
  const decision = await gateDeployment(
    github,
    REPOSITORY,
    { commit, environment: 'production' },
    { today: '2026-11-01', history: () => log },
  );
  expect(decision.approved).toBe(true);
  const at = (sha: string) => new GitHubSource(github, { ...REPOSITORY, commit: sha });
  const made = await attestDecision({
    source: at(commit),
    policySource: at(decision.config!),
    evaluation: decision.evaluation!,
    repository: 'acme/ml-platform',
    commit,
    policyCommit: decision.config!,
    environment: 'production',
    approved: true,
    ...(decision.tier ? { tier: decision.tier } : {}),
    signer: TEST_GATE,
    today: '2026-11-01',
  });
  const strict = new Validation.JsonStrictValidator(Spec.Version.v1dot6);
  expect(await strict.validate(made.bom)).toBeNull();
  expect(JSON.parse(made.bom).components[0]).toMatchObject({
    type: 'machine-learning-model',
    name: 'credit-scoring',
  });

  const check = verifyAttestation(JSON.stringify(made.envelope), [
    { key: TEST_GATE.publicKey, role: 'gate' },
  ]);
  expect(check.ok).toBe(true);
  const statement = check.ok ? check.statement : made.statement;
  expect(statement.subject).toEqual([
    { name: 'git+https://github.com/acme/ml-platform', digest: { gitCommit: commit } },
    { name: BOM_FILE, digest: { sha256: sha256(made.bom) } },
  ]);
  expect(statement.predicate).toMatchObject({
    verificationResult: 'PASSED',
    verifiedLevels: ['AIMS_GATE_TIER_HIGH'],
    // The config that judged: the default branch's, at the commit the gate read it from.
    policy: { uri: `https://github.com/acme/ml-platform/blob/${decision.config}/.github/aims-gate.yml` },
    'https://github.com/aims-gate/aims-gate#environment': 'production',
  });
  expect(requirementProblem(statement, { tier: 'high', commit })).toBeUndefined();
});

describe('the gate records what it approved', () => {
  const io = () => {
    const out: string[] = [];
    const output: Output = { out: (t) => out.push(t), err: () => {}, color: false };
    return { output, out };
  };

  it('names the BOM and attestation by digest in its signed entry, keeps them beside it, and verify-attestation --log ties a file to it', async () => {
    const github = createGitHub({ token: 't', baseUrl: fake.url, retries: 0, throttle: { enabled: false } });
    const branchLog = new BranchStore(github, { ...REPOSITORY, branch: 'aims-audit-log' });
    await approvedInLog(branchLog, 'acme/ml-platform', repo.head(), 'production', repo.head());
    const pr = repo.pullRequest({
      number: 1,
      change: (files) => ({ ...files, 'models/credit-scoring/train.py': '# retrained\n' }),
      approvers: ['alice', 'gov-lead'],
    });
    const commit = pr.mergeCommit!;
    const recorded = await decideDeployment(github, REPOSITORY, {
      commit,
      environment: 'production',
      prepare: async () => ({
        options: { today: '2026-11-01', history: () => branchLog },
        store: () => branchLog,
      }),
      record: {
        time: '2026-11-21T09:00:00Z',
        actor: { login: 'release-bot' },
        writer: 'a test',
        signer: TEST_GATE,
      },
    });
    expect(recorded.decision.approved).toBe(true);
    const made = recorded.attestation!;
    expect(made.statement.predicate.verificationResult).toBe('PASSED');

    // The entry: signed by the gate, naming the BOM, the envelope file and the statement by SHA-256.
    const lines = fake.file('aims-audit-log', 'audit-log.jsonl')!.trim().split('\n');
    const entry = JSON.parse(lines.at(-1)!);
    expect(entry.type).toBe('deployment.approved');
    expect(entry.sig).toBeDefined();
    expect(entry.details).toMatchObject({
      bom: `sha256:${sha256(made.bom)}`,
      attestation: `sha256:${sha256(made.file)}`,
      attestationPayload: `sha256:${sha256(Buffer.from(made.envelope.payload, 'base64'))}`,
    });
    // The statement's own BOM subject is the BOM the entry names.
    expect(made.statement.subject[1]!.digest.sha256).toBe(sha256(made.bom));
    // Both files are on the log's branch, in the entry's own commit, at the address the decision gives.
    const kept = `attestations/${sha256(made.file)}.intoto.jsonl`;
    expect(fake.file('aims-audit-log', kept)).toBe(made.file);
    expect(fake.file('aims-audit-log', `attestations/${sha256(made.bom)}.cdx.json`)).toBe(made.bom);
    expect(made.urls!.attestation).toBe(`https://github.com/acme/ml-platform/blob/aims-audit-log/${kept}`);
    expect(fake.history('aims-audit-log')).toBe(2); // the earlier approval, then this decision with its files

    const dir = mkdtempSync(join(tmpdir(), 'aims-recorded-'));
    try {
      const logFile = join(dir, 'audit-log.jsonl');
      writeFileSync(logFile, `${lines.join('\n')}\n`);
      writeFileSync(join(dir, 'gate.pub'), `${TEST_GATE.publicKey}\n`);
      const verifyIt = async (file: string) => {
        const run = io();
        const code = await main(
          [
            'verify-attestation',
            file,
            ...['--key', join(dir, 'gate.pub'), '--repository', 'acme/ml-platform'],
            ...['--log', logFile, '--tier', 'high'],
          ],
          run.output,
        );
        return { code, out: run.out.join('') };
      };
      const good = join(dir, 'attestation.intoto.jsonl');
      writeFileSync(good, made.file);
      const ok = await verifyIt(good);
      expect(ok.out).toMatch(new RegExp(`recorded by entry ${entry.seq} of the log \\(this file\\)`));
      expect(ok.code).toBe(0);

      // Re-encoded (a registry keeps the envelope, not our bytes): matched by the statement it signs.
      const pretty = join(dir, 'pretty.json');
      writeFileSync(pretty, JSON.stringify(made.envelope, null, 2));
      expect((await verifyIt(pretty)).out).toMatch(
        /recorded by entry \d+ of the log \(the statement it signs\)/,
      );

      // Tampered: the statement raised to a higher tier. The signature fails, and no entry names it.
      const payload = Buffer.from(made.envelope.payload, 'base64')
        .toString()
        .replace('AIMS_GATE_TIER_HIGH', 'AIMS_GATE_TIER_PROHIBITED');
      expect(payload).toContain('PROHIBITED');
      const tampered = join(dir, 'tampered.json');
      writeFileSync(
        tampered,
        JSON.stringify({ ...made.envelope, payload: Buffer.from(payload).toString('base64') }),
      );
      const bad = await verifyIt(tampered);
      expect(bad.code).toBe(1);
      expect(bad.out).toMatch(/does not hold/);

      // Signed with the gate's key, but never a decision of the gate (export --format intoto in a pipeline):
      // the signature holds, the log names no such attestation.
      const other = await attestDecision({
        source: recorded.decision.sources!.deployed,
        policySource: recorded.decision.sources!.policy,
        evaluation: recorded.decision.evaluation!,
        repository: 'acme/ml-platform',
        commit,
        environment: 'production',
        approved: true,
        tier: 'high',
        signer: TEST_GATE,
        today: '2026-11-01',
      });
      const unrecorded = join(dir, 'unrecorded.json');
      writeFileSync(unrecorded, other.file);
      const missing = await verifyIt(unrecorded);
      expect(missing.code).toBe(1);
      expect(missing.out).toMatch(/no deployment.approved entry of the log records it/);

      // An entry anyone could append, copying the digest and chained as any writer chains, is no record: it is
      // not signed by a gate key.
      const { seq, prev, hash, sig, v, ...draft } = entry;
      const forged = seal(
        { ...draft, details: { ...entry.details, attestation: `sha256:${sha256(other.file)}` } },
        { seq, hash },
      );
      writeFileSync(logFile, `${lines.join('\n')}\n${serialise(forged)}`);
      const copied = await verifyIt(unrecorded);
      expect(copied.code).toBe(1);
      expect(copied.out).toMatch(
        /names it, but no gate or app key the configuration lists signed that entry \(unsigned\)/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('attaches nothing to a rejection', async () => {
    const github = createGitHub({ token: 't', baseUrl: fake.url, retries: 0, throttle: { enabled: false } });
    const pr = repo.pullRequest({
      number: 2,
      change: (files) => ({ ...files, 'models/credit-scoring/train.py': '# unreviewed\n' }),
      approvers: ['alice'], // not the governance team a high-risk change needs
    });
    const store = new MemoryStore();
    const recorded = await decideDeployment(github, REPOSITORY, {
      commit: pr.mergeCommit!,
      environment: 'production',
      prepare: async () => ({ options: { today: '2026-11-01', history: () => log }, store: () => store }),
      record: {
        time: '2026-11-21T09:00:00Z',
        actor: { login: 'release-bot' },
        writer: 'a test',
        signer: TEST_GATE,
      },
    });
    expect(recorded.decision.approved).toBe(false);
    expect(recorded.attestation).toBeUndefined();
    const entries = [];
    for await (const batch of store.lines()) entries.push(...batch);
    const decision = JSON.parse(entries.at(-1) as string);
    expect(decision.type).toBe('deployment.rejected');
    expect(decision.details.attestation).toBeUndefined();
  });
});
