import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../src/audit/entry.js';
import { FileStore } from '../src/audit/file-store.js';
import { readEntries } from '../src/audit/read.js';
import { verifyLog } from '../src/audit/verify.js';
import { buildAuditorReport } from '../src/report/auditor.js';
import { renderAuditorHtml } from '../src/report/auditor-html.js';
import { renderAuditorMarkdown } from '../src/report/auditor-markdown.js';
import { EXAMPLE, readTree, run } from './helpers.js';

async function exampleReport() {
  const evaluation = await run(readTree(EXAMPLE));
  const store = new FileStore(`${EXAMPLE}/.aims-gate/audit-log.jsonl`);
  const entries: AuditEntry[] = [];
  for await (const entry of readEntries(store)) entries.push(entry);
  const verification = await verifyLog(store.lines());
  return buildAuditorReport({
    evaluation,
    entries,
    log: { path: '.aims-gate/audit-log.jsonl', found: true, verification, checkpointGiven: false },
    generated: '2026-11-02T00:00:00.000Z',
  });
}

describe("the auditor's report", () => {
  it('lists all 38 Annex A controls in the Statement of Applicability, none dropped', async () => {
    const report = await exampleReport();
    expect(report.applicability).toHaveLength(38);
    const row = (control: string) => report.applicability.find((r) => r.control === control)!;
    // Each control under its narrowest objective: A.6 has the sub-objectives A.6.1 and A.6.2.
    expect(row('A.6.1.2').objective).toBe('Management guidance for AI system development');
    expect(row('A.6.2.5').objective).toBe('AI system life cycle');
    expect(row('A.5.3').objective).toBe('Assessing impacts of AI systems');
    // Evidenced by rules in the repository, with the documents they ran on (path and SHA-256).
    expect(row('A.5.3')).toMatchObject({ applicable: 'yes', status: 'major', automatic: true });
    expect(row('A.5.3').documents.map((d) => d.path)).toEqual([
      'models/churn-predictor/impact-assessment.yml',
      'models/churn-predictor/risk-assessment.yml',
      'models/credit-scoring/impact-assessment.yml',
      'models/credit-scoring/risk-assessment.yml',
    ]);
    expect(row('A.5.3').rules.map((r) => r.id)).toEqual(
      expect.arrayContaining(['impact.required', 'impact.valid', 'impact.mitigations-exist']),
    );
    // Organisational controls: the organisation's SoA declares them, with owner, status and evidence.
    expect(row('A.2.2')).toMatchObject({
      applicable: 'yes',
      declared: { status: 'implemented', owner: '@acme/ai-governance' },
      justification:
        'Regulatory requirement: EU AI Act Art. 17 quality management system for high-risk AI (credit-scoring).',
      status: 'no evidence',
      automatic: false,
      evidence: ['https://intranet.acme.example/policies/ai-policy-v2.pdf'],
      flags: [],
    });
    expect(row('A.10.4')).toMatchObject({
      applicable: 'no',
      status: 'excluded',
      justification: expect.stringContaining('used internally'),
    });
    // Each system's card states its own event logging (a section: documented); the verified governance log
    // only supports the control.
    expect(row('A.6.2.8')).toMatchObject({
      applicable: 'yes',
      status: 'documented',
      automatic: true,
      evidence: ['.aims-gate/audit-log.jsonl (the governance log: supporting evidence only)'],
      entries: [],
    });
    expect(row('A.6.2.8').documents.map((d) => d.path)).toEqual([
      'models/churn-predictor/MODEL_CARD.md',
      'models/credit-scoring/MODEL_CARD.md',
    ]);
    // What the auditor found "not addressed" is the organisation's to declare, and it does.
    for (const control of ['A.8.5', 'A.10.2', 'A.10.3'])
      expect(row(control)).toMatchObject({ applicable: 'yes', rules: [], flags: [] });
    expect(row('A.8.5').missing).toBe(
      'No rule of the policy cites it: aims-gate cannot check the evidence the SoA names.',
    );
    expect(report.applicability.filter((r) => r.applicable === 'not declared')).toEqual([]);
  });

  it('has the timeline per system, the gate decisions and the open findings by control', async () => {
    const report = await exampleReport();
    expect(report.totalEvents).toBe(36);
    const credit = report.systems.find((s) => s.id === 'credit-scoring')!;
    expect(credit.events.map((e) => e.type)).toEqual([
      'system.registered',
      'model.retrained',
      'documents.changed',
      'evaluated',
      'approval.given',
      'approval.given',
      'deployment.approved',
      'monitoring.alert',
      'incident',
      'nonconformity.opened',
      'corrective-action.planned',
      'corrective-action.completed',
      'nonconformity.closed',
      'custom.fairness-review',
      'evaluated',
      'nonconformity.updated',
      'nonconformity.updated',
      'evaluated',
      'nonconformity.reviewed',
      'nonconformity.reviewed',
      'nonconformity.closed',
      'nonconformity.opened',
    ]);
    expect(report.approvals.map((e) => e.actor.login)).toEqual(['dana-w', 'gov-lead']);
    expect(report.deployments.map((d) => `${d.decision} ${d.system} ${d.environment}`)).toEqual([
      'approved credit-scoring production',
      'rejected churn-predictor production',
    ]);
    // Written as the gate writes them: each names the workflow run that wrote it.
    expect(report.deployments.map((d) => d.writer)).toEqual([
      'https://github.com/acme/ml-platform/actions/runs/9876543210',
      'https://github.com/acme/ml-platform/actions/runs/9912345678',
    ]);
    expect(
      report.findingsByControl.find((c) => c.control === 'A.6.1.3')?.findings.map((f) => f.rule),
    ).toEqual(['risk.scores', 'risk.residual']);
  });

  it('renders as Markdown with every section, and says when verification failed', async () => {
    const report = await exampleReport();
    const markdown = renderAuditorMarkdown(report);
    for (const heading of [
      '## 1. Audit log verification',
      '## 2. AI system inventory',
      '## 3. Figures for management review',
      '## 4. Nonconformity register (14 open, 2 closed)',
      '### Observations (no nonconformities: no due date, not counted)',
      '## 5. Deployment register',
      '## 6. Timeline per system (36 events)',
      '## 6a. Approvals recorded outside a gate decision',
      '## 7. Open findings by control',
      '## 8. Waivers',
      '## 9. Statement of Applicability',
    ]) {
      expect(markdown).toContain(heading);
    }
    expect(markdown).toContain('✅ The hash chain of .aims-gate/audit-log.jsonl is intact: 36 entries.');
    expect(markdown).toContain(
      '| A.10.4 Customers<br>_A.10 Third-party and customer relationships_ | not applicable | Excluded: Acme provides no AI systems to customers; all AI systems are used internally. | — | — | excluded, and no evidence says otherwise | — |',
    );
    expect(markdown).toMatch(
      /\| credit-scoring \| `models\/credit-scoring` \| @acme\/risk-ml \| high \| production \| 3\.2\.0 \| `models\/credit-scoring\/impact-assessment\.yml` [0-9a-f]{12}…/,
    );
    const failed = renderAuditorMarkdown({
      ...report,
      log: {
        ...report.log,
        verification: {
          ok: false,
          entries: 4,
          checkpoint: 'not-given',
          warnings: [],
          problem: { line: 5, seq: 5, reason: 'entry 5 was changed after it was written' },
        },
      },
    });
    expect(failed).toContain(
      '❌ Verification FAILED at entry 5 (line 5): entry 5 was changed after it was written.',
    );
    // Entries from the break on are marked in both formats; those before it are not.
    const broken = {
      ...report,
      log: {
        ...report.log,
        verification: { ...report.log.verification!, ok: false, problem: { line: 5, seq: 5, reason: 'x' } },
      },
    };
    const marked = [...failed.matchAll(/^\| (\d+) ⚠ after the break \|/gm)].map((m) => Number(m[1]));
    expect(marked.length).toBeGreaterThan(0);
    expect(marked.every((seq) => seq >= 5)).toBe(true);
    const html = renderAuditorHtml(broken);
    expect(html).toMatch(
      /<tr class="event unproven"[^>]*><td>5 <span class="mark">⚠ after the break<\/span>/,
    );
    expect(html).not.toMatch(/<tr class="event unproven"[^>]*><td>4 /);
  });
});

describe('the auditor report of a large log', () => {
  it('lists a bounded number of events and decisions, says how many more there are, and honours --since', async () => {
    const evaluation = await run(readTree(EXAMPLE));
    const entries: AuditEntry[] = [];
    for (let i = 1; i <= 30_000; i++)
      entries.push({
        v: 1,
        seq: i,
        time: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
        type: i % 50 === 0 ? 'deployment.approved' : 'model.retrained',
        actor: { login: 'ci-bot' },
        subject: { system: `system-${i % 1000}`, environment: 'production' },
        details: {},
        evidence: [],
        prev: '0'.repeat(64),
        hash: '0'.repeat(64),
      });
    const build = (since?: string) =>
      buildAuditorReport({
        evaluation,
        entries,
        log: {
          path: 'log',
          found: true,
          verification: { ok: true, entries: 30_000, checkpoint: 'not-given', warnings: [] },
          checkpointGiven: false,
          ...(since ? { since } : {}),
        },
        generated: '2026-11-02T00:00:00.000Z',
      });
    const report = build();
    const listed = report.systems.reduce((n, s) => n + s.events.length, 0);
    expect(listed).toBeLessThanOrEqual(5_000);
    expect(listed + report.systems.reduce((n, s) => n + s.earlier, 0)).toBe(30_000);
    expect(report.deployments).toHaveLength(500);
    expect(report.earlierDeployments).toBe(100);
    expect(renderAuditorHtml(report)).toContain('100 earlier ones are in the log');
    // Only what happened since a date is listed and counted; the figures are whole months from its month on.
    const since = build('2026-01-21');
    expect(since.deployments.every((d) => d.time >= '2026-01-21')).toBe(true);
    expect(since.deployments.length).toBeLessThan(report.deployments.length);
    expect(since.kpis.months.find((m) => m.month === '2026-01')?.approved).toBe(600);
  });
});
