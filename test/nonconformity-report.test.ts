import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../src/audit/entry.js';
import { FileStore } from '../src/audit/file-store.js';
import { nonconformityRegister } from '../src/audit/nonconformities.js';
import { readEntries } from '../src/audit/read.js';
import { verifyLog } from '../src/audit/verify.js';
import { loadPolicy } from '../src/policy/load.js';
import { applicabilityRows } from '../src/report/applicability.js';
import { buildAuditorReport } from '../src/report/auditor.js';
import { renderAuditorHtml } from '../src/report/auditor-html.js';
import { renderAuditorMarkdown } from '../src/report/auditor-markdown.js';
import { summaryTiles } from '../src/report/auditor-words.js';
import { kpis } from '../src/report/kpis.js';
import { LocalSource } from '../src/sources/local.js';
import type { Objective } from '../src/types.js';
import { EXAMPLE, readTree, run } from './helpers.js';

async function exampleReport() {
  const evaluation = await run(readTree(EXAMPLE));
  const store = new FileStore(`${EXAMPLE}/.aims-gate/audit-log.jsonl`);
  const entries: AuditEntry[] = [];
  for await (const entry of readEntries(store)) entries.push(entry);
  const { signers } = await loadPolicy(new LocalSource(EXAMPLE));
  return buildAuditorReport({
    evaluation,
    entries,
    log: {
      path: '.aims-gate/audit-log.jsonl',
      found: true,
      verification: await verifyLog(store.lines()),
      checkpointGiven: false,
    },
    generated: '2026-11-02T00:00:00.000Z',
    trusted: signers,
  });
}

describe('the register in the auditor’s report (10.2)', () => {
  it('shows the example’s nonconformities: owners from governance facts, reviews by someone else, links, observations apart', async () => {
    const report = await exampleReport();
    const nc = (id: string) => report.nonconformities.find((n) => n.id === id)!;
    // The incident's: its first closure lacked a root cause and a review, so it did not count.
    expect(nc('NC-13')).toMatchObject({
      rootCause: expect.stringContaining('mailbox'),
      refusedClosures: [
        {
          seq: 17,
          reasons: [
            'no root cause recorded',
            'no effectiveness review',
            expect.stringContaining('closed unsigned'),
          ],
        },
      ],
      closed: {
        seq: 32,
        independence: { status: 'verified', signed: true, who: 'gov-lead (EXAMPLE ONLY)' },
      },
    });
    // The gate's, owned by the system's owner, closed once corrected and reviewed by the governance lead.
    const automatic = report.nonconformities.find(
      (n) => n.source === 'check' && n.system === 'credit-scoring',
    )!;
    expect(automatic).toMatchObject({
      owner: '@acme/risk-ml',
      corrected: { seq: 29 },
      closed: { seq: 30, independence: { status: 'verified' } },
    });
    // The internal audit's nonconformity and the gate's for the same defect, linked both ways.
    const gate = report.nonconformities.find((n) => n.rule === 'impact.mitigations-exist')!;
    expect(nc('NC-19').links).toEqual([gate.id]);
    expect(gate.links).toEqual(['NC-19']);
    expect(nc('NC-24').regrades).toMatchObject([{ from: 'minor', to: 'major', reason: expect.any(String) }]);
    expect(nc('NC-35')).toMatchObject({ grade: 'observation', dueByDefault: false });
    expect(nc('NC-35').due).toBeUndefined();

    const markdown = renderAuditorMarkdown(report);
    const observations = markdown.slice(markdown.indexOf('### Observations'));
    expect(observations.slice(0, observations.indexOf('## 5.'))).toContain('| NC-35 | credit-scoring |');
    const register = markdown.slice(markdown.indexOf('## 4.'), markdown.indexOf('### Observations'));
    expect(register).not.toContain('NC-35');
    expect(register).toContain(
      'Regraded minor → major by gov-lead (entry 34): A second year without an audit of 10.2',
    );
    expect(register).toContain('Linked with NC-19.');
    expect(register).toContain(
      'effectiveness reviewed 2026-10-30 (entry 31) by gov-lead (EXAMPLE ONLY) (signed; not the action owner',
    );
    expect(register).toContain('⚠ entry 17 closes NC-13 without what a closure needs');
    // The example verifies persons (its config lists the governance lead's key): a root cause or an action typed
    // in unsigned is shown as that, not as fact.
    const nc13 = register.match(/\| NC-13 \|[^\n]*/)?.[0];
    expect(nc13).toContain('retraining had no PSI gate (as typed by dana, unsigned) |');
    expect(nc13).toContain('PSI over 0.2 (dana), done 2026-09-18 (as typed by dana, unsigned);');
  });

  it('counts findings and nonconformities with their own words, closures of each kind apart, objectives as met or missed', async () => {
    const report = await exampleReport();
    const tiles = Object.fromEntries(summaryTiles(report).map((t) => [t.id, t]));
    expect(tiles.major).toEqual({ id: 'major', value: 4, label: 'open major findings' });
    expect(tiles.minor).toEqual({ id: 'minor', value: 9, label: 'open minor findings' });
    expect(tiles.nonconformities).toMatchObject({ value: 14, label: 'open nonconformities (register)' });
    expect(tiles['nc-major']!.value + tiles['nc-minor']!.value).toBe(14);
    expect(tiles['register-observations']!.value).toBe(1);
    // A finding is never called a nonconformity: only the register's tiles say the word.
    for (const tile of Object.values(tiles))
      if (/nonconformit/.test(tile.label)) expect(['nonconformities', 'overdue']).toContain(tile.id);
    expect(report.kpis.daysToClose.automatic).toEqual({ closed: 1, median: 1, mean: 1 });
    expect(report.kpis.daysToClose.manual).toEqual({ closed: 1, median: 86, mean: 86 });
    expect(report.kpis.objectives.map((o) => [o.objective.id, o.status, o.value])).toEqual([
      ['OBJ-1', 'missed', 6],
      ['OBJ-2', 'met', 86],
      ['OBJ-3', 'met', 'met'],
    ]);
    const html = renderAuditorHtml(report);
    expect(html).toContain(
      '<div class="card" id="count-major"><span class="value">4</span><span class="label">open major findings</span></div>',
    );
    expect(html).toMatch(/<tr data-objective="OBJ-1" data-status="missed">.*MISSED<\/td><\/tr>/);
    expect(html).toContain('<h3 id="observations">');
  });

  it('measures objectives from the figures, says when nothing could be measured, and reads a recorded review', () => {
    const objective = (metric: Objective['metric'], target: Objective['target']): Objective => ({
      id: metric,
      title: metric,
      metric,
      target,
    });
    const review = {
      v: 1,
      seq: 1,
      time: '2026-10-01T00:00:00Z',
      type: 'objective.reviewed',
      actor: { login: 'lead' },
      subject: {},
      details: { objective: 'reviewed', target: 'x', result: 'partly met' },
      evidence: [],
      prev: '0'.repeat(64),
      hash: '0'.repeat(64),
    } as AuditEntry;
    const figures = kpis([review], nonconformityRegister([]), {
      today: '2026-11-01',
      overdueReviews: 2,
      findings: { major: 1, minor: 2, observation: 3 },
      objectives: [
        objective('open-findings', { max: 6 }),
        objective('overdue-reviews', { min: 3 }),
        objective('median-days-to-close', { max: 30 }),
        objective('reviewed', 'all reviewed'),
      ],
    });
    expect(figures.objectives.map((o) => [o.status, o.basis])).toEqual([
      ['met', '6 as of 2026-11-01'],
      ['missed', '2 as of 2026-11-01'],
      ['not measured', 'no nonconformity of that kind has closed yet'],
      ['missed', 'objective.reviewed in entry 1 (2026-10-01): partly met'],
    ]);
  });

  it('gives an Annex A control the grade of an open nonconformity opened by hand, however clean its documents', async () => {
    const evaluation = await run(readTree(EXAMPLE));
    const log = { path: 'log', found: false };
    const before = applicabilityRows(evaluation, log, []).find((r) => r.control === 'A.10.4')!;
    const rows = applicabilityRows(
      evaluation,
      log,
      [],
      [
        { id: 'NC-7', controls: ['A.10.4', 'A.6.2.8'], grade: 'minor' },
        { id: 'NC-8', controls: ['A.6.2.8'], grade: 'observation' },
      ],
    );
    const row = (control: string) => rows.find((r) => r.control === control)!;
    expect(before.status).toBe('excluded');
    expect(row('A.10.4')).toMatchObject({
      status: 'minor',
      tested: expect.stringContaining('Open in the nonconformity register: NC-7 (minor).'),
      flags: [expect.stringContaining('open nonconformities cite it (NC-7)')],
    });
    // An observation is no nonconformity: it does not worsen a minor one, and no flag calls it one.
    expect(row('A.6.2.8').status).toBe('minor');
    expect(row('A.6.2.8').flags.join(' ')).not.toContain('NC-8');
  });
});
