import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AUDIT_FORMAT, type AuditEntry } from '../src/audit/entry.js';
import { buildAuditorReport } from '../src/report/auditor.js';
import { renderAuditorHtml } from '../src/report/auditor-html.js';
import { renderAuditorMarkdown } from '../src/report/auditor-markdown.js';
import { clauseGapWords, clauseReport } from '../src/report/clauses.js';
import { cli, expectRefusedUnwritten } from './cli-in-process.js';
import { EXAMPLE, readTree, run } from './helpers.js';

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/** The example with a two-audit programme: one by the owner of a system it covers. */
function repoWithProgramme(): string {
  const repo = mkdtempSync(join(tmpdir(), 'aims-clauses-'));
  temps.push(repo);
  cpSync(EXAMPLE, repo, { recursive: true });
  // The example's own programme is replaced by one made for these tests.
  const config = join(repo, '.github/aims-gate.yml');
  writeFileSync(config, readFileSync(config, 'utf8').replace(/^audits:\n(?: .*\n)+/m, ''));
  appendFileSync(
    config,
    `audits:
  - id: IA-1
    scope: { systems: [credit-scoring], clauses: ["8.2", "9.2"] }
    criteria: ISO/IEC 42001:2023 clauses 8 and 9
    planned: 2026-10-15
    auditor: "@acme/internal-audit"
  - id: IA-2
    scope: { systems: [credit-scoring, churn-predictor] }
    criteria: Risk treatment of the systems in production
    planned: 2026-11-20
    auditor: "@acme/risk-ml"
  - id: IA-3
    scope: { controls: [A.5.3, A.5.4] }
    criteria: Impact assessments
    planned: 2026-12-01
    auditor: "@acme/risk-ml"
`,
  );
  return repo;
}

// Each record reads the repository and the log: seconds on a loaded 2-core machine.
describe('organisation events and the internal audit programme', { timeout: 120_000 }, () => {
  it('refuses what cannot be recorded truthfully: exit 2, nothing written', async () => {
    const repo = repoWithProgramme();
    const log = join(repo, '.aims-gate/audit-log.jsonl');
    const review = [
      '--detail',
      'attendees=CEO, CTO',
      '--detail',
      'inputs=audits',
      '--detail',
      'decisions=none',
    ];
    const refused = [
      [
        ['record', '--type', 'management.review', '--system', 'credit-scoring', ...review],
        "management.review is an event of the organisation's management system, not of one AI system",
      ],
      [['record', '--type', 'incident'], 'record needs --system'],
      [
        ['record', '--type', 'management.review', '--detail', 'attendees=CEO'],
        'management.review (clause 9.3) needs --detail inputs=… (what was reviewed',
      ],
      [
        [
          'record',
          '--type',
          'objective.reviewed',
          '--detail',
          'objective=o',
          '--detail',
          'target=t',
          '--detail',
          'result=fine',
        ],
        '--detail result must be one of met, missed, partly met',
      ],
      [
        ['record', '--type', 'audit.performed', '--detail', 'audit=IA-9', '--detail', 'findings=none'],
        '--detail audit=IA-9 is no audit of the programme (IA-1, IA-2, IA-3)',
      ],
      [
        ['record', '--type', 'audit.planned', '--detail', 'audit=IA-1', '--detail', 'criteria=whatever'],
        "--detail criteria is the programme's (audits: IA-1)",
      ],
      // The programme's auditor owns a system the audit covers.
      [
        ['record', '--type', 'audit.planned', '--detail', 'audit=IA-2'],
        '@acme/risk-ml cannot audit IA-2: they own system credit-scoring, which the audit covers',
      ],
      // So does the substitute who performed it, typed in any case, with or without "@".
      [
        [
          'record',
          '--type',
          'audit.performed',
          '--detail',
          'audit=IA-1',
          '--detail',
          'findings=none',
          '--detail',
          'auditor=ACME/risk-ml',
        ],
        'ACME/risk-ml cannot audit IA-1: they own system credit-scoring',
      ],
    ] as const;
    await expectRefusedUnwritten(refused, repo, log);
  });

  it('records the organisation events without a system, an audit with its plan copied from the programme', async () => {
    const repo = repoWithProgramme();
    const review = await cli(
      [
        'record',
        '--type',
        'management.review',
        '--detail',
        'attendees=CEO, CTO, AI governance lead',
        '--detail',
        'inputs=internal audit IA-1, open nonconformities',
        '--detail',
        'decisions=fund a second auditor',
      ],
      repo,
    );
    expect(review.code).toBe(0);
    expect(review.stdout).toMatch(/^recorded entry \d+ \(management\.review, the organisation\)/);
    // An audit of clause 9.2 covers the nonconformities citing it: their owner is no independent auditor.
    expect(
      await cli(
        [
          ...['record', '--type', 'audit.performed', '--detail', 'audit=IA-1'],
          ...['--detail', 'auditor=gov-lead', '--detail', 'findings=none'],
        ],
        repo,
      ),
    ).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('gov-lead cannot audit IA-1: they own NC-24 (clause 9.2)'),
    });
    const performed = await cli(
      ['record', '--type', 'audit.performed', '--detail', 'audit=IA-1', '--detail', 'findings=NC-19'],
      repo,
    );
    expect(performed.code).toBe(0);
    expect(performed.stderr).toContain('the auditor (@acme/internal-audit) and who recorded this');
    expect(performed.stderr).toContain('are as typed, which nobody vouched for');
    const entries = (await cli(['log', '--type', 'audit.performed', '-f', 'json'], repo)).stdout
      .trim()
      .split('\n');
    const entry = JSON.parse(entries.at(-1)!);
    expect(entry.subject.system).toBeUndefined();
    expect(entry.details).toEqual({
      audit: 'IA-1',
      findings: 'NC-19',
      auditor: '@acme/internal-audit',
      criteria: 'ISO/IEC 42001:2023 clauses 8 and 9',
      planned: '2026-10-15',
      systems: ['credit-scoring'],
      clauses: ['8.2', '9.2'],
    });
    // Performed once: a second record would hide the first one's results.
    expect(
      await cli(
        ['record', '--type', 'audit.performed', '--detail', 'audit=IA-1', '--detail', 'findings=none'],
        repo,
      ),
    ).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('audit IA-1 was performed in entry'),
    });
    // Controls are owned where the organisation's SoA says: its owner of A.5.4 cannot audit it.
    expect(
      await cli(
        ['record', '--type', 'audit.performed', '--detail', 'audit=IA-3', '--detail', 'findings=none'],
        repo,
      ),
    ).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        '@acme/risk-ml cannot audit IA-3: they own control A.5.4 (governance/statement-of-applicability.yml)',
      ),
    });
    expect(
      (
        await cli(
          ['record', '--type', 'policy.approved', '--detail', 'policy=AI policy', '--detail', 'version=3'],
          repo,
        )
      ).code,
    ).toBe(0);
  });

  it('refuses a programme with an unknown clause, or two audits of one id', async () => {
    for (const [clause, message] of [
      ['9.4', /clauses|9\.4/],
      ['9.2', /a second audit with id IA-1/],
    ] as const) {
      const repo = repoWithProgramme();
      appendFileSync(
        join(repo, '.github/aims-gate.yml'),
        `  - { id: IA-1, scope: { clauses: ["${clause}"] }, criteria: c, planned: 2026-12-01, auditor: x }\n`,
      );
      const result = await cli(['check'], repo);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('aims-gate.yml');
      expect(result.stderr).toMatch(message);
    }
  });
});

function entry(seq: number, type: string, details: AuditEntry['details'], time: string): AuditEntry {
  return {
    v: AUDIT_FORMAT,
    seq,
    time,
    type: type as AuditEntry['type'],
    actor: { login: 'gov-lead', via: 'typed' },
    subject: {},
    details,
    evidence: [],
    prev: '0'.repeat(64),
    hash: '0'.repeat(64),
  };
}

describe("the auditor report's clauses 4 to 10", () => {
  it('says per clause what the log evidences, by entry, and what it does not; planned audits against performed', async () => {
    const evaluation = await run(readTree(EXAMPLE), { today: '2026-12-01' });
    evaluation.policy.audits = [
      {
        id: 'IA-1',
        scope: { systems: ['credit-scoring'], clauses: ['8.2'] },
        criteria: 'clauses 8 and 9',
        planned: '2026-10-15',
        auditor: '@acme/internal-audit',
      },
      {
        id: 'IA-2',
        scope: { clauses: ['10.2'] },
        criteria: 'management review',
        planned: '2026-11-20',
        auditor: 'x',
      },
      { id: 'IA-3', scope: { clauses: ['7.5'] }, criteria: 'documents', planned: '2027-02-01', auditor: 'x' },
    ];
    const entries = [
      entry(
        1,
        'management.review',
        { attendees: 'CEO', inputs: 'audits', decisions: 'none' },
        '2026-11-01T10:00:00Z',
      ),
      entry(2, 'audit.planned', { audit: 'IA-1' }, '2026-09-01T10:00:00Z'),
      entry(
        3,
        'audit.performed',
        { audit: 'IA-1', auditor: '@acme/internal-audit', findings: 'NC-4' },
        '2026-10-16T10:00:00Z',
      ),
      entry(
        4,
        'nonconformity.opened',
        { grade: 'minor', source: 'internal-audit', title: 't', clauses: ['9.2'] },
        '2026-10-16T11:00:00Z',
      ),
      entry(5, 'audit.performed', { audit: 'IA-9', findings: 'none' }, '2026-10-17T10:00:00Z'),
      // Recorded again (record refuses it; a log may hold it): shown, never replacing the first results.
      entry(6, 'audit.performed', { audit: 'IA-1', findings: 'none' }, '2026-10-18T10:00:00Z'),
    ];
    const report = buildAuditorReport({
      evaluation,
      entries,
      log: {
        path: 'log',
        found: true,
        checkpointGiven: false,
        verification: { ok: true, entries: 5, warnings: [] } as never,
      },
      generated: '2026-12-01T00:00:00.000Z',
    });
    const clause = (id: string) => report.clauses.clauses.find((c) => c.clause === id)!;
    // One row per clause of the standard, 4.1 to 10.2; subclauses are cited, and shown on their clause's row.
    expect(report.clauses.clauses.map((c) => c.clause)).toHaveLength(24);
    expect(report.clauses.clauses.at(0)).toMatchObject({ clause: '4.1', evidenced: false });
    expect(report.clauses.clauses.at(-1)?.clause).toBe('10.2');
    expect(clause('9.3')).toMatchObject({ evidenced: true, entries: { count: 1, latest: [{ seq: 1 }] } });
    expect(clause('10.2')).toMatchObject({ evidenced: true, entries: { count: 1, latest: [{ seq: 4 }] } });
    expect(clause('9.2')).toMatchObject({
      evidenced: true,
      entries: { count: 4 },
      nonconformities: [{ id: 'NC-4', open: true }],
    });
    // Nothing in the log for it: what would evidence it is named.
    const bare = clauseReport(evaluation, [], []).clauses.find((c) => c.clause === '9.2')!;
    expect(bare).toMatchObject({ evidenced: false, types: ['audit.planned', 'audit.performed'] });
    expect(clauseGapWords(bare)).toBe('no audit.planned or audit.performed entry in the log');
    // Risk assessment (6.1.2) is evidenced by the documents the baseline's rules check, on the row of 6.1.
    expect(clause('6.1').rules.map((r) => r.id)).toContain('risk.required');
    expect(report.clauses.programme.map((p) => [p.audit.id, Boolean(p.performed), p.overdue])).toEqual([
      ['IA-1', true, false],
      ['IA-2', false, true],
      ['IA-3', false, false],
    ]);
    expect(report.clauses.unplanned).toEqual([{ seq: 5, audit: 'IA-9' }]);

    const markdown = renderAuditorMarkdown(report);
    expect(markdown).toContain('## 10. Management system, clauses 4 to 10 (ISO/IEC 42001:2023)');
    expect(markdown).toContain(
      '| 10.2 Nonconformity and corrective action | log #4 nonconformity.opened | — | — |',
    );
    expect(markdown).toContain(
      '| 9.2 Internal audit | log #2 audit.planned, #3 audit.performed, #5 audit.performed, #6 audit.performed | — | NC-4 (open) |',
    );
    expect(markdown).toContain(
      '| IA-1 | system credit-scoring, clause 8.2 | clauses 8 and 9 | 2026-10-15 | @acme/internal-audit | performed 2026-10-16 (entry 3) by @acme/internal-audit (as typed, unsigned); findings: NC-4; ⚠ entry 6 records it again (findings: none), which does not replace these results |',
    );
    expect(markdown).toContain(
      '| IA-2 | clause 10.2 | management review | 2026-11-20 | x | **OVERDUE: not performed** |',
    );
    expect(markdown).toContain('| IA-3 | clause 7.5 | documents | 2027-02-01 | x | not yet performed |');
    expect(markdown).toContain('| 9.3 Management review | log #1 management.review | — | — |');
    expect(markdown).toContain('- ⚠ entry 5 records audit IA-9, which the programme does not plan');
    const html = renderAuditorHtml(report);
    expect(html).toContain('<section id="clauses">');
    expect(html).toContain('<tr data-audit="IA-2" data-overdue="true">');
    expect(html).toContain('<tr data-clause="9.2" data-evidenced="true">');
  });
});
