import { describe, expect, it } from 'vitest';
import { loadDocument } from '../src/documents/index.js';
import { LIMITS } from '../src/limits.js';
import { parseData } from '../src/parse/yaml.js';
import { CARD, conformantRepo, findingsOf, IMPACT, RISK, run } from './helpers.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('untrusted YAML', () => {
  it('refuses an alias bomb before expanding it', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++)
      bomb.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    const result = parseData(bomb.join('\n'));
    expect(result).toMatchObject({
      problem: { message: `the document uses more than ${LIMITS.maxAliasCount} YAML aliases`, line: 4 },
    });
  });

  it('refuses custom tags instead of executing or resolving them', () => {
    expect(parseData('a: 1\nrun: !!js/function "function(){}"\n')).toMatchObject({
      problem: { line: 2, message: expect.stringContaining('custom YAML tags are not allowed') },
    });
  });

  it('refuses duplicate keys, multiple documents and deep nesting, naming the line', () => {
    expect(parseData('a: 1\nb: 2\na: 3\n')).toMatchObject({
      problem: { line: 3, message: 'invalid YAML: map keys must be unique' },
    });
    expect(parseData('a: 1\n---\nb: 2\n')).toMatchObject({
      problem: { line: 2, fix: expect.stringContaining('one YAML document per file') },
    });
    const deep = `${'['.repeat(LIMITS.maxDepth + 2)}1${']'.repeat(LIMITS.maxDepth + 2)}`;
    expect(parseData(deep)).toMatchObject({
      problem: { message: `the document nests deeper than ${LIMITS.maxDepth} levels` },
    });
  });

  it('refuses a key that is a collection (an unquoted template placeholder)', () => {
    expect(parseData('a: 1\nsystem: {{name}}\n')).toMatchObject({
      problem: { line: 2, column: 10, message: 'a key is a list or mapping, not plain text' },
    });
  });

  it('reads JSON (with tabs) as YAML and keeps positions', () => {
    const result = parseData('{\n\t"a": 1,\n\t"b": [1,\n\t\t2]\n}\n');
    if (!('data' in result)) throw new Error('expected data');
    expect(result.data.value).toEqual({ a: 1, b: [1, 2] });
    expect(result.data.locate(['b', 1])).toEqual({ line: 4, column: 3 });
  });
});

describe('untrusted files', () => {
  it('refuses binary content and invalid UTF-8', () => {
    expect(loadDocument('risk-assessment', 'r.yml', new Uint8Array([0x73, 0x3a, 0x00, 0x01]))).toMatchObject({
      problem: { message: 'the file is binary (it contains NUL bytes), not text' },
    });
    expect(
      loadDocument('risk-assessment', 'r.yml', new Uint8Array([0x61, 0x3a, 0x20, 0xc3, 0x28])),
    ).toMatchObject({
      problem: { message: 'the file is not valid UTF-8 text' },
    });
  });

  it('accepts CRLF line ends and a byte-order mark', () => {
    const text = '\ufeff---\r\ngovernance:\r\n  system: x\r\n---\r\n# Card\r\n\r\n## Uses\r\n\r\nText.\r\n';
    const card = loadDocument('model-card', 'MODEL_CARD.md', bytes(text));
    expect(card).toMatchObject({ governance: { system: 'x' } });
    if (card.kind !== 'model-card' || 'problem' in card) throw new Error('expected a card');
    expect(card.sections.get('uses')).toEqual({ title: 'Uses', line: 7, content: 'Text.' });
  });

  it('reports a front matter that never closes', () => {
    expect(loadDocument('model-card', 'MODEL_CARD.md', bytes('---\nlicense: mit\n# Title\n'))).toMatchObject({
      problem: { line: 1, message: 'the front matter opened on line 1 is never closed' },
    });
  });

  it('accepts a card with no front matter', () => {
    const card = loadDocument('model-card', 'README.md', bytes('# Model\n\n## Uses\n\nRanking.\n'));
    expect(card).toMatchObject({ format: 'markdown', governance: {}, metrics: [] });
  });

  it('reads a model card written as YAML, sections included', () => {
    const card = loadDocument(
      'model-card',
      'model-card.yml',
      bytes(
        'license: mit\nsections:\n  Out-of-Scope Use: "[More Information Needed]"\n  Direct Use: Ranking.\n',
      ),
    );
    if (card.kind !== 'model-card' || 'problem' in card) throw new Error('expected a card');
    expect([...card.sections.values()]).toEqual([
      { title: 'Out-of-Scope Use', line: 3, content: '' },
      { title: 'Direct Use', line: 4, content: 'Ranking.' },
    ]);
  });
});

describe('one bad document never hides the others', () => {
  it('reports malformed YAML with file and line, and still checks the rest of the system', async () => {
    const files: Record<string, string> = {
      ...conformantRepo(),
      [RISK]: 'system: credit-scoring\nrisks: [\n  - id: R-1\n',
    };
    const evaluation = await run(files);
    const [unreadable] = findingsOf(evaluation, 'risk.valid');
    expect(unreadable).toMatchObject({
      path: RISK,
      line: 3,
      severity: 'major',
      message: expect.stringMatching(/^cannot be read: invalid YAML/),
    });
    // Rules that read the risk assessment cannot run; the ones that don't still report.
    expect(findingsOf(evaluation, 'risk.scores')).toEqual([]);
    const broken = { ...files, [CARD]: files[CARD]!.replace('## Evaluation', '## Appendix') };
    expect(findingsOf(await run(broken), 'card.evaluation')).toHaveLength(1);
    // A control that a rule could not check is not reported as conformant.
    expect((await run(files)).controls.find((c) => c.control === 'A.6.1.3')?.status).toBe('major');
  });

  it('reports a 50 MB file without reading it', async () => {
    const huge = new Uint8Array(50 * 1024 * 1024).fill(0x61);
    const evaluation = await run({ ...conformantRepo(), [IMPACT]: huge });
    expect(findingsOf(evaluation, 'impact.valid')).toMatchObject([
      {
        path: IMPACT,
        message: 'cannot be read: the file is 50.0 MiB, over the 1.0 MiB limit for governance documents',
      },
    ]);
  });

  it('reports wrong types as schema findings and keeps evaluating', async () => {
    const files = {
      ...conformantRepo(),
      [RISK]: 'system: [credit-scoring]\ntier: high\nscale: 5\nrisks: {}\n',
    };
    const messages = findingsOf(await run(files), 'risk.valid').map((f) => `${f.line} ${f.message}`);
    expect(messages).toEqual([
      '1 system must be a string',
      '3 scale must be a mapping (key: value)',
      '4 risks must be a list',
    ]);
  });

  it('reports a document that belongs to no declared system', async () => {
    const evaluation = await run({
      ...conformantRepo(),
      'experiments/fraud/risk-assessment.yml': 'system: fraud\n',
    });
    expect(findingsOf(evaluation, 'inventory.orphan-document')).toMatchObject([
      {
        path: 'experiments/fraud/risk-assessment.yml',
        severity: 'minor',
        message: 'this risk assessment is in no declared AI system folder',
      },
    ]);
  });

  it('tells apart two systems whose folders have the same name', async () => {
    const files = {
      '.github/aims-gate.yml': 'systems: [teams/*/models/*]\n',
      'teams/a/models/churn/x.py': '',
      'teams/b/models/churn/x.py': '',
    };
    const evaluation = await run(files);
    expect(evaluation.systems.map((s) => s.id)).toEqual(['teams/a/models/churn', 'teams/b/models/churn']);
    expect(findingsOf(evaluation, 'card.required').map((f) => f.system)).toEqual([
      'teams/a/models/churn',
      'teams/b/models/churn',
    ]);
  });

  it('says so when a systems pattern matches no folder', async () => {
    const evaluation = await run({
      ...conformantRepo(),
      '.github/aims-gate.yml': 'systems: [models/*, model/*]\n',
    });
    expect(evaluation.notices).toContain('The systems pattern "model/*" matches no folder.');
  });
});
