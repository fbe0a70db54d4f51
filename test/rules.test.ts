import { describe, expect, it } from 'vitest';
import { CARD, conformantRepo, edit, findingsOf, IMPACT, RISK, run } from './helpers.js';

describe('the conformant example system', () => {
  it('passes the whole baseline with no findings and evaluates its controls', async () => {
    const evaluation = await run(conformantRepo());
    expect(evaluation.findings).toEqual([]);
    expect(evaluation.verdict).toBe('pass');
    expect(evaluation.systems).toMatchObject([
      { id: 'credit-scoring', tier: 'high', status: 'production', owner: '@acme/risk-ml' },
    ]);
    const status = (s: string) => evaluation.controls.filter((c) => c.status === s).map((c) => c.control);
    // Conformant where a check judged what the documents say (values, consistency, dates, treatments)...
    expect(status('conformant')).toEqual(expect.arrayContaining(['A.5.2', 'A.5.3', 'A.6.1.3', 'A.6.2.7']));
    // ...documented where checks only saw that a section or field has text: one sentence passes those.
    expect(status('documented')).toEqual(
      // A.5.4: its rules see that sections are written, and that each grave harm lists a mitigation at all.
      expect.arrayContaining(['A.4.5', 'A.5.4', 'A.7.2', 'A.7.4', 'A.8.2', 'A.9.4', 'A.6.2.8']),
    );
    expect(status('conformant')).not.toContain('A.9.4');
  });
});

describe('required-document', () => {
  it('reports a missing risk assessment at the path where it is expected', async () => {
    const files = conformantRepo();
    delete files[RISK];
    const [finding] = findingsOf(await run(files), 'risk.required');
    expect(finding).toMatchObject({
      severity: 'major',
      path: RISK,
      message: `no risk assessment at ${RISK}`,
    });
  });

  it('requires an impact assessment only when the tier calls for it', async () => {
    const files = conformantRepo();
    delete files[IMPACT];
    expect(findingsOf(await run(files), 'impact.required')).toHaveLength(1);
    const minimal = edit(
      edit(files, CARD, 'tier: high', 'tier: minimal'),
      RISK,
      'tier: high',
      'tier: minimal',
    );
    const evaluation = await run(minimal);
    expect(findingsOf(evaluation, 'impact.required')).toEqual([]);
    expect(findingsOf(evaluation, 'impact.recommended')).toEqual([]);
    const limited = edit(
      edit(files, CARD, 'tier: high', 'tier: limited'),
      RISK,
      'tier: high',
      'tier: limited',
    );
    expect(findingsOf(await run(limited), 'impact.recommended')).toMatchObject([{ severity: 'observation' }]);
  });
});

describe('document-valid', () => {
  it('names the line of an unknown key and suggests the key that was meant', async () => {
    const files = edit(conformantRepo(), RISK, '    likelihood: likely\n', '    likelyhood: likely\n');
    const findings = findingsOf(await run(files), 'risk.valid');
    expect(findings).toContainEqual(
      expect.objectContaining({
        path: RISK,
        line: 17,
        message: 'unknown key "likelyhood" in risks[0]',
        remedy: expect.stringContaining('"likelihood"'),
      }),
    );
  });

  it('reports a wrong type and an unparseable date', async () => {
    let files = edit(conformantRepo(), RISK, 'version: "3.2.0"', 'version: 3.2');
    files = edit(files, RISK, 'date: 2026-06-15', 'date: 15/06/2026');
    const messages = findingsOf(await run(files), 'risk.valid').map((f) => `${f.line} ${f.message}`);
    expect(messages).toEqual(['3 version must be a string', '4 date is not a date']);
  });
});

describe('fields', () => {
  it('reports each required governance fact that is missing', async () => {
    const files = edit(conformantRepo(), CARD, '  owner: "@acme/risk-ml"\n', '');
    const [finding] = findingsOf(await run(files), 'card.governance');
    expect(finding).toMatchObject({
      path: CARD,
      line: 3,
      message:
        'no owner for this system in its model card, models/credit-scoring/governance.yml or the config',
    });
  });

  it('takes governance facts from a governance.yml beside the card, or the config, so a Hub card needs no aims-gate keys', async () => {
    const hubCard = edit(conformantRepo(), CARD, /^---\ngovernance:\n(?: {2}.*\n)+/, '---\n');
    expect(findingsOf(await run(hubCard), 'card.governance')[0]?.message).toBe(
      'no system, owner, version, status, tier for this system in its model card, models/credit-scoring/governance.yml or the config',
    );
    const sidecar = {
      ...hubCard,
      'models/credit-scoring/governance.yml':
        'system: credit-scoring\nowner: "@acme/risk-ml"\nversion: "3.2.0"\nstatus: production\n',
      '.github/aims-gate.yml': 'systems:\n  - path: models/*\n    governance: { tier: high }\n',
    };
    const evaluation = await run(sidecar);
    expect(findingsOf(evaluation, 'card.governance')).toEqual([]);
    expect(evaluation.systems[0]).toMatchObject({
      id: 'credit-scoring',
      tier: 'high',
      owner: '@acme/risk-ml',
    });
    expect(evaluation.systems[0]!.evidence.map((e) => e.path)).toContain(
      'models/credit-scoring/governance.yml',
    );
    // A governance.yml that cannot be read is a finding, not a silent fallback.
    const broken = await run({ ...sidecar, 'models/credit-scoring/governance.yml': 'owner: [unclosed\n' });
    expect(findingsOf(broken, 'inventory.governance-file')[0]).toMatchObject({
      path: 'models/credit-scoring/governance.yml',
      message: expect.stringMatching(/^cannot be read: invalid YAML/),
    });
  });

  it('evaluates conditional schema fragments: a high harm needs mitigations', async () => {
    const files = edit(conformantRepo(), IMPACT, '    mitigations: [R-001, R-003]\n', '');
    const [finding] = findingsOf(await run(files), 'impact.harms-mitigated');
    expect(finding?.message).toBe('impacts[1] is missing the required key "mitigations"');
    expect(finding?.line).toBe(20);
  });
});

describe('sections', () => {
  it('finds sections at any heading level and case, ignoring "[optional]"', async () => {
    let files = edit(conformantRepo(), CARD, '### Out-of-Scope Use', '#### OUT-OF-SCOPE USE [optional]');
    files = edit(files, CARD, '## Bias, Risks, and Limitations', '# Bias, risks and limitations');
    expect(findingsOf(await run(files), 'card.intended-use')).toEqual([]);
    expect(findingsOf(await run(files), 'card.limitations')).toEqual([]);
  });

  it('treats placeholders, comments and empty label lines as no content', async () => {
    const files = edit(
      conformantRepo(),
      CARD,
      /## Bias, Risks, and Limitations\n\n[^#]*/,
      '## Bias, Risks, and Limitations\n\n<!-- Describe the limitations -->\n- **Known failure modes:** [More Information Needed]\n\n',
    );
    const [finding] = findingsOf(await run(files), 'card.limitations');
    expect(finding).toMatchObject({
      message: 'the "Bias, Risks, and Limitations" section is empty or holds only placeholders',
      line: 50,
    });
  });

  it('reports a missing section', async () => {
    const files = edit(conformantRepo(), CARD, /## Model Card Contact\n\n.*\n/, '');
    expect(findingsOf(await run(files), 'card.contact')).toMatchObject([
      { message: 'the model card has no "Model Card Contact" section', severity: 'observation' },
    ]);
  });
});

describe('risk-register', () => {
  it('checks score = likelihood × impact with labels on the declared scale', async () => {
    const files = edit(conformantRepo(), RISK, '    score: 16\n', '    score: 15\n');
    expect(findingsOf(await run(files), 'risk.scores')).toMatchObject([
      {
        line: 19,
        message: 'risk R-001: score 15 is not likelihood × impact (4 × 4 = 16)',
        remedy: expect.stringContaining('score: 16'),
      },
    ]);
  });

  it('reports a rating that is not on the scale', async () => {
    const files = edit(
      conformantRepo(),
      RISK,
      '    impact: major\n    score: 16',
      '    impact: catastrophic\n    score: 16',
    );
    expect(findingsOf(await run(files), 'risk.scores').map((f) => f.message)).toEqual([
      'risk R-001: impact "catastrophic" is not on the declared scale',
    ]);
  });

  it('reports a residual score above the inherent score, and a missing residual', async () => {
    let files = edit(
      conformantRepo(),
      RISK,
      'residual: { likelihood: unlikely, impact: moderate, score: 6 }',
      'residual: { likelihood: almost-certain, impact: major, score: 20 }',
    );
    files = edit(files, RISK, / {4}residual: \{ likelihood: unlikely, impact: major, score: 8 \}\n/, '');
    const messages = findingsOf(await run(files), 'risk.residual').map((f) => f.message);
    expect(messages).toEqual([
      'risk R-001 has no residual rating',
      'risk R-002: residual score 20 is higher than the inherent score 12',
    ]);
  });

  it('requires sign-off for high or accepted residual risk', async () => {
    const files = edit(conformantRepo(), RISK, /acceptance:\n( {2}.*\n)+/, '');
    expect(findingsOf(await run(files), 'risk.acceptance')).toMatchObject([
      { message: 'residual risk that is high or accepted (R-003) has no acceptance sign-off' },
    ]);
  });

  it('requires an owner and a treatment for every risk, and unique ids', async () => {
    let files = edit(conformantRepo(), RISK, '    owner: "@acme/model-monitoring"\n', '');
    files = edit(files, RISK, 'id: R-003', 'id: R-001');
    expect(findingsOf(await run(files), 'risk.ownership').map((f) => f.message)).toEqual([
      'risk R-002 has no owner',
      'risk id R-001 is used twice',
    ]);
  });
});

describe('freshness', () => {
  it('reports review dates that have passed, per risk', async () => {
    const evaluation = await run(conformantRepo(), { today: '2027-01-01' });
    expect(findingsOf(evaluation, 'risk.review-due').map((f) => `${f.line} ${f.message}`)).toEqual([
      '25 risks[0].review_date 2026-12-15 has passed (17 days ago)',
      '36 risks[1].review_date 2026-12-15 has passed (17 days ago)',
    ]);
    expect(findingsOf(evaluation, 'risk.next-review')).toHaveLength(1);
  });

  it('reports an assessment older than the limit', async () => {
    const evaluation = await run(conformantRepo(), { today: '2027-06-16' });
    expect(findingsOf(evaluation, 'risk.age').map((f) => f.message)).toEqual([
      'date 2026-06-15 is 366 days old, over the limit of 365',
    ]);
  });

  it('reports an assessment dated in the future, which would be fresh forever', async () => {
    const evaluation = await run(edit(conformantRepo(), RISK, 'date: 2026-06-15', 'date: 2099-11-15'));
    expect(findingsOf(evaluation, 'risk.age').map((f) => f.message)).toEqual([
      'date 2099-11-15 is in the future (today is 2026-11-01)',
    ]);
  });

  it('does not apply to a retired system', async () => {
    const files = edit(
      conformantRepo(),
      CARD,
      'status: production',
      'status: retired\n  retired_on: 2026-10-01',
    );
    const evaluation = await run(files, { today: '2028-01-01' });
    expect(
      evaluation.findings.filter((f) => f.rule.endsWith('review-due') || f.rule.endsWith('next-review')),
    ).toEqual([]);
  });
});

describe('consistency', () => {
  it('anchors the system id to the model card and names the document that differs', async () => {
    const files = edit(conformantRepo(), IMPACT, 'system: credit-scoring', 'system: credit-score');
    expect(findingsOf(await run(files), 'docs.system-id')).toMatchObject([
      {
        path: IMPACT,
        line: 2,
        message: `impact assessment gives system "credit-score" but the system's id is "credit-scoring"`,
      },
    ]);
  });

  it('reports differing versions and tiers', async () => {
    let files = edit(conformantRepo(), RISK, 'version: "3.2.0"', 'version: "3.1.0"');
    files = edit(files, RISK, 'tier: high', 'tier: limited');
    const evaluation = await run(files);
    expect(findingsOf(evaluation, 'docs.version').map((f) => f.path)).toEqual([RISK]);
    expect(findingsOf(evaluation, 'docs.tier').map((f) => f.message)).toEqual([
      `risk assessment gives tier "limited" but ${CARD} is "high"`,
    ]);
    // The higher tier still applies: the impact assessment stays required.
    expect(evaluation.systems[0]?.tier).toBe('high');
  });

  it('reports mitigations that name no risk', async () => {
    const files = edit(
      conformantRepo(),
      IMPACT,
      'mitigations: [R-001, R-003]',
      'mitigations: [R-001, R-009]',
    );
    expect(findingsOf(await run(files), 'impact.mitigations-exist')).toMatchObject([
      {
        line: 29,
        column: 26,
        message: `impact I-002 names mitigation R-009, which is not a risk id in ${RISK}`,
      },
    ]);
  });
});

describe('change-coupling', () => {
  it('reports watched files changed without the model card', async () => {
    const evaluation = await run(conformantRepo(), { changedFiles: ['models/credit-scoring/train.py'] });
    expect(findingsOf(evaluation, 'change.model-card')).toMatchObject([
      {
        path: CARD,
        message: `1 watched file changed (models/credit-scoring/train.py) but ${CARD} was not updated`,
      },
    ]);
    expect(findingsOf(evaluation, 'change.risk-assessment')).toHaveLength(1);
  });

  it('passes when the card changes too, and does not apply without a known change', async () => {
    expect(
      findingsOf(
        await run(conformantRepo(), { changedFiles: ['models/credit-scoring/train.py', CARD, RISK] }),
        'change.model-card',
      ),
    ).toEqual([]);
    expect(findingsOf(await run(conformantRepo()), 'change.model-card')).toEqual([]);
  });

  it('ignores changes outside the watch patterns', async () => {
    const evaluation = await run(
      { ...conformantRepo(), 'models/credit-scoring/notes.txt': 'x' },
      { changedFiles: ['models/credit-scoring/notes.txt'] },
    );
    expect(findingsOf(evaluation, 'change.model-card')).toEqual([]);
  });
});

describe('metric', () => {
  const withRule = (rule: string) => ({
    ...conformantRepo(),
    '.github/aims-gate.yml': `systems: [models/*]\nrules:\n${rule}`,
  });
  const parity = `  - id: fairness.parity
    title: Parity within bounds
    kind: metric
    metric: demographic_parity_difference
    max: 0.03
    severity: major
    controls: [A.6.2.4]
    remedy: Reduce the parity gap.
`;

  it('reports a metric outside its bounds at the line of its value', async () => {
    const [finding] = findingsOf(await run(withRule(parity)), 'fairness.parity');
    expect(finding).toMatchObject({
      path: CARD,
      line: 22,
      message: 'Parity difference (sex) = 0.04 on Loan applications holdout 2025 is above the maximum 0.03',
    });
  });

  it('passes within bounds, and reports a required metric that is not reported', async () => {
    expect(findingsOf(await run(withRule(parity.replace('0.03', '0.05'))), 'fairness.parity')).toEqual([]);
    const missing = findingsOf(
      await run(withRule(parity.replace('demographic_parity_difference', 'f1'))),
      'fairness.parity',
    );
    expect(missing.map((f) => f.message)).toEqual(['the model card reports no "f1" metric in model-index']);
  });
});
