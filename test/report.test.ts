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
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AjvDraft04Module from 'ajv-draft-04';
// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
import addFormatsModule from 'ajv-formats';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../src/audit/entry.js';
import { FileStore } from '../src/audit/file-store.js';
import { readEntries } from '../src/audit/read.js';
import { report as reportCommand } from '../src/cli/report.js';
import { UsageError } from '../src/errors.js';
import { buildAuditorReport } from '../src/report/auditor.js';
import { FORMATS } from '../src/report/index.js';
import { inventoryCsv, inventoryRows } from '../src/report/inventory-export.js';
import type { Evaluation } from '../src/types.js';
import { EXAMPLE, readTree, run } from './helpers.js';

const require = createRequire(import.meta.url);
// ajv-draft-04 is CommonJS; under NodeNext its default export arrives wrapped.
const AjvDraft04 = AjvDraft04Module as unknown as typeof AjvDraft04Module.default;
const sarifSchema = JSON.parse(
  readFileSync(require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8'),
);
const options = { color: false, version: '0.1.0' };

async function example(): Promise<Evaluation> {
  return run(readTree(EXAMPLE));
}

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

describe('SARIF', () => {
  it('is valid SARIF 2.1.0 with rules, locations and fingerprints', async () => {
    const evaluation = await example();
    const log = JSON.parse(FORMATS.sarif(evaluation, options));
    // The published schema has a pattern that is valid only as a non-unicode regular expression.
    const ajv = new AjvDraft04({ allErrors: true, strict: false, unicodeRegExp: false });
    addFormats(ajv as unknown as Parameters<typeof addFormats>[0]); // the schema's `uri` formats are checked, not ignored
    const validate = ajv.compile(sarifSchema);
    expect(validate(log) ? [] : validate.errors).toEqual([]);
    // The check can fail: a result with an unknown level is not SARIF.
    expect(
      validate({
        ...log,
        runs: [{ ...log.runs[0], results: [{ ...log.runs[0].results[0], level: 'fatal' }] }],
      }),
    ).toBe(false);

    const [runLog] = log.runs;
    expect(runLog.tool.driver.rules.length).toBe(evaluation.rules.length);
    expect(runLog.results).toHaveLength(evaluation.findings.length);
    const result = runLog.results.find((r: { ruleId: string }) => r.ruleId === 'risk.scores');
    expect(result).toMatchObject({
      level: 'error',
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: 'models/churn-predictor/risk-assessment.yml' },
            region: { startLine: 15 },
          },
        },
      ],
      partialFingerprints: { primaryLocationLineHash: expect.stringMatching(/^[0-9a-f]{32}:1$/) },
    });
    // Governance findings are not security alerts: no security-severity, no security tag.
    expect(JSON.stringify(log)).not.toContain('security-severity');
    for (const rule of runLog.tool.driver.rules) {
      expect(rule.properties.tags).not.toContain('security');
      expect(['error', 'warning', 'recommendation']).toContain(rule.properties['problem.severity']);
    }
    // The fingerprint names the problem, not its line: moved down by an edit above, the alert stays one.
    const moved = JSON.parse(
      FORMATS.sarif(
        { ...evaluation, findings: evaluation.findings.map((f) => ({ ...f, line: (f.line ?? 1) + 3 })) },
        options,
      ),
    ).runs[0].results.find((r: { ruleId: string }) => r.ruleId === 'risk.scores');
    expect(moved.partialFingerprints).toEqual(result.partialFingerprints);
    expect(moved.locations[0].physicalLocation.region.startLine).toBe(18);
    expect(runLog.tool.driver.rules[result.ruleIndex].id).toBe('risk.scores');
    const waived = runLog.results.find((r: { ruleId: string }) => r.ruleId === 'card.datasets');
    expect(waived.suppressions).toMatchObject([{ kind: 'external', status: 'accepted' }]);
  });
});

describe('text', () => {
  it('groups by system, has no colour codes unless asked, and ends with the verdict', async () => {
    const evaluation = await example();
    const text = FORMATS.text(evaluation, options);
    expect(text).not.toContain('\x1b[');
    expect(text).toContain(
      'models/credit-scoring  credit-scoring · v3.2.0 · tier high · production · owner @acme/risk-ml\n  ✔ no findings',
    );
    expect(text).toContain(
      '  ✖ major  risk.scores  models/churn-predictor/risk-assessment.yml:15:12\n      risk R-1: score 12 is not likelihood × impact (3 × 3 = 9)',
    );
    expect(text.trimEnd().split('\n').at(-1)).toBe('FAIL: findings: 4 major, 9 minor (fails on: major)');
    expect(FORMATS.text(evaluation, { ...options, color: true })).toContain('\x1b[31m✖ major\x1b[39m');
  });
});

describe('markdown', () => {
  it('summarises per system and per control, and escapes document text', async () => {
    const evaluation = await example();
    evaluation.findings[0]!.message = 'a <script>alert(1)</script> | pipe';
    const markdown = FORMATS.markdown(evaluation);
    expect(markdown).toMatch(/^## aims-gate: ❌ FAIL/);
    expect(markdown).toContain(
      '| `models/credit-scoring` credit-scoring v3.2.0 | high | production | @acme/risk-ml | 0 | 0 | 0 | 0 |',
    );
    expect(markdown).toContain(
      '| A.5.3 Documentation of AI system impact assessments | major nonconformity | 1 |',
    );
    expect(markdown).toContain('a &lt;script&gt;alert(1)&lt;/script&gt; | pipe');
    expect(markdown).not.toContain('<script>');
  });
});

describe('json', () => {
  it('carries the whole evaluation', async () => {
    const evaluation = await example();
    expect(JSON.parse(FORMATS.json(evaluation))).toEqual(JSON.parse(JSON.stringify(evaluation)));
  });
});

describe('formats for other CIs: compact, github, junit', () => {
  /** The example, with a finding whose text tries to end its line and start a command of its own. */
  async function hostile(): Promise<Evaluation> {
    const evaluation = await example();
    const [first, ...rest] = evaluation.findings;
    return {
      ...evaluation,
      findings: [
        { ...first!, message: 'bad\n::error::forged, 100%', path: 'models/a,b:c/MODEL_CARD.md' },
        ...rest,
      ],
    };
  }

  it('compact: one line per finding, then the totals and the verdict', async () => {
    const evaluation = await example();
    const lines = FORMATS.compact(evaluation).trimEnd().split('\n');
    // A line per finding, the waiver, the totals and the verdict.
    expect(lines).toHaveLength(evaluation.findings.length + 3);
    expect(lines.at(-3)).toBe(
      'Waiver card.datasets for churn-predictor: applied to 1 finding (expires 2027-03-31, approved by @governance/lead)',
    );
    expect(lines).toContain(
      'models/churn-predictor/risk-assessment.yml:15:12: major risk.scores: risk R-1: score 12 is not likelihood × impact (3 × 3 = 9) [churn-predictor]',
    );
    expect(lines.at(-2)).toBe(
      '95 checks (47 rules on 3 AI systems): 84 passed, 11 failed; 14 findings, 1 waived',
    );
    expect(lines.at(-1)).toBe('FAIL: findings: 4 major, 9 minor (fails on: major)');
    expect(FORMATS.compact(await hostile()).split('\n')[0]).toContain('bad\\n::error::forged');
  });

  it('github: a workflow command per open finding, escaped so no text ends one or starts another', async () => {
    const evaluation = await hostile();
    const lines = FORMATS.github(evaluation).trimEnd().split('\n');
    const open = evaluation.findings.filter((f) => !f.waiver);
    expect(lines).toHaveLength(open.length + 3); // and the waiver, the totals, the verdict
    expect(lines[0]).toBe(
      `::error file=models/a%2Cb%3Ac/MODEL_CARD.md,line=${open[0]!.line}${open[0]!.column ? `,col=${open[0]!.column}` : ''},title=${open[0]!.rule} (churn-predictor)::bad\\n::error::forged, 100%25. Fix: ${open[0]!.remedy}`,
    );
    // Every line is one command, or plain text that is none.
    expect(lines.filter((l) => l.startsWith('::'))).toHaveLength(open.length);
    expect(lines.some((l) => l.startsWith('::warning file=') && l.includes('risk.review-due'))).toBe(true);
  });

  it('compact and github name what the policy set aside: disabled rules, waivers (unused too), notes', async () => {
    const files = readTree(EXAMPLE);
    const config = '.github/aims-gate.yml';
    files[config] = files[config]!.replace(
      'overrides:\n',
      'overrides:\n  card.license: { disabled: true, reason: "in the legal register" }\n',
    );
    const evaluation = await run(files);
    expect(evaluation.disabled).toHaveLength(1);
    for (const format of ['compact', 'github'] as const) {
      const text = FORMATS[format](evaluation);
      expect(text).toContain('\nRule card.license is disabled: in the legal register\n');
      expect(text).toContain('\nWaiver card.datasets for churn-predictor: applied to 1 finding');
    }
  });

  it('rules that cannot read their document are skipped, not counted as passed', async () => {
    const files = readTree(EXAMPLE);
    const card = 'models/credit-scoring/MODEL_CARD.md';
    files[card] = files[card]!.replace('---\n', '---\nbroken: "unclosed\n');
    const evaluation = await run(files);
    const credit = evaluation.systems.find((s) => s.path === 'models/credit-scoring')!;
    expect(credit.skipped).toBeGreaterThan(10);
    const totals = FORMATS.compact(evaluation).trimEnd().split('\n').at(-2)!;
    const [, checks, passed, failed, skipped] =
      /^(\d+) checks .*: (\d+) passed, (\d+) failed, (\d+) skipped \(a document they read cannot be read\)/
        .exec(totals)!
        .map(Number);
    expect(skipped).toBe(credit.skipped);
    expect(passed! + failed! + skipped!).toBe(checks);
    const { testsuites } = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(
      FORMATS.junit(evaluation),
    );
    expect(testsuites.skipped).toBe('1');
    const suite = [testsuites.testsuite].flat().find((s: { name: string }) => s.name === credit.id);
    expect(suite.skipped).toBe('1');
    expect([suite.testcase].flat()).toContainEqual({
      classname: credit.id,
      name: `${credit.skipped} rules skipped`,
      skipped: { message: 'a document they read cannot be read' },
    });
  });

  it('junit: well-formed XML, a suite per system, a failed case per rule with open findings', async () => {
    const evaluation = await hostile();
    const text = FORMATS.junit(evaluation);
    expect(XMLValidator.validate(text)).toBe(true);
    const { testsuites } = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(text);
    expect(testsuites).toMatchObject({ name: 'aims-gate', failures: '11' });
    expect(Number(testsuites.tests)).toBe([...text.matchAll(/<testcase /g)].length);
    const suites = [testsuites.testsuite].flat();
    expect(suites.map((s: { name: string }) => s.name).sort()).toEqual([
      'churn-predictor',
      'credit-scoring',
      'legacy-recommender',
    ]);
    const churn = suites.find((s: { name: string }) => s.name === 'churn-predictor');
    expect(churn.failures).toBe('11');
    expect([churn.testcase].flat().map((c: { name: string }) => c.name)).toContain('risk.scores');
    // The waived finding's rule does not fail.
    expect([churn.testcase].flat().some((c: { name: string }) => c.name === 'card.datasets')).toBe(false);
  });
});

describe('inventory CSV', () => {
  it('quotes what must be quoted, and shows a formula a spreadsheet would run instead of running it', () => {
    const row = {
      id: 'scorer',
      path: 'models/scorer',
      owner: '=HYPERLINK("https://evil.example","x")',
      tier: 'high',
      status: 'production',
      required: [],
      present: [],
      lastEvaluation: '',
      lastDeployment: {},
      warning: 'a, b\nc',
    };
    const [, line] = inventoryCsv([row]).split('\r\n');
    expect(line).toBe(
      'scorer,models/scorer,"\'=HYPERLINK(""https://evil.example"",""x"")",high,production,,,,"a, b\nc"',
    );
    const cell = (owner: string) =>
      inventoryCsv([{ ...row, owner, warning: '' }])
        .split('\r\n')[1]!
        .split(',')[2];
    for (const formula of ['=2+5', '+1+1', '-1+1', '@SUM(A1)', '\t=1+1', '@A1/B1', '@acme/risk-ml'])
      expect(cell(formula)).toBe(`'${formula}`);
    for (const plain of ['-1', '+2.5', 'acme/risk-ml']) expect(cell(plain)).toBe(plain);
  });
});

describe('inventory rows', () => {
  it('a gate decision counts for the systems it deployed; an older one without systems counts for each', async () => {
    const evaluation = await example();
    const decision = (seq: number, environment: string, systems?: string[]) =>
      ({
        v: 1,
        seq,
        prev: '0'.repeat(64),
        hash: '0'.repeat(64),
        type: 'deployment.approved',
        time: `2026-0${seq}-01T00:00:00Z`,
        actor: { login: 'aims-gate' },
        subject: { environment, commit: `${seq}`.repeat(40) },
        details: { by: 'aims-gate', ...(systems ? { systems } : {}) },
        evidence: [],
      }) as unknown as AuditEntry;
    const rows = inventoryRows(evaluation, [
      decision(1, 'staging'),
      decision(2, 'production', ['credit-scoring']),
    ]);
    const byId = Object.fromEntries(rows.map((r) => [r.id, r.lastDeployment]));
    expect(byId['credit-scoring']).toEqual({
      staging: '2026-01-01 1111111',
      production: '2026-02-01 2222222',
    });
    expect(byId['churn-predictor']).toEqual({ staging: '2026-01-01 1111111' });
  });
});

describe('the controlled report (ISO/IEC 42001 7.5)', () => {
  const BIN = join(import.meta.dirname, '..', 'bin', 'aims-gate.js');
  const temps: string[] = [];
  afterAll(() => {
    for (const dir of temps) rmSync(dir, { recursive: true, force: true });
  });
  const cli = (args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) => {
    const result = spawnSync(process.execPath, [BIN, ...args], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', ...env },
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };
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

  it('names organisation, scope, period, repository, commit, tree, version, time and an id; counts only the period', () => {
    const { dir, commit } = committedExample();
    const { code, stdout } = cli(['report', ...period, '--prepared-by', 'Jo Quality'], dir);
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
    // Seven events from October: the heading counts those, not the log's 24.
    expect(stdout).toContain('## 6. Timeline per system (7 events)');
    expect(stdout).not.toMatch(/\| 2026-09-/);
    // The figures' months run to the period's end, from its first.
    expect(stdout).toMatch(/\| 2026-10 \| \d+ \|/);
    expect(stdout).not.toMatch(/\| 2026-(09|11) \| \d+ \|/);
    // Sign-off: the name given, and blank lines to sign and date for every role.
    expect(stdout).toMatch(/^\| Prepared by \| Jo Quality \| _{28} \| _{12} \|$/m);
    expect(stdout).toMatch(/^\| Approved by \| _{28} \| _{28} \| _{12} \|$/m);
  }, 120_000);

  it('gives the same id for the same inputs in every format, and another for another period or document', () => {
    const { dir } = committedExample();
    const id = (args: string[]) => {
      const out = cli(['report', ...period, ...args], dir);
      expect(out.code).toBe(0);
      return /AGR-[0-9A-F]{16}/.exec(out.stdout)?.[0];
    };
    const first = id([]);
    expect(first).toBeDefined();
    expect(id([])).toBe(first);
    expect(id(['-f', 'html'])).toBe(first);
    expect(id(['--prepared-by', 'someone'])).toBe(first);
    expect(id(['--since', '2026-09-01'])).not.toBe(first);
    git(dir, 'commit', '-q', '--allow-empty', '-m', 'another commit');
    expect(id([])).not.toBe(first);
  }, 120_000);

  it('flags a working tree that is not the commit, and --require-clean refuses it; the log and the report itself are not inputs', () => {
    const { dir } = committedExample();
    // Appending to the log is what the log is for; writing the report into the repository changes no input.
    expect(
      cli(['record', '--type', 'model.retrained', '--system', 'credit-scoring', '--actor', 'ci-bot'], dir)
        .code,
    ).toBe(0);
    const inside = cli(['report', '--today', '2026-11-01', '--require-clean', '-o', 'report.md'], dir);
    expect(inside).toMatchObject({ code: 0, stdout: '' });
    expect(cli(['report', '--today', '2026-11-01', '--require-clean', '-o', 'report.md'], dir).code).toBe(0);

    unlinkSync(join(dir, 'report.md'));
    appendFileSync(join(dir, 'models/credit-scoring/MODEL_CARD.md'), '\nAn edit nobody committed.\n');
    const draft = cli(['report', '--today', '2026-11-01'], dir);
    expect(draft.code).toBe(0);
    expect(draft.stdout).toMatch(
      /^> ⚠ \*\*Draft\.\*\* Working tree MODIFIED: 1 file differs from the commit/m,
    );
    expect(row(draft.stdout, 'Working tree')).toContain('models/credit-scoring/MODEL_CARD.md');
    expect(draft.stderr).toContain('aims-gate: a draft: working tree MODIFIED');
    const refused = cli(['report', '--today', '2026-11-01', '--require-clean'], dir);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('models/credit-scoring/MODEL_CARD.md');
    expect(refused.stderr).toContain('commit or stash the changes');

    // Outside git, nothing vouches for what was read: a draft too.
    const loose = mkdtempSync(join(tmpdir(), 'aims-loose-'));
    temps.push(loose);
    cpSync(EXAMPLE, loose, { recursive: true });
    const unknown = cli(['report', '--today', '2026-11-01'], loose);
    expect(row(unknown.stdout, 'Commit')).toBe('none');
    expect(cli(['report', '--today', '2026-11-01', '--require-clean'], loose).code).toBe(2);
  }, 120_000);

  it('lists the evidence files the log cites with their digests, and verify --evidence names the missing and changed', () => {
    const { dir } = committedExample();
    writeFileSync(join(dir, 'review-minutes.txt'), 'Minutes of the model risk committee.\n');
    const recorded = cli(
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
    const listed = cli(['report', '--today', '2026-11-01'], dir).stdout;
    expect(listed).toContain('## 11. Evidence files cited by the log');
    expect(listed).toContain(`| \`review-minutes.txt\` | ${digest} | #25 | matches |`);
    expect(listed).toContain('| `governance/evidence/internal-audit-IA-2026-1.md` |');
    expect(cli(['verify', '--evidence'], dir)).toMatchObject({ code: 0 });
    expect(cli(['verify', '--evidence'], dir).stdout).toContain(
      '✔ evidence: 6 files as the log last recorded them',
    );

    unlinkSync(join(dir, 'review-minutes.txt'));
    appendFileSync(join(dir, 'governance/evidence/management-review-2026-10-28.md'), 'edited\n');
    const verified = cli(['verify', '--evidence'], dir);
    expect(verified.code).toBe(1);
    expect(verified.stdout).toContain('✖ evidence: 2 files of 6 not as the log last recorded them');
    expect(verified.stdout).toContain(
      `✖ review-minutes.txt (entry 25): missing, where the log recorded SHA-256 ${digest}`,
    );
    expect(verified.stdout).toMatch(
      /✖ governance\/evidence\/management-review-2026-10-28\.md \(entry \d+\): changed, its SHA-256 is now [0-9a-f]{64} where the log recorded [0-9a-f]{64}/,
    );
    const json = JSON.parse(cli(['verify', '--evidence', '-f', 'json'], dir).stdout);
    expect(json.ok).toBe(false);
    expect(
      json.evidence.files
        .filter((f: { state: string }) => f.state !== 'matches')
        .map((f: { path: string }) => f.path)
        .sort(),
    ).toEqual(['governance/evidence/management-review-2026-10-28.md', 'review-minutes.txt']);
    // The report shows them first, in capitals.
    const report = cli(['report', '--today', '2026-11-01'], dir).stdout;
    const section = report.slice(report.indexOf('## 11.'));
    expect(section).toMatch(
      /^\| `(review-minutes\.txt|governance\/evidence\/management-review-2026-10-28\.md)` \|.*\| \*\*(MISSING|CHANGED)/m,
    );
    expect(section).toContain(
      `| \`review-minutes.txt\` | ${digest} | #25 | **MISSING from the working tree** |`,
    );
    // A file outside the repository cannot be checked later: record refuses it.
    const outside = join(tmpdir(), `aims-outside-${process.pid}.txt`);
    writeFileSync(outside, 'x');
    temps.push(outside);
    const refused = cli(
      ['record', '--type', 'custom.x', '--system', 'credit-scoring', '--evidence', outside],
      dir,
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('is outside the repository');
  }, 120_000);

  it("stands as at the period's end: what happened after it is not read", async () => {
    const evaluation = await example();
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
  });

  it('never writes a PDF, or HTML to a terminal, without -o', async () => {
    const io = { out: () => {}, err: () => {}, color: false, terminal: true };
    await expect(reportCommand(['-f', 'html', EXAMPLE], io)).rejects.toThrow(UsageError);
    await expect(reportCommand(['-f', 'html', EXAMPLE], io)).rejects.toThrow('pass -o report.html');
    await expect(reportCommand(['-f', 'pdf', EXAMPLE], { ...io, terminal: false })).rejects.toThrow(
      'report -f pdf writes a file: pass -o report.pdf',
    );
    // Into a pipe, HTML is what was asked for.
    const piped = cli(['report', '-f', 'html', '--today', '2026-11-01', EXAMPLE], process.cwd());
    expect(piped.stdout).toMatch(/^<!doctype html>/);
    const swapped = cli(['report', '--since', '2026-10-02', '--until', '2026-10-01', EXAMPLE], process.cwd());
    expect(swapped).toMatchObject({ code: 2 });
    expect(swapped.stderr).toContain('--since 2026-10-02 is after --until 2026-10-01');
  }, 120_000);
});
