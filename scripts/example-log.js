// Writes examples/ml-platform/.aims-gate/audit-log.jsonl: a year in the life of the example's AI systems,
// recorded through the same code as `aims-gate record` (run after `npm run build`). Prints its checkpoint.
// The gate's entries are signed with the EXAMPLE ONLY gate key, the fairness and management reviews with the
// governance lead's (examples/EXAMPLE-ONLY-keys); their public halves are under `signers` in
// examples/ml-platform/.github/aims-gate.yml.
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatCheckpoint } from '../lib/audit/entry.js';
import { evaluationEvents } from '../lib/audit/events.js';
import { FileStore } from '../lib/audit/file-store.js';
import { ed25519Signer, isGateOnly } from '../lib/audit/signature.js';
import { record } from '../lib/audit/store.js';
import { evaluate } from '../lib/evaluate.js';
import { nonconformityKey } from '../lib/fingerprint.js';
import { LocalSource } from '../lib/sources/local.js';

/** EXAMPLE ONLY keys, published in examples/EXAMPLE-ONLY-keys: anyone can forge with them. */
const exampleKey = (name) =>
  ed25519Signer(readFileSync(new URL(`../examples/EXAMPLE-ONLY-keys/${name}.pem`, import.meta.url), 'utf8'));
const gateKey = exampleKey('gate');
const leadKey = exampleKey('gov-lead');

const path = fileURLToPath(new URL('../examples/ml-platform/.aims-gate/audit-log.jsonl', import.meta.url));
rmSync(path, { force: true });
const store = new FileStore(path);
const repository = 'acme/ml-platform';
/** The commit the recorded checks judged (the example is no repository of its own). */
const COMMIT = '9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d';
// Evidence as `record --evidence` keeps it: the file's path in the repository and the SHA-256 of its bytes now,
// which `aims-gate verify --evidence` checks (edit one of these files, and run this script again).
const evidence = (...paths) =>
  paths.map((path) => ({
    path,
    sha256: createHash('sha256')
      .update(readFileSync(new URL(`../examples/ml-platform/${path}`, import.meta.url)))
      .digest('hex'),
  }));
/** The files attached to events by type: the records an auditor asks to see behind them. */
const ATTACHED = {
  'audit.performed': ['governance/evidence/internal-audit-IA-2026-1.md'],
  'management.review': ['governance/evidence/management-review-2026-10-28.md'],
  'custom.fairness-review': ['governance/evidence/fairness-review-2026-10.md'],
  'nonconformity.closed': ['governance/evidence/drift-gate-verification.md'],
};
const events = [
  ['2025-03-02T09:12:00Z', 'system.registered', 'legacy-recommender', 'maria', { tier: 'minimal' }],
  [
    '2026-01-10T10:00:00Z',
    'system.retired',
    'legacy-recommender',
    'maria',
    { replaced_by: 'feed-ranking', retired_on: '2025-12-31' },
  ],
  ['2026-02-03T14:20:00Z', 'system.registered', 'credit-scoring', 'dana', { tier: 'high' }],
  ['2026-02-03T14:25:00Z', 'system.registered', 'churn-predictor', 'li', { tier: 'limited' }],
  [
    '2026-06-15T08:30:00Z',
    'model.retrained',
    'credit-scoring',
    'ci-bot',
    { run: '2026-06-15.1', data_window: '2019-2025' },
  ],
  [
    '2026-06-15T09:02:00Z',
    'documents.changed',
    'credit-scoring',
    'dana',
    { files: 'MODEL_CARD.md, risk-assessment.yml' },
    412,
  ],
  [
    '2026-06-15T09:05:00Z',
    'evaluated',
    'credit-scoring',
    'ci-bot',
    { verdict: 'pass', policy: 'iso42001-baseline' },
    412,
  ],
  [
    '2026-06-20T16:40:00Z',
    'approval.given',
    'credit-scoring',
    'dana-w',
    { role: 'Chief Risk Officer', review: 'APPROVED' },
    412,
  ],
  [
    '2026-06-20T16:45:00Z',
    'approval.given',
    'credit-scoring',
    'gov-lead',
    { role: 'AI governance lead', review: 'APPROVED' },
    412,
  ],
  [
    '2026-06-21T07:00:00Z',
    'deployment.approved',
    'credit-scoring',
    'aims-gate[bot]',
    // As the deployment gate writes a decision (src/github/evaluate.ts recordDeployment): the run that wrote it,
    // what it shipped and who approved it in which role; the commit is the subject's.
    {
      by: 'aims-gate',
      writer: 'https://github.com/acme/ml-platform/actions/runs/9876543210',
      reason: 'every pull request shipped has the approvals its rules require',
      pullRequests: ['#412'],
      systems: ['credit-scoring'],
      tier: 'high',
      approvers: ['dana-w', 'gov-lead'],
      roles: ['#412 Chief Risk Officer: dana-w', '#412 AI governance lead: gov-lead'],
    },
    412,
    'production',
  ],
  [
    '2026-08-02T03:10:00Z',
    'monitoring.alert',
    'credit-scoring',
    'monitoring-bot',
    { metric: 'psi', value: '0.23', threshold: '0.2' },
  ],
  [
    '2026-08-04T11:00:00Z',
    'incident',
    'credit-scoring',
    'dana',
    {
      summary: 'Score drift after rate change',
      severity: 'medium',
      status: 'resolved',
      // Communication of incidents (A.8.4): who was told, and when; `record` refuses an incident without them.
      informed: 'affected applicants (letter), the credit risk committee, the national supervisor',
      informedAt: '2026-08-04',
    },
  ],
  [
    '2026-09-12T10:00:00Z',
    'deployment.rejected',
    'churn-predictor',
    'aims-gate[bot]',
    {
      by: 'aims-gate',
      writer: 'https://github.com/acme/ml-platform/actions/runs/9912345678',
      reason: 'impact assessment mitigations name a missing risk (R-7)',
      pullRequests: ['#433'],
      systems: ['churn-predictor'],
      tier: 'limited',
    },
    433,
    'production',
  ],
  [
    '2026-10-01T12:00:00Z',
    'custom.fairness-review',
    'credit-scoring',
    'gov-lead',
    { outcome: 'parity within limits', next: '2027-01' },
  ],
  // The nonconformity register: one from the incident above, corrected and closed; one from an internal audit,
  // open and overdue. `@name` stands for the id the opening entry gets (NC-<its seq>).
  [
    '2026-08-05T09:00:00Z',
    'nonconformity.opened',
    'credit-scoring',
    'dana',
    {
      ref: '@drift',
      grade: 'minor',
      source: 'incident',
      title: 'Drift reached customers before the monitoring alert was acted on',
      controls: ['A.6.2.6'],
      owner: '@acme/risk-ml',
      due: '2026-09-30',
    },
  ],
  [
    '2026-08-10T14:00:00Z',
    'corrective-action.planned',
    'credit-scoring',
    'dana',
    {
      nc: '@drift',
      action: 'Drift alerts page the on-call engineer; retraining stops on PSI over 0.2',
      owner: 'dana',
    },
  ],
  ['2026-09-18T16:30:00Z', 'corrective-action.completed', 'credit-scoring', 'dana', { nc: '@drift' }],
  [
    '2026-09-25T10:00:00Z',
    'nonconformity.closed',
    'credit-scoring',
    'gov-lead',
    { nc: '@drift', note: 'Drift gate live since 2026-09-18; no alert left unanswered since' },
  ],
  [
    '2026-10-15T09:30:00Z',
    'nonconformity.opened',
    'churn-predictor',
    'internal-auditor',
    {
      ref: '@audit',
      grade: 'major',
      source: 'internal-audit',
      title: 'Impact assessment mitigations do not match the risk register',
      controls: ['A.5.3'],
      owner: '@acme/growth-ml',
      due: '2026-10-31',
    },
  ],
  [
    '2026-10-20T11:00:00Z',
    'nonconformity.updated',
    'churn-predictor',
    'li',
    { nc: '@audit', rootCause: 'Risk R-7 was merged into R-2 without updating the impact assessment' },
  ],
  // The management system's own events (clauses 4 to 10), of no one AI system: the internal audit programme
  // (audits: in the config) carried out by an auditor who owns neither system, a management review, and a
  // nonconformity against a clause. The details of an audit entry are the programme's, as `record` copies them.
  [
    '2026-10-21T09:00:00Z',
    'audit.performed',
    undefined,
    'internal-auditor',
    {
      audit: 'IA-2026-1',
      findings: '@audit',
      auditor: 'internal-auditor',
      criteria: 'ISO/IEC 42001:2023 clauses 8.2 to 8.4; Annex A.5 and A.6.2; the AI policy v2',
      planned: '2026-10-15',
      systems: ['credit-scoring', 'churn-predictor'],
      clauses: ['8.2', '8.3', '8.4'],
    },
  ],
  [
    '2026-10-22T10:00:00Z',
    'audit.planned',
    undefined,
    'gov-lead',
    {
      audit: 'IA-2026-2',
      auditor: 'internal-auditor',
      criteria: 'ISO/IEC 42001:2023 clauses 9.2 and 10.2',
      planned: '2026-12-10',
      clauses: ['9.2', '10.2'],
    },
  ],
  [
    '2026-10-28T15:00:00Z',
    'management.review',
    undefined,
    'gov-lead',
    {
      attendees: 'CEO, CTO, AI governance lead, head of risk',
      inputs:
        'internal audit IA-2026-1 and its nonconformity, the drift incident, deployment figures, AI objectives',
      decisions: 'set measurable targets for the AI objectives by 2026-12; fund a second internal auditor',
    },
  ],
  [
    '2026-10-28T16:00:00Z',
    'nonconformity.opened',
    undefined,
    'gov-lead',
    {
      ref: '@clause',
      grade: 'minor',
      source: 'management-review',
      title: 'No internal audit of the nonconformity process (10.2) was performed this year',
      clauses: ['9.2'],
      owner: 'gov-lead',
      due: '2026-12-31',
    },
  ],
  // The register as clause 10.2 asks, appended after the entries above so that their numbers stay. Recorded
  // evaluations of both systems in production (check --record on main): each open major or minor finding opens
  // a nonconformity owned by the system's owner (its governance facts). credit-scoring's risk register then
  // had a stale version, fixed the next day; the correction is reviewed by the governance lead, not its owner,
  // which closes it. The drift nonconformity's closure above lacked a root cause and a review, so it did not
  // count; it gets both and is closed again, signed by the governance lead. The internal audit's
  // nonconformity is linked with the gate's for the same defect; an observation is kept apart.
  [
    '2026-10-29T08:00:00Z',
    'evaluated',
    'credit-scoring',
    'ci-bot',
    { '@evaluate': '2026-10-29', '@stale': 'models/credit-scoring/risk-assessment.yml' },
  ],
  ['2026-10-29T08:01:00Z', 'evaluated', 'churn-predictor', 'ci-bot', { '@evaluate': '2026-10-29' }],
  [
    '2026-10-29T10:00:00Z',
    'nonconformity.updated',
    'credit-scoring',
    'dana',
    {
      nc: '@stale',
      rootCause: 'The risk register is versioned by hand and was not bumped with the model card',
    },
  ],
  [
    '2026-10-29T10:30:00Z',
    'nonconformity.updated',
    'credit-scoring',
    'dana',
    {
      nc: '@drift',
      rootCause: 'Drift alerts went to a mailbox nobody on call reads; retraining had no PSI gate',
    },
  ],
  ['2026-10-30T08:00:00Z', 'evaluated', 'credit-scoring', 'ci-bot', { '@evaluate': '2026-10-30' }],
  [
    '2026-10-30T11:00:00Z',
    'nonconformity.reviewed',
    'credit-scoring',
    'gov-lead',
    {
      '@sign': 'lead',
      nc: '@stale',
      effective: true,
      note: 'Versions now checked in CI (docs.version); the next check found none stale',
    },
  ],
  [
    '2026-10-30T11:10:00Z',
    'nonconformity.reviewed',
    'credit-scoring',
    'gov-lead',
    {
      '@sign': 'lead',
      nc: '@drift',
      effective: true,
      note: 'Six weeks of alerts, each paged and answered within the hour; two retrainings stopped at PSI 0.2',
    },
  ],
  [
    '2026-10-30T11:20:00Z',
    'nonconformity.closed',
    'credit-scoring',
    'gov-lead',
    { '@sign': 'lead', nc: '@drift', note: 'Root cause removed and the correction found effective' },
  ],
  [
    '2026-10-30T15:00:00Z',
    'nonconformity.linked',
    'churn-predictor',
    'internal-auditor',
    { nc: '@audit', with: '@gate:impact.mitigations-exist:churn-predictor:impact-assessment.yml' },
  ],
  [
    '2026-10-30T16:00:00Z',
    'nonconformity.regraded',
    undefined,
    'gov-lead',
    {
      '@sign': 'lead',
      nc: '@clause',
      grade: 'major',
      reason: 'A second year without an audit of 10.2: the process is not audited at all',
    },
  ],
  [
    '2026-10-31T09:00:00Z',
    'nonconformity.opened',
    'credit-scoring',
    'internal-auditor',
    {
      grade: 'observation',
      source: 'internal-audit',
      title: 'Fairness review notes do not say which data slices were compared',
      controls: ['A.6.2.4'],
      owner: '@acme/risk-ml',
    },
  ],
  [
    '2026-10-31T10:00:00Z',
    'objective.reviewed',
    undefined,
    'gov-lead',
    {
      '@sign': 'lead',
      objective: 'OBJ-3',
      target: 'Every high-risk system has a fairness review each quarter',
      result: 'met',
    },
  ],
];
const ncIds = new Map();
const source = new LocalSource(fileURLToPath(new URL('../examples/ml-platform', import.meta.url)));
/** The "evaluated" entry `check --record` writes for one system, as of `day`; `stale` adds a finding since fixed. */
async function evaluated(system, day, stale) {
  const evaluation = await evaluate({ source, today: day });
  const summary = evaluation.systems.find((s) => s.id === system);
  const findings = evaluation.findings.filter((f) => f.system === system);
  if (stale) {
    findings.push({
      rule: 'docs.version',
      severity: 'minor',
      system,
      path: stale,
      line: 3,
      message: 'version 2.0.0 differs from the model card (2.1.0)',
      controls: ['A.6.2.7'],
    });
    summary.counts = { ...summary.counts, minor: summary.counts.minor + 1 };
  }
  const [draft] = evaluationEvents(
    { ...evaluation, systems: [summary], findings },
    { time: '', actor: { login: 'ci-bot' }, subject: {} },
  );
  return { details: draft.details, evidence: draft.evidence };
}
// In the order they happened, as a log is written.
events.sort((a, b) => a[0].localeCompare(b[0]));
let checkpoint;
for (const [time, type, system, login, given, pullRequest, environment] of events) {
  const { ref, '@sign': sign, '@evaluate': day, '@stale': stale, ...details } = given;
  // `@gate:RULE:SYSTEM:FILE` names the nonconformity an evaluation opened for that rule on that document.
  const idOf = (name) => {
    if (!name.startsWith('@gate:')) return ncIds.get(name);
    const [, rule, of, path] = name.split(':');
    return `NC-${nonconformityKey({ rule, system: of, path }).slice(0, 12)}`;
  };
  if (details.nc) details.nc = idOf(details.nc);
  if (details.with) details.with = idOf(details.with);
  if (details.findings) details.findings = ncIds.get(details.findings);
  const fromCheck = day ? await evaluated(system, day, stale) : undefined;
  if (stale)
    ncIds.set('@stale', `NC-${nonconformityKey({ rule: 'docs.version', system, path: stale }).slice(0, 12)}`);
  // The governance lead signs what they record as themselves: a fairness review, the management review,
  // effectiveness reviews and closures (proving they are not the action's owner).
  const signer = isGateOnly(type)
    ? gateKey
    : type === 'custom.fairness-review' || type === 'management.review' || sign === 'lead'
      ? leadKey
      : undefined;
  ({ checkpoint } = await record(
    store,
    {
      type,
      time: new Date(time).toISOString(),
      // The gate writes who GitHub said acted (a review's author, the bot); a person's CLI entry is as typed.
      actor: signer === gateKey ? { login, via: 'github' } : { login },
      subject: {
        repository,
        ...(system ? { system } : {}),
        ...(pullRequest ? { pullRequest } : {}),
        ...(environment ? { environment } : {}),
        ...(fromCheck || type.startsWith('deployment.') ? { commit: COMMIT, ref: 'refs/heads/main' } : {}),
      },
      details: fromCheck?.details ?? details,
      evidence:
        fromCheck?.evidence ??
        evidence(
          ...(type === 'evaluated' || type === 'deployment.approved'
            ? [`models/${system}/MODEL_CARD.md`]
            : []),
          ...(ATTACHED[type] ?? []),
        ),
    },
    signer ? { signer } : {},
  ));
  if (ref) ncIds.set(ref, `NC-${checkpoint.seq}`);
}
console.log(`wrote ${events.length} entries to ${path}\ncheckpoint ${formatCheckpoint(checkpoint)}`);
console.log(`signers (EXAMPLE ONLY keys):\n  gate: ${gateKey.publicKey}\n  gov-lead: ${leadKey.publicKey}`);
