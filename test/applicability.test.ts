import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AuditEntry, seal, sealSigned } from '../src/audit/entry.js';
import { deploymentEvent } from '../src/audit/events.js';
import { FileStore } from '../src/audit/file-store.js';
import { readEntries } from '../src/audit/read.js';
import type { Signer, TrustedKey } from '../src/audit/signature.js';
import type { VerifyResult } from '../src/audit/verify.js';
import { verifyLog } from '../src/audit/verify.js';
import { loadPolicy } from '../src/policy/load.js';
import { applicabilitySummary } from '../src/report/applicability.js';
import { buildAuditorReport } from '../src/report/auditor.js';
import { renderAuditorHtml } from '../src/report/auditor-html.js';
import { renderAuditorMarkdown } from '../src/report/auditor-markdown.js';
import { LocalSource } from '../src/sources/local.js';
import type { Evaluation } from '../src/types.js';
import { CARD, conformantRepo, EXAMPLE, exampleGateSigner, IMPACT, readTree, run } from './helpers.js';

const LOG = '.aims-gate/audit-log.jsonl';
const CHURN_IMPACT = 'models/churn-predictor/impact-assessment.yml';
const intact = (entries: number): VerifyResult => ({
  ok: true,
  entries,
  checkpoint: 'not-given',
  warnings: [],
});

async function exampleEntries(): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  for await (const entry of readEntries(new FileStore(join(EXAMPLE, LOG)))) entries.push(entry);
  return entries;
}

function report(
  evaluation: Evaluation,
  entries: AuditEntry[],
  verification = intact(entries.length),
  trusted?: TrustedKey[],
) {
  return buildAuditorReport({
    evaluation,
    entries,
    log: { path: LOG, found: true, verification, checkpointGiven: false },
    generated: '2026-11-02T00:00:00.000Z',
    ...(trusted ? { trusted } : {}),
  });
}

/** The example's report, with the keys its configuration trusts (its gate's, its governance lead's). */
async function example() {
  const store = new FileStore(join(EXAMPLE, LOG));
  const entries = await exampleEntries();
  const { signers } = await loadPolicy(new LocalSource(EXAMPLE));
  return report(await run(readTree(EXAMPLE)), entries, await verifyLog(store.lines()), signers);
}

const rowOf = (r: ReturnType<typeof report>, control: string) =>
  r.applicability.find((row) => row.control === control)!;

/** One gate decision, as the deployment gate writes it, sealed as the first entry of a log: signed, when given a key. */
async function gateDecision(signer?: Signer): Promise<AuditEntry> {
  const draft = deploymentEvent(
    { approved: true, reason: '2 of 2 approvals', systems: ['credit-scoring'] },
    {
      time: '2026-10-01T10:00:00.000Z',
      actor: { login: 'aims-gate[bot]' },
      subject: { repository: 'acme/ml', system: 'credit-scoring', environment: 'production' },
    },
  );
  return signer ? sealSigned(draft, undefined, signer) : seal(draft, undefined);
}

describe('the Statement of Applicability as it really is', () => {
  it('evidences at least 30 controls automatically on the example and its log, A.6.2.5 among them', async () => {
    const soa = await example();
    const automatic = soa.applicability.filter((r) => r.automatic).map((r) => r.control);
    expect(automatic.length).toBeGreaterThanOrEqual(30);
    expect(automatic).toEqual(
      expect.arrayContaining(['A.6.2.5', 'A.6.2.6', 'A.6.2.8', 'A.8.3', 'A.8.4', 'A.4.4', 'A.7.4', 'A.7.6']),
    );
    // The example's SoA declares every control: 37 applicable, A.10.4 excluded. Twelve it declares
    // implemented have open findings (or an open NC): each is flagged.
    expect(applicabilitySummary(soa.applicability)).toEqual({
      controls: 38,
      applicable: 37,
      excluded: 1,
      notDeclared: 0,
      automatic: 30,
      unevidenced: 7,
      flagged: 12,
      flags: 12,
    });
    // Every automatically evidenced control names a document it ran on or a log entry, never a bare count.
    for (const row of soa.applicability.filter((r) => r.automatic))
      expect(row.documents.length + row.entries.length, row.control).toBeGreaterThan(0);
  });

  it('says where a tier-limited rule applies and how many systems it ran on, never "every AI system"', async () => {
    const soa = await example();
    const row = rowOf(soa, 'A.6.2.4');
    expect(row.rules).toContainEqual({
      id: 'card.evaluation-results',
      where: 'tier is high or prohibited',
      appliedTo: ['credit-scoring'],
    });
    expect(row.rules).toContainEqual({ id: 'card.evaluation', appliedTo: expect.any(Array) });
    expect(row.tested).toContain(
      'by card.evaluation-results, fairness.parity (where tier is high or prohibited) on 1 of 3 AI systems: credit-scoring',
    );
    expect(row.tested).toContain(
      'by quality.accuracy (where status is production) on 2 of 3 AI systems: churn-predictor, credit-scoring',
    );
    expect(row.tested).toMatch(/^Checked by card\.evaluation on 3 of 3 AI systems;/);
    for (const r of soa.applicability) expect(r.tested).not.toContain('every AI system');
    // A rule that ran nowhere evidences nothing, and says why.
    expect(rowOf(soa, 'A.6.2.3').tested).toContain(
      'change.model-card (where status is not retired) on none of the 3 AI systems (it judges changes, and no change was judged here)',
    );
  });

  it('shows each control under its objective, A.6.1 and A.6.2 included, in both formats', async () => {
    const soa = await example();
    expect(rowOf(soa, 'A.6.1.2')).toMatchObject({
      objectiveId: 'A.6.1',
      objective: 'Management guidance for AI system development',
    });
    expect(rowOf(soa, 'A.6.2.5')).toMatchObject({ objectiveId: 'A.6.2', objective: 'AI system life cycle' });
    expect(renderAuditorMarkdown(soa)).toContain(
      '| A.6.1.2 Objectives for responsible development of AI system<br>_A.6.1 Management guidance for AI system development_ |',
    );
    expect(renderAuditorHtml(soa)).toContain(
      '<small class="objective">A.6.1 Management guidance for AI system development</small>',
    );
  });

  it('names the documents by path and SHA-256 and the log entries by sequence number, capped', async () => {
    const soa = await example();
    const sha256 = (path: string) =>
      createHash('sha256')
        .update(readFileSync(join(EXAMPLE, path)))
        .digest('hex');
    const digest = sha256(IMPACT);
    expect(rowOf(soa, 'A.7.4').documents).toEqual([{ path: CARD, sha256: sha256(CARD) }]);
    expect(rowOf(soa, 'A.9.2').documents).toEqual([
      { path: CHURN_IMPACT, sha256: sha256(CHURN_IMPACT) },
      { path: IMPACT, sha256: digest },
    ]);
    expect(rowOf(soa, 'A.6.2.5').entries).toEqual([
      { seq: 8, type: 'approval.given', system: 'credit-scoring' },
      { seq: 9, type: 'approval.given', system: 'credit-scoring' },
      { seq: 10, type: 'deployment.approved', system: 'credit-scoring' },
      { seq: 15, type: 'deployment.rejected', system: 'churn-predictor' },
    ]);
    expect(rowOf(soa, 'A.8.4').entries).toEqual([{ seq: 12, type: 'incident', system: 'credit-scoring' }]);
    // A config may name the log events that evidence a control: the example's fairness reviews, A.9.3.
    expect(rowOf(soa, 'A.9.3')).toMatchObject({
      automatic: true,
      status: 'conformant',
      entries: [{ seq: 18, type: 'custom.fairness-review', system: 'credit-scoring' }],
    });
    // Eight documents evidence A.6.2.7: five are listed, and the rest counted.
    const documentation = rowOf(soa, 'A.6.2.7');
    expect(documentation.documents).toHaveLength(5);
    expect(documentation.moreDocuments).toBe(3);

    const markdown = renderAuditorMarkdown(soa);
    expect(markdown).toContain(`\`${IMPACT}\` ${digest.slice(0, 12)}…`);
    expect(markdown).toContain('log #10 deployment approved, credit-scoring<br>log #15 deployment rejected');
    expect(markdown).toContain('and 3 more documents');
    const html = renderAuditorHtml(soa);
    expect(html).toContain(`<span class="digest" title="SHA-256 ${digest}">${digest.slice(0, 16)}…</span>`);
    expect(html).toContain('<li class="entry" data-seq="12">log #12 incident, credit-scoring</li>');
  });

  it('evidences A.6.2.5 from the gate’s decision in the log, and says what is missing without one', async () => {
    const evaluation = await run(conformantRepo());
    const gate = exampleGateSigner();
    const decision = await gateDecision(gate);
    const trusted: TrustedKey[] = [{ key: gate.publicKey, role: 'gate' }];
    const withDecision = rowOf(report(evaluation, [decision], undefined, trusted), 'A.6.2.5');
    expect(withDecision).toMatchObject({
      // The repository declares no SoA: the evidence is shown all the same, and the control flagged undeclared.
      applicable: 'not declared',
      automatic: true,
      status: 'conformant',
      entries: [{ seq: 1, type: 'deployment.approved', system: 'credit-scoring' }],
      flags: ['Not declared in the Statement of Applicability: every Annex A control must be.'],
      tested: expect.stringContaining(
        'The audit log records 1 entry that evidences it (deployment approved).',
      ),
    });
    expect(withDecision.missing).toBeUndefined();
    const without = rowOf(report(evaluation, []), 'A.6.2.5');
    expect(without).toMatchObject({ automatic: false, entries: [] });
    expect(without.missing).toContain(
      'No deployment.approved, deployment.rejected, approval.given, approval.withdrawn entry in the audit log.',
    );
  });

  it('counts no log entry from a verification break on', async () => {
    const entries = await exampleEntries();
    const broken: VerifyResult = {
      ok: false,
      entries: 7,
      checkpoint: 'not-given',
      warnings: [],
      problem: { line: 8, seq: 8, reason: 'entry 8 was changed after it was written' },
    };
    const soa = report(await run(readTree(EXAMPLE)), entries, broken);
    expect(rowOf(soa, 'A.6.2.5')).toMatchObject({ automatic: false, entries: [] });
    expect(rowOf(soa, 'A.6.2.5').missing).toContain(
      'No deployment.approved, deployment.rejected, approval.given, approval.withdrawn entry in the audit log before its verification break (4 after it cannot be relied on).',
    );
    expect(rowOf(soa, 'A.6.2.5')).toMatchObject({ status: 'not-evaluated' });
    expect(rowOf(soa, 'A.8.4')).toMatchObject({ automatic: false, entries: [] });
    expect(rowOf(soa, 'A.6.2.6').entries.map((e) => e.seq)).toEqual([5]);
    expect(rowOf(soa, 'A.6.2.8')).toMatchObject({ status: 'major' });
  });

  it('flags a control declared not applicable that findings or rules say applies, in both formats', async () => {
    const files: Record<string, string> = {
      ...conformantRepo(),
      '.github/aims-gate.yml': `systems: [models/*]
statement-of-applicability:
  A.6.2.4: { applicable: false, justification: We verify nothing ourselves. }
  A.10.4: { applicable: false, justification: No customers. }
`,
    };
    // No evaluation section and no model-index metrics (either satisfies card.evaluation): two findings.
    files[CARD] = files[CARD]!.replace('## Evaluation', '## Notes').replace(
      /^model-index:[\s\S]*?(?=^---)/m,
      '',
    );
    const evaluation = await run(files);
    // The deprecated config map still reads, as the organisation's declaration, with a notice to move it.
    expect(evaluation.notices.join('\n')).toContain(
      'statement-of-applicability map in .github/aims-gate.yml is deprecated',
    );
    const soa = report(evaluation, []);
    const flagged = rowOf(soa, 'A.6.2.4');
    expect(flagged).toMatchObject({
      applicable: 'no',
      justification: 'Excluded: We verify nothing ourselves.',
    });
    expect(flagged.flags).toEqual([
      'Declared not applicable, yet 2 open findings cite it.',
      'Declared not applicable, yet card.evaluation, card.evaluation-results ran on 1 AI system here.',
    ]);
    expect(rowOf(soa, 'A.10.4')).toMatchObject({ applicable: 'no', status: 'excluded', flags: [] });
    expect(applicabilitySummary(soa.applicability)).toMatchObject({
      flagged: 37,
      excluded: 2,
      notDeclared: 36,
    });
    const markdown = renderAuditorMarkdown(soa);
    expect(markdown).toContain("Declared in the config's deprecated statement-of-applicability map");
    expect(markdown).toMatch(
      /\| A\.6\.2\.4 AI system verification .* \| ⚠ Declared not applicable, yet 2 open findings cite it\.<br>⚠ Declared not applicable, yet card\.evaluation/,
    );
    const html = renderAuditorHtml(soa);
    expect(html).toContain('<tr data-control="A.6.2.4" data-applicable="no" data-flags="2"');
    expect(html).toContain(
      '<div class="card" id="count-flagged"><span class="value">37</span><span class="label">',
    );
  });

  it('a rule that ran on no system leaves its control not evaluated, and says so', async () => {
    // The conformant repository has no prohibited system: the one rule citing A.9.3 ran nowhere.
    const soa = report(await run(conformantRepo()), []);
    expect(rowOf(soa, 'A.9.3')).toMatchObject({
      applicable: 'not declared',
      status: 'not-evaluated',
      automatic: false,
      missing: 'card.prohibited-not-deployed ran on no AI system.',
    });
  });
});
