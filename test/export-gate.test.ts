import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { sha256 } from '../src/audit/entry.js';
import { MemoryStore } from '../src/audit/memory-store.js';
import { requirementProblem, verifyAttestation } from '../src/export/attestation.js';
import { attestDecision, BOM_FILE } from '../src/export/gate.js';
import { gateDeployment } from '../src/github/evaluate.js';
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
