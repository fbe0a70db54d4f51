import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXAMPLE } from './helpers.js';

const BIN = join(import.meta.dirname, '..', 'bin', 'aims-gate.js');
const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[], cwd: string) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', GITHUB_ACTIONS: '' },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The example with a two-audit programme: one by the owner of a system it covers. */
function repoWithProgramme(): string {
  const repo = mkdtempSync(join(tmpdir(), 'aims-clauses-'));
  temps.push(repo);
  cpSync(EXAMPLE, repo, { recursive: true });
  appendFileSync(
    join(repo, '.github/aims-gate.yml'),
    `audits:
  - id: IA-1
    scope: { systems: [credit-scoring], clauses: ["8.2", "9.1"] }
    criteria: ISO/IEC 42001:2023 clauses 8 and 9
    planned: 2026-10-15
    auditor: "@acme/internal-audit"
  - id: IA-2
    scope: { systems: [credit-scoring, churn-predictor] }
    criteria: Risk treatment of the systems in production
    planned: 2026-11-20
    auditor: "@acme/risk-ml"
`,
  );
  return repo;
}

// Each record is a process that reads the repository: slow on a loaded 2-core machine.
describe('organisation events and the internal audit programme', { timeout: 120_000 }, () => {
  it('refuses what cannot be recorded truthfully: exit 2, nothing written', () => {
    const repo = repoWithProgramme();
    const log = join(repo, '.aims-gate/audit-log.jsonl');
    const before = readFileSync(log, 'utf8');
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
        '--detail audit=IA-9 is no audit of the programme (IA-1, IA-2)',
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
    for (const [args, message] of refused) {
      const result = cli([...args], repo);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toContain(message);
    }
    expect(readFileSync(log, 'utf8')).toBe(before);
  });

  it('records the organisation events without a system, an audit with its plan copied from the programme', () => {
    const repo = repoWithProgramme();
    const review = cli(
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
    const performed = cli(
      ['record', '--type', 'audit.performed', '--detail', 'audit=IA-1', '--detail', 'findings=NC-19'],
      repo,
    );
    expect(performed.code).toBe(0);
    expect(performed.stderr).toContain('the auditor (@acme/internal-audit) and who recorded this');
    expect(performed.stderr).toContain('are as typed, which nobody vouched for');
    const entries = cli(['log', '--type', 'audit.performed', '-f', 'json'], repo).stdout.trim().split('\n');
    const entry = JSON.parse(entries.at(-1)!);
    expect(entry.subject.system).toBeUndefined();
    expect(entry.details).toEqual({
      audit: 'IA-1',
      findings: 'NC-19',
      auditor: '@acme/internal-audit',
      criteria: 'ISO/IEC 42001:2023 clauses 8 and 9',
      planned: '2026-10-15',
      systems: ['credit-scoring'],
      clauses: ['8.2', '9.1'],
    });
    expect(
      cli(
        ['record', '--type', 'policy.approved', '--detail', 'policy=AI policy', '--detail', 'version=3'],
        repo,
      ).code,
    ).toBe(0);
  });

  it('refuses a programme with an unknown clause, or two audits of one id', () => {
    for (const [clause, message] of [
      ['9.4', /clauses|9\.4/],
      ['9.3', /a second audit with id IA-1/],
    ] as const) {
      const repo = repoWithProgramme();
      appendFileSync(
        join(repo, '.github/aims-gate.yml'),
        `  - { id: IA-1, scope: { clauses: ["${clause}"] }, criteria: c, planned: 2026-12-01, auditor: x }\n`,
      );
      const result = cli(['check'], repo);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('aims-gate.yml');
      expect(result.stderr).toMatch(message);
    }
  });
});
