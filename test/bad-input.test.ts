import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { loadDocument } from '../src/documents/index.js';
import { LIMITS } from '../src/limits.js';
import { parseData } from '../src/parse/yaml.js';
import { CARD, conformantRepo, findingsOf, IMPACT, RISK, run } from './helpers.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('untrusted YAML', () => {
  it('refuses an alias bomb by what it expands to, before anything walks the expansion', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++)
      bomb.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    const result = parseData(bomb.join('\n'));
    // 9 × 9 × … grows past the node bound at the sixth level (9^6 = 531,441 strings).
    expect(result).toMatchObject({
      problem: {
        message: `the document's YAML aliases expand it to more than ${LIMITS.maxExpandedNodes.toLocaleString('en')} nodes`,
        line: 6,
      },
    });
  });

  it('reads a template aliased once per question, as the MinBZK instruments do by design', () => {
    const questions = Array.from({ length: 200 }, (_, i) => `  - question: q${i}\n    template: *card`);
    const text = `template: &card\n  question: "$QUESTION"\n  answer: "$ANSWER"\ntasks:\n${questions.join('\n')}\n`;
    const result = parseData(text);
    if (!('data' in result)) throw new Error(result.problem.message);
    const tasks = (result.data.value as { tasks: { template: unknown }[] }).tasks;
    expect(tasks[199]!.template).toEqual({ question: '$QUESTION', answer: '$ANSWER' });
  });

  it('reads the real MinBZK IAMA and AIIA instruments', () => {
    for (const name of ['iama', 'aiia']) {
      const path = `../shared/corpus/formats/minbzk-task-registry__${name}-instrument.yaml`;
      let text: string;
      try {
        text = readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');
      } catch {
        continue; // the shared corpus is outside the repository; CI has the fixture test above
      }
      expect(parseData(text)).toHaveProperty('data');
    }
  });

  it('refuses an alias inside the value it names', () => {
    expect(parseData('a: &a\n  b: *a\n')).toMatchObject({
      problem: {
        line: 2,
        message: 'the alias *a is inside the value it names, so that value would contain itself',
      },
    });
  });

  it('keeps "__proto__" and "constructor" as own keys, and reads keys as text', () => {
    const result = parseData('__proto__: {polluted: 1}\nconstructor: 2\n1: one\n~: none\n');
    if (!('data' in result)) throw new Error('expected data');
    const value = result.data.value as Record<string, unknown>;
    expect(Object.keys(value).sort()).toEqual(['', '1', '__proto__', 'constructor']);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a thousand levels of nesting, in every shape, naming the limit', () => {
    const n = 1000;
    let block = '';
    for (let i = 0; i < n; i++) block += `${' '.repeat(i)}k:\n`;
    const shapes = {
      flow: `${'['.repeat(n)}${']'.repeat(n)}`,
      block: `${block}${' '.repeat(n)}v\n`,
      dashes: `${'- '.repeat(n)}x\n`,
      list: Array.from({ length: n }, (_, i) => `${'  '.repeat(i)}- `).join('\n'),
    };
    for (const text of Object.values(shapes)) {
      expect(parseData(text)).toMatchObject({
        problem: {
          message: `the document nests deeper than ${LIMITS.maxDepth} levels`,
          fix: expect.stringContaining('Flatten'),
        },
      });
    }
  });

  it('reads nesting up to the limit in block style', () => {
    let text = '';
    // maxDepth - 2 mappings, then a list of mappings: maxDepth collections, and a block scalar indented deeper.
    for (let i = 0; i < LIMITS.maxDepth - 2; i++) text += `${'  '.repeat(i)}k${i}:\n`;
    text += `${'  '.repeat(LIMITS.maxDepth - 2)}- a: |\n${'  '.repeat(LIMITS.maxDepth + 2)}deep text\n${'  '.repeat(LIMITS.maxDepth + 6)}more\n`;
    expect(parseData(text)).toHaveProperty('data');
  });

  it('refuses a document of more nodes than the limit before parsing it', () => {
    const text = `[${'1,'.repeat(LIMITS.maxYamlNodes)}1]`;
    expect(parseData(text)).toMatchObject({
      problem: {
        line: 1,
        message: expect.stringContaining(`more than ${LIMITS.maxYamlNodes.toLocaleString('en')} YAML nodes`),
      },
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

  it('reads long double-quoted strings as the YAML library does: escapes, folded lines, invalid escapes', () => {
    // parseData resolves them itself (the library builds them a character at a time: 60 MiB for 1 MiB).
    // Pieces of a double-quoted string; each line break is followed by indentation, as YAML requires there.
    const piece = fc.constantFrom(
      ...['a', 'é', ' ', '\t', "'", '#', ': ', '\n  ', '\r\n  ', '  \n  ', '\n\n  ', '\t\n  '],
      ...['\\n', '\\t', '\\"', '\\\\', '\\/', '\\0', '\\x41', '\\u00e9', '\\U0001F600', '\\N', '\\_', '\\ '],
      ...['\\\n   ', '\\\r\n  '],
    );
    fc.assert(
      fc.property(fc.array(piece, { minLength: 20, maxLength: 80 }), fc.boolean(), (pieces, asKey) => {
        const quoted = `"${'x'.repeat(asKey ? 1030 : 16)}${pieces.join('')}"`;
        const text = asKey ? `? ${quoted}\n: 1\nother: 2\n` : `a: ${quoted}\nb: [${quoted}, 2]\n`;
        const result = parseData(text);
        const library = parseDocument(text, { uniqueKeys: false });
        expect(library.errors).toEqual([]);
        expect('data' in result && result.data.value).toEqual(library.toJS());
      }),
    );
    // An invalid escape is the library's error, at the escape's line.
    const invalid = `a: "${'x'.repeat(40)}\n  more text \\q and more"\n`;
    expect(parseData(invalid)).toMatchObject({
      problem: { line: 2, column: 13, message: 'invalid YAML: invalid escape sequence \\q' },
    });
    expect(parseData(`a: "${'x'.repeat(40)} \\x4"\n`)).toMatchObject({
      problem: { line: 1, message: 'invalid YAML: invalid escape sequence \\x4"' },
    });
    // A tagged string is the tag's to read.
    expect(parseData(`a: !include "${'p/'.repeat(20)}x.yml"\n`)).toMatchObject({
      data: { value: { a: `!include ${'p/'.repeat(20)}x.yml` } },
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

  it('tells UTF-16 and UTF-32 text, with or without a byte-order mark, to be saved as UTF-8', () => {
    const text = 'system: x\n';
    const utf16le = new Uint8Array(Buffer.from(`\ufeff${text}`, 'utf16le'));
    const utf16be = new Uint8Array(Buffer.from(text, 'utf16le').swap16());
    const utf32le = new Uint8Array(text.length * 4);
    for (let i = 0; i < text.length; i++) utf32le[i * 4] = text.charCodeAt(i);
    for (const [encoding, input] of [
      ['UTF-16 (little-endian)', utf16le],
      ['UTF-16 (big-endian)', utf16be],
      ['UTF-32 (little-endian)', utf32le],
    ] as const) {
      expect(loadDocument('risk-assessment', 'r.yml', input)).toMatchObject({
        problem: {
          message: `the file is ${encoding} text; aims-gate reads UTF-8`,
          fix: expect.stringContaining('Save the document as UTF-8'),
        },
      });
    }
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
    const broken = {
      ...files,
      [CARD]: files[CARD]!.replace('## Bias, Risks, and Limitations', '## Appendix'),
    };
    expect(findingsOf(await run(broken), 'card.limitations')).toHaveLength(1);
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
