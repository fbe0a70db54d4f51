import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AUDIT_FORMAT, type AuditEntry } from '../../src/audit/entry.js';
import { nonconformityRegister } from '../../src/audit/nonconformities.js';
import { EXAMPLE } from '../helpers.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'aims-gate.js');
const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

let seq = 0;
function entry(
  type: string,
  system: string | undefined,
  details: AuditEntry['details'],
  extra: Partial<AuditEntry['subject']> = {},
  time = `2026-0${Math.min(9, 1 + Math.floor(seq / 3))}-1${seq % 10}T10:00:00Z`,
): AuditEntry {
  seq++;
  return {
    v: AUDIT_FORMAT,
    seq,
    time,
    type: type as AuditEntry['type'],
    actor: { login: 'someone' },
    subject: { ...(system ? { system } : {}), ...extra },
    details,
    evidence: [],
    prev: '0'.repeat(64),
    hash: '0'.repeat(64),
  };
}

const A = `${'a'.repeat(32)} major risk.scores`;
const B = `${'b'.repeat(32)} minor docs.version`;
const OBS = `${'c'.repeat(32)} observation card.license`;
const evaluated = (status: string, open: string[], extra = {}) =>
  entry('evaluated', 'churn', { status, open }, { commit: 'c0ffee', ...extra });

describe('the nonconformity register, replayed from the log', () => {
  it('opens a nonconformity for a major or minor finding on a system in operation, and closes it when fixed', () => {
    seq = 0;
    const register = nonconformityRegister([
      evaluated('development', [A]), // 1: not in operation: a finding, not a nonconformity
      evaluated('production', [A, B, OBS], { pullRequest: 7 }), // 2: a pull request proposes; nothing opens
      evaluated('production', [A, B], { ref: 'refs/pull/7/merge' }), // 3: so does its merge ref in CI
      evaluated('production', [A, B], { commit: undefined }), // 4: no commit: not of a committed tree
      evaluated('production', [A, B, OBS]), // 5: opens two (the observation does not)
      evaluated('production', [B]), // 6: A fixed
      evaluated('production', [A, B]), // 7: A found again
      entry('system.retired', 'churn', {}), // 8: a recorded retirement closes nothing
      evaluated('retired', [A, B]), // 9: documents that say retired close what is open
    ]);
    expect(register.problems).toEqual([]);
    const [a, b] = register.nonconformities;
    expect(register.nonconformities).toHaveLength(2);
    expect(a).toMatchObject({
      id: 'NC-aaaaaaaaaaaa',
      grade: 'major',
      source: 'check',
      rule: 'risk.scores',
      system: 'churn',
      opened: { seq: 5 },
      earlierClosures: [{ seq: 6, note: 'no longer found by the evaluation in entry 6' }],
      history: [5, 6, 7, 9],
      closed: { seq: 9, note: "the system's documents say it is retired (evaluation in entry 9)" },
      dueByDefault: true,
    });
    // Due 30 days after opening for a major one, 90 for a minor one.
    expect(a!.due).toBe('2026-03-16');
    expect(b).toMatchObject({ id: 'NC-bbbbbbbbbbbb', grade: 'minor', due: '2026-05-15', closed: { seq: 9 } });
  });

  it('says why a finding closed: fixed, waived, or its rule disabled; a downgrade to an observation keeps it open', () => {
    seq = 0;
    const key = (c: string) => c.repeat(32);
    const { nonconformities } = nonconformityRegister([
      evaluated('production', [A, B, `${key('d')} minor risk.ownership`]),
      evaluated('production', [`${'a'.repeat(32)} observation risk.scores`], {}),
      entry(
        'evaluated',
        'churn',
        { status: 'production', open: [], waived: [key('b')], disabled: ['risk.ownership'] },
        { commit: 'c0ffee' },
      ),
    ]);
    expect(nonconformities.map((n) => [n.id, n.closed?.seq, n.closed?.note])).toEqual([
      ['NC-aaaaaaaaaaaa', 3, 'no longer found by the evaluation in entry 3'],
      ['NC-bbbbbbbbbbbb', 2, 'no longer found by the evaluation in entry 2'],
      ['NC-dddddddddddd', 2, 'no longer found by the evaluation in entry 2'],
    ]);
    seq = 0;
    const again = nonconformityRegister([
      evaluated('production', [A, B, `${key('d')} minor risk.ownership`]),
      entry(
        'evaluated',
        'churn',
        { status: 'production', open: [], waived: [key('b')], disabled: ['risk.ownership'] },
        { commit: 'c0ffee' },
      ),
    ]).nonconformities;
    expect(again.map((n) => n.closed?.note)).toEqual([
      'no longer found by the evaluation in entry 2',
      'waived: the evaluation in entry 2 finds it under a waiver',
      'no longer checked: the configuration evaluated in entry 2 disables risk.ownership',
    ]);
  });

  it('an evaluation of a system out of operation proves nothing fixed; an old evaluation without findings is skipped', () => {
    seq = 0;
    const { nonconformities, problems } = nonconformityRegister([
      evaluated('production', [A]),
      evaluated('development', []),
      entry('evaluated', 'churn', { status: 'production', findings: { major: 0 } }, { commit: 'c0ffee' }),
      evaluated('production', [A, '13 minor forged']),
    ]);
    expect(nonconformities).toHaveLength(1);
    expect(nonconformities[0]!.closed).toBeUndefined();
    expect(problems).toEqual(['entry 4 lists findings that are not "KEY SEVERITY RULE": those were skipped']);
  });

  it('keeps one opened by hand through its update, corrective action and closure', () => {
    seq = 0;
    const { nonconformities, problems } = nonconformityRegister([
      entry('nonconformity.opened', 'churn', {
        grade: 'minor',
        source: 'internal-audit',
        title: 'no bias tests',
        controls: ['A.6.2.4'],
        owner: '@ml',
      }),
      entry('nonconformity.updated', 'churn', {
        nc: 'NC-1',
        grade: 'major',
        rootCause: 'nobody owned it',
        due: '2026-12-01',
      }),
      entry('corrective-action.planned', 'churn', { nc: 'NC-1', action: 'add bias tests', owner: 'li' }),
      entry('corrective-action.completed', 'churn', { nc: 'NC-1' }),
      entry('nonconformity.closed', 'churn', { nc: 'NC-1', note: 'tests run in CI' }),
      entry('nonconformity.updated', undefined, { nc: 'NC-99', owner: 'x' }),
      entry('corrective-action.completed', 'churn', { nc: 'NC-1' }),
    ]);
    expect(nonconformities[0]).toMatchObject({
      id: 'NC-1',
      grade: 'major',
      source: 'internal-audit',
      controls: ['A.6.2.4'],
      owner: '@ml',
      due: '2026-12-01',
      dueByDefault: false,
      rootCause: 'nobody owned it',
      actions: [{ action: 'add bias tests', owner: 'li', planned: { seq: 3 }, completed: { seq: 4 } }],
      closed: { seq: 5, note: 'tests run in CI' },
    });
    expect(problems).toEqual([
      'entry 6 (nonconformity.updated) names NC-99, which the log does not know',
      'entry 7 completes a corrective action of NC-1 that was not planned',
    ]);
  });

  it('refuses, as a problem shown, to close a finding’s nonconformity by hand', () => {
    seq = 0;
    const { nonconformities, problems } = nonconformityRegister([
      evaluated('production', [A]),
      entry('nonconformity.closed', 'churn', { nc: 'NC-aaaaaaaaaaaa', note: 'trust me' }),
      entry('nonconformity.updated', 'churn', {
        nc: 'NC-aaaaaaaaaaaa',
        grade: 'observation',
        due: '2099-02-30',
      }),
    ]);
    expect(nonconformities[0]).toMatchObject({ grade: 'major', due: '2026-02-09' });
    expect(nonconformities[0]!.closed).toBeUndefined();
    expect(problems).toEqual([
      "entry 2 closes NC-aaaaaaaaaaaa by hand; a finding's nonconformity closes only when an evaluation no longer finds it",
      "entry 3 regrades NC-aaaaaaaaaaaa; a finding's nonconformity has its rule's grade",
      'entry 3 gives NC-aaaaaaaaaaaa a due date that is no date (YYYY-MM-DD)',
    ]);
  });
});

function commitAll(repo: string, message: string): void {
  const git = (...args: string[]) =>
    spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: repo });
  if (!existsSync(join(repo, '.git'))) git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', message);
}

function cli(args: string[], cwd: string) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', GITHUB_ACTIONS: '' },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

// A person's whole flow, one command at a time: a dozen processes or more, slow on a loaded 2-core machine.
describe('aims-gate nonconformity', { timeout: 120_000 }, () => {
  it('opens from recorded checks, closes when the check no longer finds it, and takes hand-made ones to closure', () => {
    const repo = mkdtempSync(join(tmpdir(), 'aims-nc-'));
    temps.push(repo);
    cpSync(EXAMPLE, repo, { recursive: true });
    rmSync(join(repo, '.aims-gate'), { recursive: true });
    commitAll(repo, 'init');
    expect(cli(['check', '--record'], repo).code).toBe(1);
    const listed = JSON.parse(cli(['nc', 'list', '-f', 'json'], repo).stdout);
    const version = listed.nonconformities.filter((n: { rule: string }) => n.rule === 'docs.version');
    // churn-predictor is in production: its findings are nonconformities; the others have none.
    expect(new Set(listed.nonconformities.map((n: { system: string }) => n.system))).toEqual(
      new Set(['churn-predictor']),
    );
    expect(version).toHaveLength(2);

    // Fixing the versions closes those two at the next recorded check, and nothing else.
    for (const file of ['impact-assessment.yml', 'risk-assessment.yml']) {
      const path = join(repo, 'models/churn-predictor', file);
      writeFileSync(path, readFileSync(path, 'utf8').replace(/version: "?1\.3\.0"?/, 'version: "1.4.0"'));
    }
    // Only what is committed, as of today, under the repository's own configuration is recorded.
    for (const [args, message] of [
      [['check', '--record'], '2 files differ'],
      [['check', '--record', '--today', '2026-01-01'], '--today would backdate it'],
      [['check', '--record', '-c', 'lax.yml'], "the repository's own configuration"],
    ] as const)
      expect(cli([...args], repo)).toMatchObject({ code: 2, stderr: expect.stringContaining(message) });
    commitAll(repo, 'fix the versions');
    // A document git ignores is checked from disk, but is in no commit: not recorded either.
    writeFileSync(join(repo, '.gitignore'), 'impact-assessment.yml\n');
    execFileSync('git', ['rm', '-q', '--cached', 'models/churn-predictor/impact-assessment.yml'], {
      cwd: repo,
    });
    commitAll(repo, 'keep an assessment out of git');
    expect(cli(['check', '--record'], repo)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        '--record records what is committed, and models/churn-predictor/impact-assessment.yml is in no commit (ignored, or never added)',
      ),
    });
    rmSync(join(repo, '.gitignore'));
    commitAll(repo, 'the assessment back in git');
    cli(['check', '--record'], repo);
    const after = JSON.parse(cli(['nc', 'list', '--all', '-f', 'json'], repo).stdout).nonconformities;
    const closed = after.filter((n: { closed?: unknown }) => n.closed);
    expect(closed.map((n: { rule: string }) => n.rule)).toEqual(['docs.version', 'docs.version']);
    expect(closed[0].closed.note).toMatch(/^no longer found by the evaluation in entry \d+$/);
    expect(cli(['nc', 'close', version[0].id, '--note', 'x', '--evidence', 'README.md'], repo)).toMatchObject(
      {
        code: 2,
      },
    );
    const openOne = after.find((n: { closed?: unknown }) => !n.closed);
    expect(cli(['nc', 'close', openOne.id, '--note', 'x', '--evidence', 'models'], repo).stderr).toContain(
      'it closes itself when a recorded evaluation',
    );

    // By hand: an internal audit's finding, through its corrective action to closure with evidence.
    const opened = cli(
      [
        'nc',
        'open',
        '--title',
        'No record of the fairness review',
        '--source',
        'internal-audit',
        '--grade',
        'minor',
        '--system',
        'credit-scoring',
        '--control',
        'A.6.2.4',
        '--owner',
        '@acme/risk-ml',
      ],
      repo,
    );
    expect(opened.code).toBe(0);
    expect(opened.stdout).toMatch(/\ncheckpoint \d+:[0-9a-f]{64}\n$/);
    const id = /\(nonconformity\.opened, (NC-\d+)\)/.exec(opened.stdout)![1]!;
    expect(
      cli(['nc', 'action', id, '--action', 'Record reviews in the log', '--due', '2026-12-01'], repo).code,
    ).toBe(0);
    expect(cli(['nc', 'update', id, '--root-cause', 'No template for reviews'], repo).code).toBe(0);
    expect(cli(['nc', 'done', id], repo).code).toBe(0);
    writeFileSync(join(repo, 'review.md'), 'reviewed');
    expect(
      cli(['nc', 'close', id, '--note', 'Reviews recorded since November', '--evidence', 'review.md'], repo)
        .code,
    ).toBe(0);
    const text = cli(['nc', 'list', '--all', '--today', '2026-11-30'], repo).stdout;
    expect(text).toContain(`${id}  minor  credit-scoring  No record of the fairness review`);
    expect(text).toMatch(
      /internal-audit, closed \d{4}-\d\d-\d\d after 0 days, owner @acme\/risk-ml, root cause: No template for reviews/,
    );
    const log = cli(['log', '--type', 'nonconformity.closed', '-f', 'json'], repo).stdout;
    expect(JSON.parse(log)).toMatchObject({
      details: { nc: id, note: 'Reviews recorded since November' },
      evidence: [{ path: 'review.md' }],
      actor: { via: 'typed' },
    });
  });

  it('opens a nonconformity of the organisation against a management-system clause', () => {
    const repo = mkdtempSync(join(tmpdir(), 'aims-nc-'));
    temps.push(repo);
    cpSync(EXAMPLE, repo, { recursive: true });
    const opened = cli(
      [
        'nc',
        'open',
        '--title',
        'No internal audit programme',
        '--source',
        'external-audit',
        '--clause',
        '9.2',
        '--clause',
        '10.2',
        '--control',
        'A.2.4',
      ],
      repo,
    );
    expect(opened.code).toBe(0);
    const id = /\(nonconformity\.opened, (NC-\d+)\)/.exec(opened.stdout)![1]!;
    expect(cli(['nc', 'update', id, '--clause', '9.2'], repo).code).toBe(0);
    const listed = JSON.parse(cli(['nc', 'list', '-f', 'json'], repo).stdout).nonconformities;
    expect(listed.find((n: { id: string }) => n.id === id)).toMatchObject({
      clauses: ['9.2'],
      controls: ['A.2.4'],
    });
    expect(cli(['nc', 'list'], repo).stdout).toContain(
      `${id}  major  (organisation)  No internal audit programme [A.2.4, clause 9.2]`,
    );
  });

  it('refuses what it cannot record truthfully: exit 2, nothing written', () => {
    const repo = mkdtempSync(join(tmpdir(), 'aims-nc-'));
    temps.push(repo);
    cpSync(EXAMPLE, repo, { recursive: true });
    const log = join(repo, '.aims-gate/audit-log.jsonl');
    const before = readFileSync(log, 'utf8');
    const refused = [
      [['nc', 'open', '--title', 'x'], '--source'],
      [['nc', 'open', '--title', 'x', '--source', 'check'], '--source must be one of internal-audit'],
      [['nc', 'open', '--title', 'x', '--source', 'incident', '--grade', 'huge'], '--grade must be one of'],
      [
        ['nc', 'open', '--title', 'x', '--source', 'incident', '--control', 'A.6.1.1'],
        'no ISO/IEC 42001 Annex A control',
      ],
      [
        ['nc', 'open', '--title', 'x', '--source', 'internal-audit', '--control', '9.2'],
        '9.2 is a management-system clause, not an Annex A control; cite it with --clause 9.2',
      ],
      [
        ['nc', 'open', '--title', 'x', '--source', 'internal-audit', '--clause', 'A.8.3'],
        'A.8.3 is an Annex A control, not a clause; cite it with --control A.8.3',
      ],
      [
        ['nc', 'open', '--title', 'x', '--source', 'internal-audit', '--clause', '9.4'],
        '--clause 9.4 is no ISO/IEC 42001 management-system clause of the reference (6.1.2, 6.1.3',
      ],
      [['nc', 'update', 'NC-19', '--clause', '11.1'], '--clause 11.1 is no ISO/IEC 42001'],
      [['nc', 'open', '--title', 'x', '--source', 'incident', '--system', 'nosuch'], 'no AI system'],
      [['nc', 'open', '--title', 'x', '--source', 'incident', '--due', 'soon'], '--due must be a date'],
      [['nc', 'update', 'NC-404', '--owner', 'x'], 'NC-404 is no nonconformity'],
      [['nc', 'update', 'NC-13', '--owner', 'x'], 'NC-13 was closed in entry 17'],
      [['nc', 'done', 'NC-19'], 'has no planned corrective action'],
      [['nc', 'close', 'NC-19', '--note', 'x'], '--evidence'],
      [['nc', 'frobnicate'], 'nonconformity has no subcommand "frobnicate"'],
      [
        ['record', '--type', 'nonconformity.closed', '--system', 'credit-scoring'],
        'aims-gate nonconformity close',
      ],
    ] as const;
    for (const [args, message] of refused) {
      const result = cli([...args], repo);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toContain(message);
    }
    expect(readFileSync(log, 'utf8')).toBe(before);
    // Nothing is written on a log that fails verification, a new nonconformity included.
    const tampered = before.replace('"credit-scoring"', '"credit-scorinG"');
    writeFileSync(log, tampered);
    const onTampered = cli(['nc', 'open', '--title', 'x', '--source', 'incident'], repo);
    expect(onTampered.code).toBe(2);
    expect(onTampered.stderr).toContain('fails verification at entry');
    expect(readFileSync(log, 'utf8')).toBe(tampered);
    expect(cli(['nc', '--help'], repo).stdout).toMatch(/^Usage: aims-gate nonconformity/);
  });
});
