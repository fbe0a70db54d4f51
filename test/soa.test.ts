import { describe, expect, it } from 'vitest';
import { controlIds } from '../src/controls.js';
import { buildAuditorReport } from '../src/report/auditor.js';
import { renderAuditorHtml } from '../src/report/auditor-html.js';
import { renderAuditorMarkdown } from '../src/report/auditor-markdown.js';
import { DEFAULT_SOA_PATH, readStatement } from '../src/soa.js';
import { conformantRepo, EXAMPLE, RISK, readTree, run } from './helpers.js';

const SOA = DEFAULT_SOA_PATH;
const bytes = (text: string) => new TextEncoder().encode(text);

/** A SoA declaring every control applicable, implemented, justified by a requirement; `extra` replaces some. */
function soaText(extra: Record<string, string> = {}, leaveOut: string[] = []): string {
  const lines = ['organisation: Acme', 'scope: ML platform', 'version: "1.0"', 'controls:'];
  for (const id of controlIds()) {
    if (leaveOut.includes(id)) continue;
    lines.push(
      extra[id] ??
        `  ${id}: { applicable: true, justification: { requirements: [{ type: policy, text: AI policy }] }, status: implemented, owner: "@acme/gov" }`,
    );
  }
  return `${lines.join('\n')}\n`;
}

describe("the organisation's Statement of Applicability file", () => {
  it('accepts a complete SoA and reads what it declares', () => {
    const statement = readStatement(SOA, bytes(soaText()));
    expect(statement.problems).toEqual([]);
    expect(statement).toMatchObject({
      organisation: 'Acme',
      scope: 'ML platform',
      version: '1.0',
      from: 'file',
    });
    expect(Object.keys(statement.controls)).toHaveLength(38);
    expect(statement.controls['A.2.2']).toMatchObject({
      applicable: true,
      status: 'implemented',
      owner: '@acme/gov',
      justification: { requirements: [{ type: 'policy', text: 'AI policy' }] },
      line: 5,
    });
  });

  it('says at its line: a bad status, a justification naming no reason, an unknown control, a missing version', () => {
    const text = soaText({
      'A.2.3':
        '  A.2.3: { applicable: true, justification: { requirements: [{ type: policy, text: x }] }, status: done, owner: a }',
      'A.2.4': '  A.2.4: { applicable: true, justification: {}, status: planned, owner: a }',
      'A.10.4':
        '  A.10.4: { applicable: false, justification: { risks: [R-1] } }\n  A.11.1: { applicable: false }',
    }).replace('version: "1.0"\n', '');
    const { problems } = readStatement(SOA, bytes(text));
    const at = (line: number) => problems.filter((p) => p.line === line).map((p) => p.message);
    expect(problems.length).toBeGreaterThanOrEqual(5);
    expect(at(1).join(' ')).toContain('version');
    expect(at(5).join(' ')).toMatch(/status/);
    expect(at(5).join(' ')).toMatch(/implemented/);
    expect(at(6).join(' ')).toMatch(/justification/);
    expect(at(41).join(' ')).toMatch(/exclusion/);
    expect(problems.some((p) => p.line === 42 && /A\.11\.1/.test(p.message))).toBe(true);
  });

  it('flags every TODO init leaves as unfinished, at its line, and reads none as an answer', () => {
    const text = soaText({
      'A.2.2':
        '  A.2.2:\n    applicable: true\n    justification:\n      risks: ["TODO: a risk id"]\n    status: planned\n    owner: "TODO: who owns this control"',
    });
    const statement = readStatement(SOA, bytes(text));
    expect(statement.problems.map((p) => [p.line, p.message])).toEqual([
      [8, 'controls.A.2.2.justification.risks.0 is unfinished: "TODO: a risk id"'],
      [10, 'controls.A.2.2.owner is unfinished: "TODO: who owns this control"'],
    ]);
    expect(statement.controls['A.2.2']).toMatchObject({ justification: { risks: [] } });
    expect(statement.controls['A.2.2']?.owner).toBeUndefined();
  });

  it('is not a mapping, or not YAML: one problem that says so', () => {
    expect(readStatement(SOA, bytes('- a\n- b\n')).problems[0]?.message).toContain('not a mapping');
    expect(readStatement(SOA, bytes('a: [\n')).problems).toHaveLength(1);
  });

  it('refuses a status on a control declared not applicable, and evidence paths the repository does not have', async () => {
    const text = soaText({
      'A.10.4':
        '  A.10.4: { applicable: false, justification: { exclusion: no customers }, status: implemented }',
      'A.3.2':
        '  A.3.2: { applicable: true, justification: { risks: [R-1] }, status: implemented, owner: a, evidence: [.github/CODEOWNERS, "models/*/risk-assessment.yml owners", ISMS-POL-1, "https://x.example/a/b"] }',
    });
    expect(readStatement(SOA, bytes(text)).problems.map((p) => [p.line, p.message])).toEqual([
      [42, 'A.10.4 is declared not applicable, yet its status is implemented'],
    ]);
    const evaluation = await run({ ...conformantRepo(), [SOA]: text });
    const notices = evaluation.notices.filter((n) => n.startsWith(`${SOA}:`));
    // The glob matches the repository's risk registers; the id and the link are not paths.
    expect(notices.map((n) => n.split('. ')[0])).toEqual([
      `${SOA}:8: A.3.2 cites ".github/CODEOWNERS" as evidence, but .github/CODEOWNERS is not in the repository`,
      `${SOA}:42: A.10.4 is declared not applicable, yet its status is implemented`,
    ]);
  });

  it("a check names the SoA's problems with file and line in its notices", async () => {
    const files = {
      ...conformantRepo(),
      [SOA]: soaText({ 'A.2.3': '  A.2.3: { applicable: true, justification: {}, status: done, owner: a }' }),
    };
    const evaluation = await run(files);
    expect(evaluation.notices.filter((n) => n.startsWith(`${SOA}:6:`)).length).toBeGreaterThanOrEqual(2);
  });

  it('reads its path from the config', async () => {
    const files = {
      ...conformantRepo(),
      '.github/aims-gate.yml': 'systems: [models/*]\nstatement-of-applicability: docs/soa.yaml\n',
      'docs/soa.yaml': soaText(),
    };
    const evaluation = await run(files);
    expect(evaluation.statement).toMatchObject({ path: 'docs/soa.yaml', found: true, version: '1.0' });
    await expect(
      run({
        ...files,
        '.github/aims-gate.yml': 'systems: [models/*]\nstatement-of-applicability: /etc/soa.txt\n',
      }),
    ).rejects.toThrow(/statement-of-applicability/);
  });
});

describe('the declared SoA beside the evidence: every disagreement flagged', () => {
  async function rows(
    files: Record<string, string>,
    entries: Parameters<typeof buildAuditorReport>[0]['entries'] = [],
  ) {
    const report = buildAuditorReport({
      evaluation: await run(files),
      entries,
      log: { path: '.aims-gate/audit-log.jsonl', found: false, checkpointGiven: false },
      generated: '2026-11-02T00:00:00.000Z',
    });
    return { report, row: (id: string) => report.applicability.find((r) => r.control === id)! };
  }

  it('a control not declared at all: listed, in every format', async () => {
    const { report, row } = await rows({ ...conformantRepo(), [SOA]: soaText({}, ['A.8.5', 'A.10.3']) });
    expect(row('A.8.5')).toMatchObject({
      applicable: 'not declared',
      flags: ['Not declared in the Statement of Applicability: every Annex A control must be.'],
    });
    expect(report.applicability.filter((r) => r.applicable === 'not declared').map((r) => r.control)).toEqual(
      ['A.8.5', 'A.10.3'],
    );
    expect(renderAuditorMarkdown(report)).toContain('**Not declared (2):** A.8.5, A.10.3');
    expect(renderAuditorHtml(report)).toContain(
      '<p id="soa-undeclared"><strong>Not declared (2):</strong> A.8.5, A.10.3</p>',
    );
  });

  it('no SoA file at all: every control undeclared, and the report says where it was looked for', async () => {
    const { report } = await rows(conformantRepo());
    expect(report.applicability.every((r) => r.applicable === 'not declared')).toBe(true);
    expect(renderAuditorMarkdown(report)).toContain(`No Statement of Applicability at ${SOA}`);
  });

  it('declared applicable without a justification of need (the deprecated config map has none)', async () => {
    const { row } = await rows({
      ...conformantRepo(),
      '.github/aims-gate.yml':
        'systems: [models/*]\nstatement-of-applicability:\n  A.2.2: { applicable: true, justification: Approved by the board. }\n',
    });
    expect(row('A.2.2').flags).toEqual([
      'Declared applicable without a justification of need: no risk, treatment or requirement.',
    ]);
  });

  it('declared implemented with open findings, and with an open nonconformity opened by hand', async () => {
    const files: Record<string, string> = { ...conformantRepo(), [SOA]: soaText() };
    // No evaluation section and no model-index metrics (either satisfies card.evaluation).
    files['models/credit-scoring/MODEL_CARD.md'] = files['models/credit-scoring/MODEL_CARD.md']!.replace(
      '## Evaluation',
      '## Notes',
    ).replace(/^model-index:[\s\S]*?(?=^---)/m, '');
    const nc = {
      v: 1,
      seq: 1,
      time: '2026-10-01T00:00:00.000Z',
      type: 'nonconformity.opened',
      actor: { login: 'auditor' },
      subject: { repository: 'acme/ml' },
      details: {
        grade: 'minor',
        source: 'internal audit',
        title: 'Policy not communicated',
        controls: ['A.2.2'],
      },
    };
    const { row } = await rows(files, [nc as never]);
    expect(row('A.6.2.4').flags).toEqual([
      expect.stringMatching(/^Declared implemented, yet \d+ open findings? cites? it\.$/),
    ]);
    expect(row('A.2.2').flags).toEqual(['Declared implemented, yet 1 open nonconformity (NC-1).']);
  });

  it('declared not applicable while a risk treatment cites the control', async () => {
    const files: Record<string, string> = {
      ...conformantRepo(),
      [SOA]: soaText({
        'A.6.2.6': '  A.6.2.6: { applicable: false, justification: { exclusion: Batch scoring only. } }',
      }),
    };
    files[RISK] = files[RISK]!.replace(
      'controls: [Population stability index alerting, Quarterly back-testing]',
      'controls: [Population stability index alerting, A.6.2.6]',
    );
    const { row } = await rows(files);
    expect(row('A.6.2.6')).toMatchObject({
      applicable: 'no',
      justification: 'Excluded: Batch scoring only.',
    });
    expect(row('A.6.2.6').flags).toContain(
      'Declared not applicable, yet a risk treatment cites it: R-002 of credit-scoring (mitigate).',
    );
  });

  it('cites a risk no risk register has', async () => {
    const { row } = await rows({
      ...conformantRepo(),
      [SOA]: soaText({
        'A.5.4':
          '  A.5.4: { applicable: true, justification: { risks: [R-001, R-404] }, status: planned, owner: a }',
      }),
    });
    expect(row('A.5.4')).toMatchObject({ justification: 'Risks R-001, R-404.' });
    expect(row('A.5.4').flags).toEqual(['Cites 1 risk no risk register here has: R-404.']);
  });

  it('the example declares every control, with version and owner, and the report shows them', async () => {
    const evaluation = await run(readTree(EXAMPLE));
    expect(evaluation.statement).toMatchObject({
      found: true,
      version: '2.1',
      organisation: 'Acme Lending Ltd',
      problems: [],
    });
    expect(Object.keys(evaluation.statement.controls)).toEqual(controlIds());
  });
});
