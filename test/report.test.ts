import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import AjvDraft04Module from 'ajv-draft-04';
// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
import addFormatsModule from 'ajv-formats';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../src/audit/entry.js';
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
