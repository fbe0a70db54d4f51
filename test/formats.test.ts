import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.js';
import { loadPolicy } from '../src/policy/load.js';
import { buildAuditorReport } from '../src/report/auditor.js';
import { renderAuditorHtml } from '../src/report/auditor-html.js';
import { renderAuditorMarkdown } from '../src/report/auditor-markdown.js';
import { FORMATS } from '../src/report/index.js';
import { renderMarkdown } from '../src/report/markdown.js';
import { MemorySource } from '../src/source.js';
import type { Evaluation } from '../src/types.js';
import { conformantRepo, findingsOf, run } from './helpers.js';

/**
 * Real formats in a system folder: fixtures written here in the shapes MinBZK/amt, MinBZK/task-registry,
 * canada-ca/aia-eia-js and finos/ai-governance-framework publish (the originals are in ../shared/corpus).
 */
const DIR = 'models/credit-scoring';
const withFile = (name: string, text: string) => {
  const files = conformantRepo();
  if (name.startsWith('impact')) delete files[`${DIR}/impact-assessment.yml`];
  if (name.startsWith('risk')) delete files[`${DIR}/risk-assessment.yml`];
  return run({ ...files, [`${DIR}/${name}`]: text });
};
/** A FINOS entry as the system's risk assessment, under the `documents:` given. */
const riskEntry = (text: string, documents: string) => {
  const files = conformantRepo();
  delete files[`${DIR}/risk-assessment.yml`];
  return run({
    ...files,
    [`${DIR}/risk-assessment.md`]: text,
    '.github/aims-gate.yml': `systems:\n  - path: models/*\n    documents: ${documents}\n`,
  });
};
const unknownKeys = (e: Evaluation) => e.findings.filter((f) => /unknown key/.test(f.message));

const FILLED_IAMA = `name: IAMA
urn: "urn:nl:aivt:ir:iama:1.0"
date: "2025-03-25"
contents:
  - question: "Licht uw voorstel voor het gebruik/de inzet van een algoritme toe. Wat is de aanleiding hiervoor geweest?"
    urn: "urn:nl:aivt:ir:iama:1.0:1.1.1"
    answer: "Wachttijden voor WOZ-bezwaren lopen op."
    remarks: Remark
    authors:
      - name: "John Doe"
    timestamp: "2024-04-17T12:03:23Z"
  - question: "Wat is het doel dat bereikt dient te worden met de inzet van het algoritme?"
    urn: "urn:nl:aivt:ir:iama:1.0:1.2.1"
    answer: "Bezwaren binnen zes weken afhandelen."
  - question: "Welke grondrechten worden geraakt door de inzet van het algoritme?"
    urn: "urn:nl:aivt:ir:iama:1.0:4.1.1"
    answer: "Gelijke behandeling: wijken met oudere woningen kunnen systematisch hoger getaxeerd worden."
  - question: "Welke rol speelt de mens in de beslissing?"
    urn: "urn:nl:aivt:ir:iama:1.0:3.2.1"
    answer: "Een taxateur controleert elke waarde voor verzending."
  - question: "Welke mitigerende maatregelen worden genomen?"
    urn: "urn:nl:aivt:ir:iama:1.0:4.8.1"
    answer: "Steekproef van 5% per wijk."
`;

/** A Canada AIA completed in the tool: answers by question name (eight of its questions, one it does not have). */
const AIA_ANSWERS = {
  projectDetailsTitle: 'Benefit triage',
  projectDetailsDescription: 'Ranks applications for review.',
  businessDrivers3: 'Faster decisions for applicants.',
  businessDrivers5: 'item1-2',
  riskProfile1: 'item1-3',
  riskProfile2: 'item2-4',
  dataQualityDesign1: 'item1-3',
  consultationDesign6: 'item1-3',
};

describe('importers, recognised by content', () => {
  it('reads a filled MinBZK IAMA as an impact assessment, answers and line numbers kept', async () => {
    const evaluation = await withFile('impact-assessment.yml', FILLED_IAMA);
    expect(unknownKeys(evaluation)).toEqual([]);
    const [imported] = findingsOf(evaluation, 'document.imported');
    expect(imported!.message).toMatch(
      /^read as MinBZK IAMA: system from name; date from date; scope from contents\.0\.answer/,
    );
    expect(imported!.message).toContain('5 of 5 questions answered');
    // Findings about its content, at the line of the answer they come from.
    const severity = findingsOf(evaluation, 'impact.valid').find((f) => /severity/.test(f.message));
    expect(severity).toMatchObject({ line: 17 });
  });

  it('the FINOS risk entry as published (ri-16) gives findings about its content, and none about its form', async () => {
    let text: string;
    try {
      text = readFileSync(
        `${import.meta.dirname}/../../shared/corpus/formats/finos-aigf__ri-16_bias-and-discrimination.md`,
        'utf8',
      );
    } catch {
      return;
    }
    const evaluation = await riskEntry(
      text,
      '{ risk-assessment: { path: risk-assessment.md, format: finos-risk } }',
    );
    const own = evaluation.findings.filter((f) => f.path === `${DIR}/risk-assessment.md`);
    expect(own.filter((f) => /unknown key|cannot be read|alias/.test(f.message))).toEqual([]);
    // What a catalogue entry does not say and a register must: the rating, the owner, the treatment.
    expect(own.map((f) => f.message)).toEqual(
      expect.arrayContaining([
        'risk finos:ri-16 has no residual rating',
        'risk finos:ri-16 has no owner and no treatment',
      ]),
    );
    expect(evaluation.systems[0]!.imports![0]).toMatchObject({
      format: 'FINOS AI governance framework risk',
      unmapped: expect.arrayContaining(['doc-status', 'eu-ai-act_references']),
    });
  });

  it('reads the MinBZK instruments as published, without an alias refusal', async () => {
    for (const name of ['iama', 'aiia']) {
      let text: string;
      try {
        text = readFileSync(
          `${import.meta.dirname}/../../shared/corpus/formats/minbzk-task-registry__${name}-instrument.yaml`,
          'utf8',
        );
      } catch {
        continue;
      }
      const evaluation = await withFile('impact-assessment.yml', text);
      expect(
        findingsOf(evaluation, 'impact.valid').filter((f) => /cannot be read|unknown key/.test(f.message)),
      ).toEqual([]);
      expect(findingsOf(evaluation, 'document.imported')[0]!.message).toMatch(
        new RegExp(`^read as MinBZK ${name.toUpperCase()}: .*0 of \\d+ questions answered`),
      );
    }
  });

  it('reads a Canada AIA: impact level, mitigations, original answers', async () => {
    const answers = { ...AIA_ANSWERS, someNewQuestion: 'x' };
    const evaluation = await withFile('impact-assessment.json', JSON.stringify(answers, null, 2));
    expect(unknownKeys(evaluation)).toEqual([]);
    const [imported] = findingsOf(evaluation, 'document.imported');
    expect(imported!.message).toContain('read as Canada AIA');
    expect(imported!.message).toContain('not mapped: someNewQuestion');
    // 3 + 4 + 2 of 167 risk points: level I, the tier the system did not state elsewhere.
    const files = conformantRepo();
    delete files[`${DIR}/impact-assessment.yml`];
    files[`${DIR}/MODEL_CARD.md`] = files[`${DIR}/MODEL_CARD.md`]!.replace(/\n\s*tier: \w+/, '');
    files[`${DIR}/risk-assessment.yml`] = files[`${DIR}/risk-assessment.yml`]!.replace(/^tier: \w+\n/m, '');
    const untiered = await run({ ...files, [`${DIR}/impact-assessment.json`]: JSON.stringify(answers) });
    expect(untiered.systems[0]!.tier).toBe('minimal');
  });

  it('reads a FINOS catalogue risk entry (Markdown with front matter) as a risk', async () => {
    const entry = `---\nsequence: 16\ntitle: Bias and Discrimination\nlayout: risk\ntype: OP\nrelated_risks:\n  - ri-19\n---\n\n## Summary\n\nAI systems can disadvantage protected groups.\n\n## Description\n\nMore.\n`;
    const evaluation = await riskEntry(entry, '{ risk-assessment: risk-assessment.md }');
    expect(
      findingsOf(evaluation, 'risk.valid').filter((f) => /cannot be read|unknown key/.test(f.message)),
    ).toEqual([]);
    expect(findingsOf(evaluation, 'document.imported')[0]!.message).toMatch(
      /^read as FINOS AI governance framework risk: risks from sequence, title, type/,
    );
  });

  it('a risk register that cites finos:ri-16 gets its title and summary', async () => {
    const files = conformantRepo();
    const risk = files[`${DIR}/risk-assessment.yml`]!.replace(
      /- id: R-1\n(\s+)title: [^\n]*\n/,
      '- id: finos:ri-16\n',
    );
    const evaluation = await run({ ...files, [`${DIR}/risk-assessment.yml`]: risk });
    expect(findingsOf(evaluation, 'risk.valid').filter((f) => /title/.test(f.message))).toEqual([]);
  });

  it('reads a MinBZK system card as a model card with its governance facts', async () => {
    const card = `version: "0.1a10"\nprovenance:\n  git_commit_hash: 3eb1f1b\nname: "Waarderen WOZ-objecten"\ninstruments:\n  - urn: "urn:nl:aivt:tr:iama:1.0"\nowners:\n  - organization: "Gemeente Oirschot"\n    name: "Piet van Haaren"\nstatus: "ontwikkeling"\npublication_category: "Hoog-risico AI"\ndescription: "Het bepalen van de WOZ-waarde."\nrisk_management: "Ratio-analyses per wijk."\nused_data: "WOZ-waarde, bouwjaar, adres."\nassessments:\n  - !include assessments/iama.yaml\n`;
    const files = conformantRepo();
    delete files[`${DIR}/MODEL_CARD.md`];
    const evaluation = await run({
      ...files,
      [`${DIR}/system_card.yaml`]: card,
      '.github/aims-gate.yml':
        'systems:\n  - path: models/*\n    documents: { model-card: system_card.yaml }\n',
    });
    expect(unknownKeys(evaluation)).toEqual([]);
    const system = evaluation.systems[0]!;
    expect(system).toMatchObject({ id: 'Waarderen WOZ-objecten', tier: 'high' });
    expect(findingsOf(evaluation, 'document.imported')[0]!.message).toContain(
      'not mapped: instruments, assessments',
    );
  });
});

describe('a format the config names', () => {
  const named = (documents: string, files: Record<string, string>) => {
    const repo = conformantRepo();
    delete repo[`${DIR}/impact-assessment.yml`];
    return run({
      ...repo,
      ...files,
      '.github/aims-gate.yml': `systems: [models/*]\ndocuments:\n${documents}`,
    });
  };

  it('reads the file in that format, under any name', async () => {
    const evaluation = await named('  impact-assessment: { path: iama.yaml, format: minbzk-iama }\n', {
      [`${DIR}/iama.yaml`]: FILLED_IAMA,
    });
    expect(unknownKeys(evaluation)).toEqual([]);
    expect(findingsOf(evaluation, 'document.imported')[0]!.message).toMatch(/^read as MinBZK IAMA: /);
  });

  it('a file not in the named format is a finding that names the config line and the format it is in', async () => {
    const evaluation = await named(
      '  impact-assessment:\n    path: impact-assessment.json\n    format: minbzk-iama\n',
      { [`${DIR}/impact-assessment.json`]: JSON.stringify(AIA_ANSWERS, null, 2) },
    );
    const [finding] = findingsOf(evaluation, 'impact.valid');
    expect(finding).toMatchObject({ path: `${DIR}/impact-assessment.json`, line: 1 });
    expect(finding!.message).toBe(
      'cannot be read: it is not a MinBZK IAMA, as .github/aims-gate.yml:5 says it is: a MinBZK IAMA has `urn: urn:nl:aivt:tr:iama:…` (or `urn:nl:aivt:ir:iama:…`) with a `tasks:` or `contents:` list; this file reads as Canada Algorithmic Impact Assessment',
    );
    expect(finding!.remedy).toContain('Set `format: canada-aia` at .github/aims-gate.yml:5');
    // Nothing is guessed: the rules that read it do not run on a document the config says is something else.
    expect(findingsOf(evaluation, 'document.imported')).toEqual([]);
  });

  it("format: aims-gate reads the file as aims-gate's own, never imported", async () => {
    const evaluation = await named('  impact-assessment: { path: iama.yaml, format: aims-gate }\n', {
      [`${DIR}/iama.yaml`]: FILLED_IAMA,
    });
    expect(findingsOf(evaluation, 'document.imported')).toEqual([]);
    expect(unknownKeys(evaluation).length).toBeGreaterThan(0);
  });

  it('an unknown format name is a config error with a suggestion, at its line', async () => {
    const error = await loadPolicy(
      new MemorySource({
        '.github/aims-gate.yml':
          'systems:\n  - path: models/*\n    documents:\n      impact-assessment: { path: iama.yml, format: minbzk-iam }\n',
      }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toBe(
      '.github/aims-gate.yml:4: systems[0].documents.impact-assessment.format must be one of: aims-gate, minbzk-iama, minbzk-aiia, canada-aia\n  fix: Did you mean "minbzk-iama"?',
    );
  });

  it("a system entry's own document names drop the format the top level names for that kind", async () => {
    const policy = await loadPolicy(
      new MemorySource({
        '.github/aims-gate.yml':
          'systems:\n  - models/*\n  - path: services/*\n    documents: { impact-assessment: aia.json }\ndocuments:\n  impact-assessment: { path: iama.yml, format: minbzk-iama }\n',
      }),
    );
    expect(policy.systems.map((s) => s.formats?.['impact-assessment']?.id)).toEqual([
      'minbzk-iama',
      undefined,
    ]);
  });
});

describe('what was mapped from where, in findings and the reports', () => {
  it('a finding about an imported answer quotes it; the reports list each mapping with the original text', async () => {
    const evaluation = await withFile('impact-assessment.yml', FILLED_IAMA);
    const severity = findingsOf(evaluation, 'impact.valid').find((f) => /severity/.test(f.message))!;
    expect(severity.original).toBe(
      'Welke grondrechten worden geraakt door de inzet van het algoritme? — answered: "Gelijke behandeling: wijken met oudere woningen kunnen systematisch hoger getaxeerd worden."',
    );
    const [imported] = evaluation.systems[0]!.imports!;
    expect(imported).toMatchObject({
      path: `${DIR}/impact-assessment.yml`,
      format: 'MinBZK IAMA',
      questions: 5,
      answered: 5,
      unmapped: [],
    });
    expect(imported!.mapped).toContainEqual({
      to: 'impacts[0].description',
      from: 'contents[2].answer',
      line: 17,
      text: 'Gelijke behandeling: wijken met oudere woningen kunnen systematisch hoger getaxeerd worden.',
    });
    expect(FORMATS.text(evaluation)).toContain('as written: Welke grondrechten worden geraakt');
    expect(renderMarkdown(evaluation)).toContain('_As written:_ Welke grondrechten');
    const report = buildAuditorReport({
      evaluation,
      entries: [],
      log: { path: '.aims-gate/audit-log.jsonl', found: false, checkpointGiven: false },
      generated: '2026-11-02T00:00:00.000Z',
    });
    const markdown = renderAuditorMarkdown(report);
    expect(markdown).toContain(
      `**credit-scoring**, \`${DIR}/impact-assessment.yml\`: read as MinBZK IAMA; 5 of 5 questions answered; every field mapped`,
    );
    expect(markdown).toContain(
      '| `impacts[0].description` | `contents[2].answer (line 17)` | Gelijke behandeling: wijken met oudere woningen kunnen systematisch hoger getaxeerd worden. |',
    );
    expect(renderAuditorHtml(report)).toContain(
      '<td><code>impacts[0].description</code></td><td><code>contents[2].answer (line 17)</code></td>',
    );
  });

  it('names every field the import could not map', async () => {
    const evaluation = await withFile(
      'impact-assessment.json',
      JSON.stringify({ ...AIA_ANSWERS, someNewQuestion: 'x' }, null, 2),
    );
    expect(evaluation.systems[0]!.imports![0]!.unmapped).toEqual(['someNewQuestion']);
  });
});
