import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AUDIT_FORMAT, type AuditEntry } from '../src/audit/entry.js';
import { MemoryStore } from '../src/audit/memory-store.js';
import {
  actionOwners,
  changedSubstance,
  closureGaps,
  isObservation,
  nonconformityRegister,
} from '../src/audit/nonconformities.js';
import { ed25519Signer, type Signer, type TrustedKey } from '../src/audit/signature.js';
import { record } from '../src/audit/store.js';
import { cli, expectRefusedUnwritten } from './cli-in-process.js';
import { EXAMPLE } from './helpers.js';

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

/** What closes a nonconformity (10.2): its root cause, an effective review by someone else, then `more`. */
const reviewed = (nc: string, by = 'auditor', effective = true) => [
  entry('nonconformity.updated', 'churn', { nc, rootCause: 'no check in CI' }),
  {
    ...entry('nonconformity.reviewed', 'churn', { nc, effective, note: 'checked a month of runs' }),
    actor: { login: by },
  },
];

describe('the nonconformity register, replayed from the log', () => {
  it('opens a nonconformity for a major or minor finding on a system in operation, owned by the system’s owner', () => {
    seq = 0;
    const register = nonconformityRegister([
      evaluated('development', [A]), // 1: not in operation: a finding, not a nonconformity
      evaluated('production', [A, B, OBS], { pullRequest: 7 }), // 2: a pull request proposes; nothing opens
      evaluated('production', [A, B], { ref: 'refs/pull/7/merge' }), // 3: so does its merge ref in CI
      evaluated('production', [A, B], { commit: undefined }), // 4: no commit: not of a committed tree
      entry(
        'evaluated',
        'churn',
        { status: 'production', open: [A, B, OBS], owner: '@acme/ml' },
        { commit: 'c0ffee' },
      ), // 5: opens two (the observation does not)
      evaluated('production', [B]), // 6: A corrected, not closed: no root cause, no review
      ...reviewed('NC-aaaaaaaaaaaa'), // 7, 8: now it closes, at the review
      evaluated('production', [A, B]), // 9: A found again: the review no longer counts
      entry('system.retired', 'churn', {}), // 10: a recorded retirement closes nothing
      evaluated('retired', [A, B]), // 11: documents that say retired correct what is open
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
      owner: '@acme/ml',
      opened: { seq: 5 },
      reopened: { seq: 9 },
      earlierClosures: [
        {
          seq: 8,
          note: 'no longer found by the evaluation in entry 6; effective per the review in entry 8',
          independence: { status: 'unverified', who: 'auditor', teams: ['@acme/ml'] },
        },
      ],
      history: [5, 6, 7, 8, 9, 11],
      corrected: { seq: 11, note: "the system's documents say it is retired (evaluation in entry 11)" },
      dueByDefault: true,
    });
    // Found again, it needs a new review: corrected by the retirement, it is not closed.
    expect(a!.closed).toBeUndefined();
    expect(closureGaps(a!)).toEqual(['no effectiveness review']);
    // Due 30 days after opening for a major one, 90 for a minor one.
    expect(a!.due).toBe('2026-03-16');
    expect(b).toMatchObject({
      id: 'NC-bbbbbbbbbbbb',
      grade: 'minor',
      due: '2026-05-15',
      corrected: { seq: 11 },
    });
    expect(b!.closed).toBeUndefined();
  });

  it('says why a finding was corrected: fixed, waived, or its rule disabled; a downgrade to an observation keeps it open', () => {
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
    expect(nonconformities.map((n) => [n.id, n.corrected?.seq, n.corrected?.note])).toEqual([
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
    expect(again.map((n) => n.corrected?.note)).toEqual([
      'no longer found by the evaluation in entry 2',
      'waived: the evaluation in entry 2 finds it under a waiver',
      'no longer checked: the configuration evaluated in entry 2 disables risk.ownership',
    ]);
    expect(again.every((n) => !n.closed)).toBe(true);
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
    expect(nonconformities[0]!.corrected).toBeUndefined();
    expect(problems).toEqual(['entry 4 lists findings that are not "KEY SEVERITY RULE": those were skipped']);
  });

  it('keeps one opened by hand through its regrade, root cause, corrective action, review and closure', () => {
    seq = 0;
    const { nonconformities, problems } = nonconformityRegister([
      entry('nonconformity.opened', 'churn', {
        grade: 'minor',
        source: 'internal-audit',
        title: 'no bias tests',
        controls: ['A.6.2.4'],
        owner: '@ml',
      }),
      entry('nonconformity.updated', 'churn', { nc: 'NC-1', grade: 'major', due: '2026-12-01' }), // 2: no reason
      entry('nonconformity.regraded', 'churn', { nc: 'NC-1', grade: 'major', reason: 'customers affected' }),
      entry('nonconformity.updated', 'churn', { nc: 'NC-1', rootCause: 'nobody owned it' }),
      entry('corrective-action.planned', 'churn', { nc: 'NC-1', action: 'add bias tests', owner: 'li' }),
      {
        ...entry('nonconformity.closed', 'churn', { nc: 'NC-1', note: 'too early' }),
        actor: { login: 'gov' },
      },
      entry('corrective-action.completed', 'churn', { nc: 'NC-1' }),
      {
        ...entry('nonconformity.reviewed', 'churn', {
          nc: 'NC-1',
          effective: true,
          note: 'tests fail on bias',
        }),
        actor: { login: 'gov' },
      },
      {
        ...entry('nonconformity.closed', 'churn', { nc: 'NC-1', note: 'tests run in CI' }),
        actor: { login: 'gov' },
      },
      entry('nonconformity.updated', undefined, { nc: 'NC-99', owner: 'x' }),
      entry('corrective-action.completed', 'churn', { nc: 'NC-1' }),
    ]);
    expect(nonconformities[0]).toMatchObject({
      id: 'NC-1',
      grade: 'major',
      regrades: [{ seq: 3, from: 'minor', to: 'major', reason: 'customers affected' }],
      source: 'internal-audit',
      controls: ['A.6.2.4'],
      owner: '@ml',
      // Entry 2's due date came without a reason: the default for a major one stands.
      due: '2026-02-09',
      dueByDefault: true,
      rootCause: 'nobody owned it',
      actions: [{ action: 'add bias tests', owner: 'li', planned: { seq: 5 }, completed: { seq: 7 } }],
      refusedClosures: [{ seq: 6, reasons: ['1 corrective action not done', 'no effectiveness review'] }],
      reviews: [{ seq: 8, effective: true, independence: { status: 'unverified', who: 'gov' } }],
      closed: { seq: 9, note: 'tests run in CI', independence: { status: 'unverified', who: 'gov' } },
    });
    expect(problems).toEqual([
      'entry 2 regrades NC-1 from minor to major without a reason: not applied',
      'entry 2 changes what NC-1 is about (its grade, title, citations, owner or due date) without a reason: not applied',
      'entry 6 closes NC-1 without what a closure needs (1 corrective action not done; no effectiveness review): that closure does not count',
      'entry 10 (nonconformity.updated) names NC-99, which the log does not know',
      'entry 11 completes a corrective action of NC-1 that was not planned',
    ]);
  });

  const pem = (): string =>
    generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

  it('counts no closure nor review its action owner signed, nor an unsigned one where persons are verified; a failed review keeps it open', async () => {
    const li = ed25519Signer(pem());
    const gov = ed25519Signer(pem());
    const trusted: TrustedKey[] = [
      { key: li.publicKey, role: 'person', name: 'li (ML engineer)' },
      { key: gov.publicKey, role: 'person', name: 'gov-lead' },
    ];
    const store = new MemoryStore();
    const write = (type: string, details: AuditEntry['details'], signer?: Signer, login = 'someone') =>
      record(
        store,
        {
          type: type as AuditEntry['type'],
          time: '2026-10-01T10:00:00.000Z',
          actor: { login },
          subject: { system: 'churn' },
          details,
          evidence: [],
        },
        signer ? { signer } : {},
      );
    await write('nonconformity.opened', { grade: 'minor', source: 'incident', title: 'drift', owner: 'li' });
    await write('nonconformity.updated', { nc: 'NC-1', rootCause: 'no alert' });
    await write('corrective-action.planned', { nc: 'NC-1', action: 'page on-call', owner: 'li' }); // 3
    await write('corrective-action.completed', { nc: 'NC-1', action: 'page on-call' }); // 4
    await write('nonconformity.reviewed', { nc: 'NC-1', effective: true, note: 'mine' }, li); // 5: owner, signed
    await write('nonconformity.reviewed', { nc: 'NC-1', effective: false, note: 'alerts still lost' }, gov); // 6
    await write('nonconformity.closed', { nc: 'NC-1', note: 'done' }, gov); // 7: the review said not effective
    await write('nonconformity.reviewed', { nc: 'NC-1', effective: true, note: 'a month clean' }, gov); // 8
    await write('nonconformity.closed', { nc: 'NC-1', note: 'done' }, li); // 9: signed by the owner
    await write('nonconformity.closed', { nc: 'NC-1', note: 'done' }, undefined, '@Li'); // 10: typed, unsigned
    await write('nonconformity.closed', { nc: 'NC-1', note: 'done' }, gov); // 11: signed by someone else
    const entries = store.text.map((line) => JSON.parse(line) as AuditEntry);
    const { nonconformities, problems } = nonconformityRegister(entries, { trusted });
    expect(problems).toEqual([
      'entry 5 reviews NC-1 by its action owner li (ML engineer), who signed it: the review does not count',
      'entry 7 closes NC-1 without what a closure needs (the effectiveness review in entry 6 found the correction not effective): that closure does not count',
      'entry 9 closes NC-1 without what a closure needs (closed by its action owner li (ML engineer), who signed it: someone else must close it): that closure does not count',
      // The configuration lists persons' keys: an unsigned closure proves nobody, whoever it names.
      'entry 10 closes NC-1 without what a closure needs (closed unsigned, while the configuration verifies persons by their keys: who closed it is not known): that closure does not count',
    ]);
    expect(nonconformities[0]!.closed).toMatchObject({
      seq: 11,
      independence: { status: 'verified', signed: true, who: 'gov-lead' },
    });
    expect(nonconformities[0]!.reviews.map((r) => [r.independence.status, r.counts])).toEqual([
      ['owner', false],
      ['verified', true],
      ['verified', true],
    ]);
    // Without the trusted keys nobody is proven: the owner's signed close is only the typed login's.
    expect(nonconformityRegister(entries).nonconformities[0]!.closed?.seq).toBe(9);
  });

  it('lets no action owner, present or past, rewrite what an auditor found; keeps what it first said', async () => {
    const alice = ed25519Signer(pem());
    const bob = ed25519Signer(pem());
    const trusted: TrustedKey[] = [
      { key: alice.publicKey, role: 'person', name: 'alice' },
      { key: bob.publicKey, role: 'person', name: 'bob' },
    ];
    const store = new MemoryStore();
    const write = (type: string, details: AuditEntry['details'], signer?: Signer) =>
      record(
        store,
        {
          type: type as AuditEntry['type'],
          time: '2026-10-01T10:00:00.000Z',
          actor: { login: 'someone' },
          subject: {},
          details,
          evidence: [],
        },
        signer ? { signer } : {},
      );
    const opened = { grade: 'major', source: 'external-audit', title: 'No review', controls: ['A.5.3'] };
    await write('nonconformity.opened', { ...opened, owner: 'bob' }, alice); // 1: the auditor raises it
    await write(
      'nonconformity.updated',
      { nc: 'NC-1', title: 'Wording', controls: ['A.4.6'], reason: 'r' },
      bob,
    ); // 2
    await write('nonconformity.regraded', { nc: 'NC-1', grade: 'observation', reason: 'we disagree' }, bob); // 3
    await write('nonconformity.updated', { nc: 'NC-1', owner: 'alice', reason: 'handing on' }, bob); // 4
    await write('nonconformity.updated', { nc: 'NC-1', owner: 'alice', reason: 'auditee asked' }); // 5: unsigned
    await write('nonconformity.updated', { nc: 'NC-1', title: 'No review of A.5.3' }, alice); // 6: no reason
    await write('nonconformity.updated', { nc: 'NC-1', owner: 'carol', reason: 'team change' }, alice); // 7
    await write('nonconformity.regraded', { nc: 'NC-1', grade: 'minor', reason: 'partly in place' }, alice); // 8
    await write('nonconformity.updated', { nc: 'NC-1', due: '2030-01-01', reason: 'busy' }, bob); // 9: later
    await write('nonconformity.updated', { nc: 'NC-1', due: '2026-11-30', reason: 'follow-up' }, alice); // 10
    const entries = store.text.map((line) => JSON.parse(line) as AuditEntry);
    const { nonconformities, problems } = nonconformityRegister(entries, { trusted });
    const owner =
      'bob, an action owner of NC-1: what a nonconformity is about is changed by the one who raised it or someone independent of its owners: not applied';
    expect(problems).toEqual([
      `entry 2 is by ${owner}`,
      `entry 3 is by ${owner}`,
      `entry 4 is by ${owner}`,
      'entry 5 changes what NC-1 is about unsigned, while the configuration verifies persons by their keys: sign it (--sign-with): not applied',
      'entry 6 changes what NC-1 is about (its grade, title, citations, owner or due date) without a reason: not applied',
      // A later due date is not the owner's to grant: it decides when the nonconformity counts as overdue.
      `entry 9 is by ${owner}`,
    ]);
    const nc = nonconformities[0]!;
    expect(nc).toMatchObject({
      title: 'No review',
      controls: ['A.5.3'],
      grade: 'minor',
      owner: 'carol',
      due: '2026-11-30',
    });
    // bob handed it on: he is still no independent reviewer or closer of it.
    expect(actionOwners(nc)).toEqual(['carol', 'bob']);
    expect(changedSubstance(nc)).toEqual(['grade major', 'owner bob', 'due 2026-10-31']);
  });

  it('keeps observations apart: no due date, no closure conditions; links a manual and an automatic one', () => {
    seq = 0;
    const { nonconformities, problems } = nonconformityRegister([
      evaluated('production', [A]), // 1
      entry('nonconformity.opened', 'churn', {
        grade: 'observation',
        source: 'internal-audit',
        title: 'review notes are terse',
        due: '2026-12-01',
      }), // 2
      entry('nonconformity.opened', 'churn', {
        grade: 'major',
        source: 'internal-audit',
        title: 'scores unexplained',
        links: ['NC-aaaaaaaaaaaa', 'NC-77'],
      }), // 3
      entry('nonconformity.linked', 'churn', { nc: 'NC-2', with: 'NC-3' }), // 4
      entry('nonconformity.closed', 'churn', { nc: 'NC-2', note: 'noted' }), // 5
    ]);
    expect(problems).toEqual([
      'entry 2 gives observation NC-2 a due date: an observation has none',
      'entry 3 links NC-3 with NC-77, which the log does not know',
    ]);
    const [auto, observation, manual] = nonconformities;
    expect(observation).toMatchObject({ grade: 'observation', closed: { seq: 5 }, links: ['NC-3'] });
    expect(observation!.due).toBeUndefined();
    expect(isObservation(observation!)).toBe(true);
    expect(manual!.links).toEqual(['NC-aaaaaaaaaaaa', 'NC-2']);
    expect(auto!.links).toEqual(['NC-3']);
  });

  it('refuses, as a problem shown, to close a finding’s nonconformity by hand or to regrade it', () => {
    seq = 0;
    const { nonconformities, problems } = nonconformityRegister([
      evaluated('production', [A]),
      entry('nonconformity.closed', 'churn', { nc: 'NC-aaaaaaaaaaaa', note: 'trust me' }),
      entry('nonconformity.updated', 'churn', {
        nc: 'NC-aaaaaaaaaaaa',
        grade: 'observation',
        reason: 'minor really',
        due: '2099-02-30',
      }),
    ]);
    expect(nonconformities[0]).toMatchObject({ grade: 'major', due: '2026-02-09' });
    expect(nonconformities[0]!.closed).toBeUndefined();
    expect(problems).toEqual([
      "entry 2 closes NC-aaaaaaaaaaaa by hand; a finding's nonconformity closes when an evaluation no longer finds it and its correction was reviewed",
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

/** The example's config without its person's key: nobody's identity is verified, what is typed is believed and flagged. */
function withoutPersons(repo: string): void {
  const config = join(repo, '.github/aims-gate.yml');
  writeFileSync(
    config,
    readFileSync(config, 'utf8').replace(/\n {2}- key: [^\n]+\n {4}role: person\n[^\n]+/, ''),
  );
}

// A person's whole flow, one command at a time, each reading the repository and the log: seconds on a loaded
// 2-core machine.
describe('aims-gate nonconformity', { timeout: 120_000 }, () => {
  it('opens from recorded checks, closes when the check no longer finds it, and takes hand-made ones to closure', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'aims-nc-'));
    temps.push(repo);
    cpSync(EXAMPLE, repo, { recursive: true });
    rmSync(join(repo, '.aims-gate'), { recursive: true });
    // No person's key listed: who reviews and closes is as typed, unverified, and flagged (the flow signed by
    // persons is the next test's).
    withoutPersons(repo);
    commitAll(repo, 'init');
    expect((await cli(['check', '--record'], repo)).code).toBe(1);
    const listed = JSON.parse((await cli(['nc', 'list', '-f', 'json'], repo)).stdout);
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
      expect(await cli([...args], repo)).toMatchObject({ code: 2, stderr: expect.stringContaining(message) });
    commitAll(repo, 'fix the versions');
    // A document git ignores is checked from disk, but is in no commit: not recorded either.
    writeFileSync(join(repo, '.gitignore'), 'impact-assessment.yml\n');
    execFileSync('git', ['rm', '-q', '--cached', 'models/churn-predictor/impact-assessment.yml'], {
      cwd: repo,
    });
    commitAll(repo, 'keep an assessment out of git');
    expect(await cli(['check', '--record'], repo)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        '--record records what is committed, and models/churn-predictor/impact-assessment.yml is in no commit (ignored, or never added)',
      ),
    });
    rmSync(join(repo, '.gitignore'));
    commitAll(repo, 'the assessment back in git');
    await cli(['check', '--record'], repo);
    const after = JSON.parse((await cli(['nc', 'list', '--all', '-f', 'json'], repo)).stdout).nonconformities;
    // Corrected, not closed: a closure needs a root cause and an effectiveness review (10.2).
    const corrected = after.filter((n: { corrected?: unknown }) => n.corrected);
    expect(corrected.map((n: { rule: string }) => n.rule)).toEqual(['docs.version', 'docs.version']);
    expect(corrected[0].corrected.note).toMatch(/^no longer found by the evaluation in entry \d+$/);
    expect(corrected[0]).toMatchObject({ owner: '@acme/growth-ml' });
    expect(after.filter((n: { closed?: unknown }) => n.closed)).toEqual([]);
    expect(
      await cli(['nc', 'close', version[0].id, '--note', 'x', '--evidence', 'README.md'], repo),
    ).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('it closes when a recorded evaluation'),
    });
    expect(
      (await cli(['nc', 'root-cause', version[0].id, '--cause', 'Versions bumped by hand'], repo)).code,
    ).toBe(0);
    expect(
      (
        await cli(
          [
            'nc',
            'review',
            version[0].id,
            '--effective',
            'yes',
            '--note',
            'versions match',
            '--actor',
            'auditor',
          ],
          repo,
        )
      ).code,
    ).toBe(0);
    const reviewed = JSON.parse(
      (await cli(['nc', 'list', '--all', '-f', 'json'], repo)).stdout,
    ).nonconformities;
    expect(reviewed.find((n: { id: string }) => n.id === version[0].id).closed).toMatchObject({
      independence: { status: 'unverified', who: 'auditor', teams: ['@acme/growth-ml'] },
    });

    // By hand: an internal audit's finding, through its corrective action to closure with evidence.
    const opened = await cli(
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
      (
        await cli(
          [
            'nc',
            'action',
            id,
            '--action',
            'Record reviews in the log',
            '--due',
            '2026-12-01',
            '--owner',
            'dana',
          ],
          repo,
        )
      ).code,
    ).toBe(0);
    expect((await cli(['nc', 'update', id, '--grade', 'major'], repo)).stderr).toContain(
      `aims-gate nc regrade ${id} --grade major --reason TEXT`,
    );
    expect((await cli(['nc', 'regrade', id, '--grade', 'major'], repo)).stderr).toContain('--reason');
    expect(
      (await cli(['nc', 'regrade', id, '--grade', 'major', '--reason', 'customers affected'], repo)).code,
    ).toBe(0);
    writeFileSync(join(repo, 'review.md'), 'reviewed');
    const close = ['nc', 'close', id, '--note', 'Reviews recorded since November', '--evidence', 'review.md'];
    expect((await cli(close, repo)).stderr).toContain(
      `cannot close yet (10.2): no root cause recorded (aims-gate nc root-cause ${id} --cause TEXT); 1 corrective action not done (aims-gate nc done ${id}); no effectiveness review (aims-gate nc review ${id} --effective yes --note TEXT, by someone other than the action owner)`,
    );
    expect((await cli(['nc', 'root-cause', id, '--cause', 'No template for reviews'], repo)).code).toBe(0);
    expect((await cli(['nc', 'done', id], repo)).code).toBe(0);
    expect(
      (
        await cli(
          ['nc', 'review', id, '--effective', 'yes', '--note', 'two reviews logged', '--actor', 'gov-lead'],
          repo,
        )
      ).code,
    ).toBe(0);
    // The action's owner, as typed: recorded and flagged (signed by them, it would be refused).
    const own = await cli([...close, '--actor', 'dana'], repo);
    expect(own.code).toBe(0);
    expect(own.stderr).toContain('dana is an action owner');
    const text = (await cli(['nc', 'list', '--all', '--today', '2026-11-30'], repo)).stdout;
    expect(text).toContain(`${id}  major  credit-scoring  No record of the fairness review`);
    expect(text).toMatch(
      /internal-audit, closed \d{4}-\d\d-\d\d after 0 days by dana, its own action owner \(as typed, unsigned: flagged\), owner @acme\/risk-ml, root cause: No template for reviews/,
    );
    const log = (await cli(['log', '--type', 'nonconformity.closed', '-f', 'json'], repo)).stdout;
    expect(JSON.parse(log)).toMatchObject({
      details: { nc: id, note: 'Reviews recorded since November' },
      evidence: [{ path: 'review.md' }],
      actor: { via: 'typed' },
    });
  });

  it('refuses a review or a closure its action owner signs; one signed by someone else is shown verified', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'aims-nc-'));
    temps.push(repo);
    cpSync(EXAMPLE, repo, { recursive: true });
    const config = join(repo, '.github/aims-gate.yml');
    let signers = '';
    for (const login of ['dana', 'quality']) {
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', login, '-f', join(repo, login)]);
      const pub = readFileSync(join(repo, `${login}.pub`), 'utf8')
        .trim()
        .split(' ')
        .slice(0, 2)
        .join(' ');
      signers += `  - key: ${pub}\n    role: person\n    name: ${login}\n`;
    }
    writeFileSync(config, readFileSync(config, 'utf8').replace('signers:\n', `signers:\n${signers}`));
    const opened = await cli(
      [
        'nc',
        'open',
        '--title',
        'Drift unanswered',
        '--source',
        'incident',
        '--grade',
        'minor',
        '--owner',
        'dana',
      ],
      repo,
    );
    const id = /\(nonconformity\.opened, (NC-\d+)\)/.exec(opened.stdout)![1]!;
    expect((await cli(['nc', 'root-cause', id, '--cause', 'Alerts went to a mailbox'], repo)).code).toBe(0);
    expect((await cli(['nc', 'action', id, '--action', 'Page on-call', '--owner', 'dana'], repo)).code).toBe(
      0,
    );
    expect((await cli(['nc', 'done', id], repo)).code).toBe(0);
    const review = ['nc', 'review', id, '--effective', 'yes', '--note', 'six weeks clean', '--sign-with'];
    // The config lists persons' keys: a review nobody signed proves nobody, whoever it names.
    expect(await cli([...review.slice(0, -1), '--actor', 'quality'], repo)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('a review counts only signed by one: add --sign-with KEY'),
    });
    expect(await cli([...review, join(repo, 'dana')], repo)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        `dana owns the action of ${id}: someone other than the action owner reviews`,
      ),
    });
    expect((await cli([...review, join(repo, 'quality')], repo)).code).toBe(0);
    writeFileSync(join(repo, 'pager.md'), 'paged');
    const close = ['nc', 'close', id, '--note', 'paged since', '--evidence', 'pager.md', '--sign-with'];
    expect(await cli([...close, join(repo, 'dana')], repo)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        'closed by its action owner dana, who signed it: someone else must close it',
      ),
    });
    expect((await cli([...close, join(repo, 'quality')], repo)).code).toBe(0);
    expect((await cli(['nc', 'list', '--all'], repo)).stdout).toContain(
      'by quality (signed; not the action owner)',
    );
  });

  it('opens a nonconformity of the organisation against a management-system clause', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'aims-nc-'));
    temps.push(repo);
    cpSync(EXAMPLE, repo, { recursive: true });
    withoutPersons(repo);
    const opened = await cli(
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
    // What it is about changes with a reason, shown beside what it first said.
    expect((await cli(['nc', 'update', id, '--clause', '9.2.2'], repo)).stderr).toContain(
      `what ${id} is about (its grade, title, citations, owner or due date) changes with a --reason`,
    );
    expect(
      (await cli(['nc', 'update', id, '--clause', '9.2.2', '--reason', 'the programme'], repo)).code,
    ).toBe(0);
    const listed = JSON.parse((await cli(['nc', 'list', '-f', 'json'], repo)).stdout).nonconformities;
    expect(listed.find((n: { id: string }) => n.id === id)).toMatchObject({
      clauses: ['9.2.2'],
      controls: ['A.2.4'],
    });
    expect((await cli(['nc', 'list'], repo)).stdout).toContain(
      `${id}  major  (organisation)  No internal audit programme [A.2.4, clause 9.2.2]`,
    );
    expect((await cli(['nc', 'list'], repo)).stdout).toContain('; when opened: clauses 9.2, 10.2');
  });

  it('refuses what it cannot record truthfully: exit 2, nothing written', async () => {
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
        '--clause 9.4 is no ISO/IEC 42001:2023 clause (4.1 to 10.2',
      ],
      [['nc', 'update', 'NC-19', '--clause', '11.1'], '--clause 11.1 is no ISO/IEC 42001'],
      [['nc', 'open', '--title', 'x', '--source', 'incident', '--system', 'nosuch'], 'no AI system'],
      [['nc', 'open', '--title', 'x', '--source', 'incident', '--due', 'soon'], '--due must be a date'],
      [['nc', 'update', 'NC-404', '--owner', 'x'], 'NC-404 is no nonconformity'],
      [['nc', 'update', 'NC-13', '--owner', 'x'], 'NC-13 was closed in entry 32'],
      [['nc', 'done', 'NC-19'], 'has no planned corrective action'],
      [['nc', 'close', 'NC-19', '--note', 'x'], '--evidence'],
      [['nc', 'frobnicate'], 'nonconformity has no subcommand "frobnicate"'],
      [
        ['record', '--type', 'nonconformity.closed', '--system', 'credit-scoring'],
        'aims-gate nonconformity close',
      ],
    ] as const;
    await expectRefusedUnwritten(refused, repo, log);
    // Nothing is written on a log that fails verification, a new nonconformity included.
    const tampered = before.replace('"credit-scoring"', '"credit-scorinG"');
    writeFileSync(log, tampered);
    const onTampered = await cli(['nc', 'open', '--title', 'x', '--source', 'incident'], repo);
    expect(onTampered.code).toBe(2);
    expect(onTampered.stderr).toContain('fails verification at entry');
    expect(readFileSync(log, 'utf8')).toBe(tampered);
    expect((await cli(['nc', '--help'], repo)).stdout).toMatch(/^Usage: aims-gate nonconformity/);
  });
});
