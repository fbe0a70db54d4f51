import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../src/audit/entry.js';
import { FileStore } from '../src/audit/file-store.js';
import { readEntries } from '../src/audit/read.js';
import { report as reportCommand } from '../src/cli/report.js';
import { UsageError } from '../src/errors.js';
import { buildAuditorReport } from '../src/report/auditor.js';
import { cli } from './cli-in-process.js';
import { EXAMPLE, readTree, run } from './helpers.js';

describe('the controlled report (ISO/IEC 42001 7.5)', () => {
  const temps: string[] = [];
  afterAll(() => {
    for (const dir of temps) rmSync(dir, { recursive: true, force: true });
  });
  const git = (cwd: string, ...args: string[]) => {
    const result = spawnSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], {
      cwd,
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
    return result.stdout.trim();
  };
  /** The example as its own repository, committed: what an organisation would report on. */
  const committedExample = () => {
    const dir = mkdtempSync(join(tmpdir(), 'aims-controlled-'));
    temps.push(dir);
    cpSync(EXAMPLE, dir, { recursive: true });
    git(dir, 'init', '-q');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'the example');
    return { dir, commit: git(dir, 'rev-parse', 'HEAD') };
  };
  const row = (markdown: string, label: string) =>
    new RegExp(`^\\| ${label.replace(/[()]/g, '\\$&')} \\| (.*) \\|$`, 'm').exec(markdown)?.[1];
  const period = ['--today', '2026-11-01', '--since', '2026-10-01', '--until', '2026-10-31'];

  it('names organisation, scope, period, repository, commit, tree, version, time and an id; counts only the period', async () => {
    const { dir, commit } = committedExample();
    const { code, stdout } = await cli(['report', ...period, '--prepared-by', 'Jo Quality'], dir);
    expect(code).toBe(0);
    expect(row(stdout, 'Document id')).toMatch(/^AGR-[0-9A-F]{16}$/);
    expect(row(stdout, 'Organisation')).toBe('Acme Lending Ltd');
    expect(row(stdout, 'Scope')).toMatch(/^The machine-learning platform/);
    expect(row(stdout, 'Period')).toBe('2026-10-01 to 2026-10-31');
    expect(row(stdout, 'Commit')).toBe(commit);
    expect(row(stdout, 'Working tree')).toBe('clean: what was read is the commit');
    expect(row(stdout, 'Generated')).toMatch(/^\d{4}-\d\d-\d\dT\S+Z by aims-gate 0\.1\.0$/);
    expect(row(stdout, 'Audit log (SHA-256)')).toMatch(/^[0-9a-f]{64}$/);
    expect(stdout).not.toContain('Draft');
    // Nineteen events from October: the heading counts those, not the log's 36.
    expect(stdout).toContain('## 6. Timeline per system (19 events)');
    expect(stdout).not.toMatch(/^\| \d+ \| 2026-09-/m);
    // The figures' months run to the period's end, from its first.
    expect(stdout).toMatch(/\| 2026-10 \| \d+ \|/);
    expect(stdout).not.toMatch(/\| 2026-(09|11) \| \d+ \|/);
    // Sign-off: the name given, and blank lines to sign and date for every role.
    expect(stdout).toMatch(/^\| Prepared by \| Jo Quality \| _{28} \| _{12} \|$/m);
    expect(stdout).toMatch(/^\| Approved by \| _{28} \| _{28} \| _{12} \|$/m);
  }, 120_000);

  it('gives the same id for the same inputs in every format, and another for another period or document', async () => {
    const { dir } = committedExample();
    const id = async (args: string[]) => {
      const out = await cli(['report', ...period, ...args], dir);
      expect(out.code).toBe(0);
      return /AGR-[0-9A-F]{16}/.exec(out.stdout)?.[0];
    };
    const first = await id([]);
    expect(first).toBeDefined();
    expect(await id([])).toBe(first);
    expect(await id(['-f', 'html'])).toBe(first);
    expect(await id(['--prepared-by', 'someone'])).toBe(first);
    expect(await id(['--since', '2026-09-01'])).not.toBe(first);
    git(dir, 'commit', '-q', '--allow-empty', '-m', 'another commit');
    expect(await id([])).not.toBe(first);
  }, 120_000);

  it('flags a working tree that is not the commit, and --require-clean refuses it; the log and the report itself are not inputs', async () => {
    const { dir } = committedExample();
    // Appending to the log is what the log is for; writing the report into the repository changes no input.
    expect(
      (
        await cli(
          ['record', '--type', 'model.retrained', '--system', 'credit-scoring', '--actor', 'ci-bot'],
          dir,
        )
      ).code,
    ).toBe(0);
    const inside = await cli(['report', '--today', '2026-11-01', '--require-clean', '-o', 'report.md'], dir);
    expect(inside).toMatchObject({ code: 0, stdout: '' });
    expect(
      (await cli(['report', '--today', '2026-11-01', '--require-clean', '-o', 'report.md'], dir)).code,
    ).toBe(0);

    unlinkSync(join(dir, 'report.md'));
    appendFileSync(join(dir, 'models/credit-scoring/MODEL_CARD.md'), '\nAn edit nobody committed.\n');
    const draft = await cli(['report', '--today', '2026-11-01'], dir);
    expect(draft.code).toBe(0);
    expect(draft.stdout).toMatch(
      /^> ⚠ \*\*Draft\.\*\* Working tree MODIFIED: 1 file differs from the commit/m,
    );
    expect(row(draft.stdout, 'Working tree')).toContain('models/credit-scoring/MODEL_CARD.md');
    expect(draft.stderr).toContain('aims-gate: a draft: working tree MODIFIED');
    const refused = await cli(['report', '--today', '2026-11-01', '--require-clean'], dir);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('models/credit-scoring/MODEL_CARD.md');
    expect(refused.stderr).toContain('commit or stash the changes');

    // Outside git, nothing vouches for what was read: a draft too.
    const loose = mkdtempSync(join(tmpdir(), 'aims-loose-'));
    temps.push(loose);
    cpSync(EXAMPLE, loose, { recursive: true });
    const unknown = await cli(['report', '--today', '2026-11-01'], loose);
    expect(row(unknown.stdout, 'Commit')).toBe('none');
    expect((await cli(['report', '--today', '2026-11-01', '--require-clean'], loose)).code).toBe(2);
  }, 120_000);

  it('lists the evidence files the log cites with their digests, and verify --evidence names the missing and changed', async () => {
    const { dir } = committedExample();
    writeFileSync(join(dir, 'review-minutes.txt'), 'Minutes of the model risk committee.\n');
    const recorded = await cli(
      [
        'record',
        '--type',
        'custom.risk-committee',
        '--system',
        'credit-scoring',
        '--evidence',
        'review-minutes.txt',
      ],
      dir,
    );
    expect(recorded.code).toBe(0);
    const digest = JSON.parse(
      readFileSync(join(dir, '.aims-gate/audit-log.jsonl'), 'utf8').trim().split('\n').pop()!,
    ).evidence[0].sha256;
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    const listed = (await cli(['report', '--today', '2026-11-01'], dir)).stdout;
    expect(listed).toContain('## 11. Evidence files cited by the log');
    expect(listed).toContain(`| \`review-minutes.txt\` | ${digest} | #37 | matches |`);
    expect(listed).toContain('| `governance/evidence/internal-audit-IA-2026-1.md` |');
    expect(await cli(['verify', '--evidence'], dir)).toMatchObject({ code: 0 });
    expect((await cli(['verify', '--evidence'], dir)).stdout).toContain(
      '✔ evidence: 11 files as the log recorded them',
    );

    unlinkSync(join(dir, 'review-minutes.txt'));
    appendFileSync(join(dir, 'governance/evidence/management-review-2026-10-28.md'), 'edited\n');
    const verified = await cli(['verify', '--evidence'], dir);
    expect(verified.code).toBe(1);
    expect(verified.stdout).toContain('✖ evidence: 2 files of 11 not as the log recorded them');
    expect(verified.stdout).toContain(
      `✖ review-minutes.txt (entry 37): missing, where the log recorded SHA-256 ${digest}`,
    );
    expect(verified.stdout).toMatch(
      /✖ governance\/evidence\/management-review-2026-10-28\.md \(entry \d+\): changed, its SHA-256 is now [0-9a-f]{64} where the log recorded [0-9a-f]{64}/,
    );
    const json = JSON.parse((await cli(['verify', '--evidence', '-f', 'json'], dir)).stdout);
    expect(json.ok).toBe(false);
    expect(
      json.evidence.files
        .filter((f: { state: string }) => f.state !== 'matches')
        .map((f: { path: string }) => f.path)
        .sort(),
    ).toEqual(['governance/evidence/management-review-2026-10-28.md', 'review-minutes.txt']);
    // The report shows them first, in capitals.
    const report = (await cli(['report', '--today', '2026-11-01'], dir)).stdout;
    const section = report.slice(report.indexOf('## 11.'));
    expect(section).toMatch(
      /^\| `(review-minutes\.txt|governance\/evidence\/management-review-2026-10-28\.md)` \|.*\| \*\*(MISSING|CHANGED)/m,
    );
    expect(section).toContain(
      `| \`review-minutes.txt\` | ${digest} | #37 | **MISSING from the working tree** |`,
    );
    // A record's evidence is kept as it was: an entry citing the edited minutes does not launder them.
    expect(
      (
        await cli(
          [
            'record',
            '--type',
            'custom.note',
            '--system',
            'credit-scoring',
            '--evidence',
            'governance/evidence/management-review-2026-10-28.md',
          ],
          dir,
        )
      ).code,
    ).toBe(0);
    expect((await cli(['verify', '--evidence'], dir)).stdout).toMatch(
      /✖ governance\/evidence\/management-review-2026-10-28\.md \(entry 23\): changed/,
    );
    // A file outside the repository cannot be checked later: record refuses it.
    const outside = join(tmpdir(), `aims-outside-${process.pid}.txt`);
    writeFileSync(outside, 'x');
    temps.push(outside);
    const refused = await cli(
      ['record', '--type', 'custom.x', '--system', 'credit-scoring', '--evidence', outside],
      dir,
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('is outside the repository');
  }, 120_000);

  it("stands as at the period's end: what happened after it is not read", async () => {
    const evaluation = await run(readTree(EXAMPLE));
    const entries: AuditEntry[] = [];
    for await (const entry of readEntries(new FileStore(join(EXAMPLE, '.aims-gate/audit-log.jsonl'))))
      entries.push(entry);
    const build = (log: { since?: string; until?: string }) =>
      buildAuditorReport({
        evaluation,
        entries,
        log: { path: 'log', found: true, checkpointGiven: false, ...log },
        generated: '2026-11-02T00:00:00.000Z',
      });
    const whole = build({});
    const august = build({ since: '2026-08-01', until: '2026-08-31' });
    // The drift nonconformity opened in August and closed in September: open at August's end.
    const drift = august.nonconformities.find((nc) => nc.title?.startsWith('Drift reached customers'));
    expect(drift?.closed).toBeUndefined();
    expect(whole.nonconformities.find((nc) => nc.id === drift?.id)?.closed).toBeDefined();
    // August's events only (alert, incident, NC opened, action planned), counted and listed.
    expect(august.totalEvents).toBe(4);
    expect(august.eventTypes).toEqual([
      'corrective-action.planned',
      'incident',
      'monitoring.alert',
      'nonconformity.opened',
    ]);
    expect(august.systems.flatMap((s) => s.events).every((e) => e.time.startsWith('2026-08'))).toBe(true);
    expect(august.deployments).toEqual([]);
    // The figures run to the period's month and start at its first.
    expect(august.kpis.months.map((m) => m.month)).toEqual(['2026-08']);
    expect(whole.totalEvents).toBe(entries.length);
    // Overdue as at the period's end, in the register, the figures and the objectives alike.
    const october = build({ until: '2026-10-31' });
    const nc19 = october.nonconformities.find((nc) => nc.id === 'NC-19')!;
    expect(nc19).toMatchObject({ due: '2026-10-31', overdue: false });
    expect(whole.nonconformities.find((nc) => nc.id === 'NC-19')).toMatchObject({ overdue: true });
    expect(october.kpis.overdueNonconformities).toBe(
      october.nonconformities.filter((nc) => nc.overdue).length,
    );
    const measured = october.kpis.objectives.filter((o) => o.basis.includes(' as of '));
    expect(measured.length).toBeGreaterThan(0);
    expect(measured.every((o) => o.basis.endsWith('as of 2026-10-31'))).toBe(true);
  });

  it("evaluates the documents as at a past period's end, unless --today says otherwise", async () => {
    const past = await cli(['report', '--until', '2026-10-31', EXAMPLE], process.cwd());
    expect(past.stdout).toContain('documents evaluated as of 2026-10-31');
    const given = await cli(
      ['report', '--until', '2026-10-31', '--today', '2026-11-15', EXAMPLE],
      process.cwd(),
    );
    expect(given.stdout).toContain('documents evaluated as of 2026-11-15');
  }, 120_000);

  it('never writes a PDF, or HTML to a terminal, without -o', async () => {
    const io = { out: () => {}, err: () => {}, color: false, terminal: true };
    await expect(reportCommand(['-f', 'html', EXAMPLE], io)).rejects.toThrow(UsageError);
    await expect(reportCommand(['-f', 'html', EXAMPLE], io)).rejects.toThrow('pass -o report.html');
    await expect(reportCommand(['-f', 'pdf', EXAMPLE], { ...io, terminal: false })).rejects.toThrow(
      'report -f pdf writes a file: pass -o report.pdf',
    );
    // Into a pipe, HTML is what was asked for.
    const piped = await cli(['report', '-f', 'html', '--today', '2026-11-01', EXAMPLE], process.cwd());
    expect(piped.stdout).toMatch(/^<!doctype html>/);
    const swapped = await cli(
      ['report', '--since', '2026-10-02', '--until', '2026-10-01', EXAMPLE],
      process.cwd(),
    );
    expect(swapped).toMatchObject({ code: 2 });
    expect(swapped.stderr).toContain('--since 2026-10-02 is after --until 2026-10-01');
  }, 120_000);
});
