import { describe, expect, it } from 'vitest';
import { loadDocument } from '../src/documents/index.js';
import { ASCII_CLASSES, meaningfulText, parseModelCard, sectionKey } from '../src/documents/model-card.js';
import type { ModelCard } from '../src/documents/types.js';
import { presenceSchema } from '../src/rules/fields.js';
import { findingsOf, run } from './helpers.js';

/**
 * Model cards as others write them, in the shapes found on the Hugging Face Hub: written for these tests
 * (the real ones stay in ../shared/corpus, measured by `npm run bench:cards`).
 */
const CONFIG = { '.github/aims-gate.yml': 'systems: [models/*]\n' };
const check = (card: string) => run({ ...CONFIG, 'models/demo/README.md': card });
const messages = async (card: string, rule: string) =>
  findingsOf(await check(card), rule).map((f) => f.message);

function card(text: string): ModelCard {
  const parsed = parseModelCard('README.md', text);
  if ('problem' in parsed) throw new Error(parsed.problem.message);
  return { kind: 'model-card', path: 'README.md', ...parsed } as ModelCard;
}

describe('sections by meaning', () => {
  it.each([
    ['## Limitations and Bias', 'card.limitations'],
    ['## Ethical Considerations and Limitations', 'card.limitations'],
    ['### Performance and Limitations', 'card.limitations'],
    ['# Limitations', 'card.limitations'],
    ['## Evaluation Results', 'card.evaluation'],
    ['## Benchmarks', 'card.evaluation'],
    ['## Intended Use', 'card.intended-use'],
    ['## Intended uses & limitations', 'card.intended-use'],
    ['### Where to send questions or comments about the model', 'card.contact'],
    ['## Carbon Emissions', 'card.environmental-impact'],
    ['## Training and evaluation data', 'card.training-data'],
    // Grown from the corpus's cards that drew a "has no" finding while saying it under another heading.
    ['### Training corpora and preprocessing', 'card.training-data'],
    ['## Disclaimer', 'card.limitations'],
    ['* source languages: fr\n* dataset: opus', 'card.training-data'],
    ['## Team Members', 'card.contact'],
    ['## Citing & Authors', 'card.contact'],
    ['# Share your Results and Reach us on [Discord](https://discord.gg/x)!', 'card.contact'],
  ])('"%s" is a section %s accepts', async (heading, rule) => {
    const found = await messages(
      `${heading}\n\nThe model was checked on held-out data; details follow.\n`,
      rule,
    );
    expect(found.filter((m) => m.includes('has no'))).toHaveLength(rule === 'card.intended-use' ? 1 : 0);
  });

  it('finds a bold label that opens a paragraph inside a parent section', async () => {
    const text = `## Intended Use

**Primary intended uses:** ranking support tickets by urgency.

**Out-of-scope:** decisions about people's employment or credit.

## Training

**Training Data**: 40,000 tickets from 2023, anonymised.
`;
    expect(await messages(text, 'card.intended-use')).toEqual([]);
    expect(await messages(text, 'card.training-data')).toEqual([]);
    const sections = card(text).sections;
    expect(sections.get('out of scope')).toMatchObject({
      line: 5,
      content: "decisions about people's employment or credit.",
    });
  });

  it('says which headings it would accept when a section is missing', async () => {
    const [finding] = findingsOf(await check('# Demo\n\nA model.\n'), 'card.limitations');
    expect(finding!.message).toBe('the model card has no "Bias, Risks, and Limitations" section');
    expect(finding!.remedy).toContain(
      'Headings that count: "Bias, Risks, and Limitations", "Limitations and Bias"',
    );
    expect(finding!.remedy).toContain('or a heading like "*limitation*" or "*bias*"');
  });

  it('of several sections that mean the same, the one that says something counts', async () => {
    const text =
      '## Limitations\n\n[More Information Needed]\n\n## Bias\n\nIt scores women lower on average.\n';
    expect(await messages(text, 'card.limitations')).toEqual([]);
  });

  it('a user’s config adds its own aliases', async () => {
    const evaluation = await run({
      '.github/aims-gate.yml': `systems: [models/*]
rules:
  - id: team.runbook
    title: The card links the runbook
    kind: sections
    sections: [{ name: Runbook, aliases: [Operations], patterns: ["*on call*"] }]
    severity: minor
    controls: [A.6.2.6]
    remedy: Add a runbook section.
`,
      'models/demo/README.md': '## On-call guide\n\nPage the ML on-call.\n',
    });
    expect(findingsOf(evaluation, 'team.runbook')).toEqual([]);
  });
});

describe("a high-risk system's development and data", () => {
  const HIGH_RISK = [
    'card.training-procedure',
    'card.software',
    'card.data-preparation',
    'card.data-quality',
  ];
  it('draw no finding on a card that states no tier, as no Hub card does', async () => {
    const evaluation = await check('---\nlicense: mit\n---\n# Demo\n\nA model.\n');
    expect(evaluation.findings.filter((f) => HIGH_RISK.includes(f.rule))).toEqual([]);
    expect(evaluation.rules.filter((r) => HIGH_RISK.includes(r.id)).map((r) => r.appliedTo)).toEqual([
      [],
      [],
      [],
      [],
    ]);
  });

  it('are asked of a high-risk card, and a front-matter key can stand for a section', async () => {
    const card = (meta: string, body: string) =>
      check(`---\ngovernance: { tier: high }\n${meta}---\n# Demo\n\n${body}`);
    const bare = await card('', 'A model.\n');
    const messages = bare.findings.filter((f) => HIGH_RISK.includes(f.rule)).map((f) => f.message);
    expect(messages.sort()).toEqual([
      'the model card has no "Data Quality" section',
      'the model card has no "Preprocessing" section',
      'the model card has no "Software" section',
      'the model card has no "Training Procedure" section',
    ]);
    const documented = await card(
      'library_name: transformers\n',
      '## Training hyperparameters\n\nlr 2e-5, 3 epochs.\n\n#### Preprocessing\n\nLower-cased.\n\n## Data quality checks\n\nDeduplicated; 0.1% missing labels dropped.\n',
    );
    expect(documented.findings.filter((f) => HIGH_RISK.includes(f.rule))).toEqual([]);
    expect(findingsOf(bare, 'card.software')[0]!.remedy).toContain('or the front-matter key "library_name:"');
  });
});

describe('datasets in the metadata', () => {
  const agent = (env: string) =>
    `---\ntags: [reinforcement-learning]\nmodel-index:\n- name: q-FrozenLake\n  results:\n  - task:\n      type: reinforcement-learning\n      name: reinforcement-learning\n    dataset:\n      name: ${env}\n      type: ${env}\n    metrics:\n    - type: mean_reward\n      value: 1.00 +/- 0.00\n---\n\n# Q-Learning agent playing FrozenLake-v1\n`;

  it('a reinforcement-learning agent names its environment, as the Hub records it, not a dataset', async () => {
    expect(await messages(agent('FrozenLake-v1'), 'card.datasets')).toEqual([]);
    // With no environment named, the card names no data source at all.
    expect(await messages(agent('""'), 'card.datasets')).toEqual([
      'the document is missing the required key "datasets"',
    ]);
  });

  it('still asks only that something is written: its controls are documented, not conformant', () => {
    const schema = { if: { required: ['a'] }, else: { required: ['b'], properties: { b: { minItems: 1 } } } };
    expect(presenceSchema(schema)).toBe(true);
    // biome-ignore lint/suspicious/noThenProperty: `then` is a JSON Schema keyword here.
    expect(presenceSchema({ ...schema, then: { properties: { a: { const: 1 } } } })).toBe(false);
  });

  it('a card trained on data still lists its datasets, whatever its model-index evaluates on', async () => {
    const trainer = `---\nlicense: mit\nmodel-index:\n- name: m\n  results:\n  - task: { type: text-classification }\n    dataset: { name: imdb, type: imdb }\n    metrics: [{ type: accuracy, value: 0.9 }]\n---\n\n# m\n`;
    expect(await messages(trainer, 'card.datasets')).toEqual([
      'the document is missing the required key "datasets"',
    ]);
  });
});

describe('metadata that stands for a section', () => {
  const config = `systems: [models/*]
rules:
  - id: team.software
    title: The card names its software
    kind: sections
    sections: [{ name: Software, aliases: [Framework versions], keys: [library_name] }]
    when: { properties: { status: { not: { const: retired } } } }
    severity: minor
    controls: [A.4.4]
    remedy: Name the software.
`;
  const evaluate = (card: string) => run({ '.github/aims-gate.yml': config, 'models/demo/README.md': card });

  it('a front-matter key with a value counts as the section; an empty one does not', async () => {
    const stated = await evaluate('---\nlibrary_name: transformers\n---\n# Demo\n');
    expect(findingsOf(stated, 'team.software')).toEqual([]);
    const empty = await evaluate('---\nlibrary_name: ""\n---\n# Demo\n');
    expect(findingsOf(empty, 'team.software').map((f) => f.message)).toEqual([
      'the model card has no "Software" section',
    ]);
    expect(findingsOf(empty, 'team.software')[0]!.remedy).toContain(
      'Headings that count: "Software", "Framework versions", or the front-matter key "library_name:".',
    );
  });

  it('the evaluation says which systems each rule ran on, and its condition', async () => {
    const evaluation = await evaluate('---\nlibrary_name: transformers\n---\n# Demo\n');
    expect(evaluation.rules.find((r) => r.id === 'team.software')).toMatchObject({
      appliedTo: ['demo'],
      when: { properties: { status: { not: { const: 'retired' } } } },
    });
    const retired = await evaluate('---\ngovernance: { status: retired }\n---\n# Demo\n');
    expect(retired.rules.find((r) => r.id === 'team.software')!.appliedTo).toEqual([]);
  });
});

describe('placeholders count as empty, bracketed or not', () => {
  it.each([
    'More information needed',
    'More information needed.',
    'Needs more information',
    'TBD',
    'N/A',
    'Coming soon',
    '{{ limitations | default("") }}',
    '[More Information Needed]',
    '- **Known failure modes:** More information needed',
    '<!-- write here -->',
    // Left around a placeholder, or markup that shows nothing (a browser hides an unknown <TAG>).
    '[More Information Needed].',
    '[More Information Needed](#)',
    '**[More Information Needed]**.',
    '[TODO: fill in]',
    'TODO: fill in',
    '...',
    '<br>',
    '&nbsp;',
    '<DECLARE ANY POTENTIAL LIMITATIONS OF THE MODEL>',
    '<details>\n<summary></summary>\n</details>',
  ])('"%s"', async (placeholder) => {
    expect(await messages(`## Limitations\n\n${placeholder}\n`, 'card.limitations')).toEqual([
      'the "Limitations" section is empty or holds only placeholders',
    ]);
  });

  it('a heading over this rule’s sections counts by its own words: a written Out-of-Scope Use is no Direct Use', async () => {
    const uses = (direct: string) =>
      `## Uses\n\n${direct}### Out-of-Scope Use\n\nNot for credit decisions.\n\n## Limitations\n\nEnglish only.\n`;
    const emptyDirect = uses('### Direct Use\n\n[More Information Needed]\n\n');
    expect(await messages(emptyDirect, 'card.intended-use')).toEqual([
      'the "Uses" section is empty or holds only placeholders',
    ]);
    expect(await messages(uses(''), 'card.intended-use')).toEqual([
      'the "Uses" section is empty or holds only placeholders',
    ]);
    // Words of its own under "Uses", or a written Direct Use, are what it asks for.
    expect(await messages(uses('Ranking support tickets by urgency.\n\n'), 'card.intended-use')).toEqual([]);
    expect(await messages(uses('### Direct Use\n\nRanking tickets.\n\n'), 'card.intended-use')).toEqual([]);
  });

  it('an unclosed comment hides the rest, and real words next to a placeholder still count', async () => {
    expect(await messages('## Limitations\n\nNone known TBD <!-- draft', 'card.limitations')).toEqual([]);
    expect(await messages('## Limitations\n\n<b>Not for medical use.</b>', 'card.limitations')).toEqual([]);
  });
});

describe('ASCII text is read with the Unicode classes spelled out, alike', () => {
  it('each class spelled out matches the same ASCII characters as the class', () => {
    for (const [unicode, spelled] of Object.entries(ASCII_CLASSES)) {
      const classOf = new RegExp(`[${unicode}]`, 'u');
      const spelledOut = new RegExp(`[${spelled}]`, 'u');
      for (let code = 0; code < 128; code++) {
        const char = String.fromCharCode(code);
        expect(spelledOut.test(char), `${unicode} and ${JSON.stringify(char)}`).toBe(classOf.test(char));
      }
    }
  });

  it('text beyond ASCII keeps the Unicode classes', () => {
    expect(sectionKey('Évaluation (données)')).toBe('évaluation données');
    expect(sectionKey('Limitations [optional]')).toBe('limitations');
    expect(meaningfulText('« — »\nRésultats : 0,91\n¿?')).toBe('Résultats : 0,91');
    expect(meaningfulText('"..."\nAccuracy: 0.91\n(#)')).toBe('Accuracy: 0.91');
  });
});

describe('hostile cards are refused by limits, never parsed slowly', () => {
  it('more headings than any real card is a finding that names the limit', async () => {
    const [finding] = findingsOf(await check('#\n'.repeat(5001)), 'card.valid');
    expect(finding).toMatchObject({
      path: 'models/demo/README.md',
      line: 1,
      message: 'cannot be read: the card has 5,001 headings, more than the 5,000 aims-gate reads',
    });
  });

  // skops writes three example rows of every feature into `widget:` (one Hub card: 6,000 features, 24,000 lines).
  const features = (key: string) =>
    Array.from({ length: 7000 }, (_, i) => `    x${i}:\n    - 0.0\n    - 0.0\n    - 0.0\n`)
      .join('')
      .replace(/^/, key);
  const tabular = (big: string) =>
    `---\nlibrary_name: sklearn\n${big}license: mit\nlicense_name: [x]\n---\n\n# Model description\n\nA passive-aggressive classifier.\n`;

  it('a tabular card whose widget examples pass the node bound is read without them, lines kept', async () => {
    const text = tabular(features('widget:\n  structuredData:\n'));
    const evaluation = await check(text);
    const valid = findingsOf(evaluation, 'card.valid');
    // The finding about a key after the widget is at that key's own line.
    expect(valid.map((f) => [f.line, f.message])).toEqual([
      [text.split('\n').indexOf('license_name: [x]') + 1, 'license_name must be a string'],
    ]);
  });

  it('the node bound still refuses as many nodes anywhere else in the front matter', async () => {
    const [finding] = findingsOf(await check(tabular(features('examples:\n  rows:\n'))), 'card.valid');
    expect(finding!.message).toMatch(/^cannot be read: the document has more than 20,000 YAML nodes/);
  });
});

describe('front matter as huggingface_hub reads it', () => {
  const meta = 'license: mit\nlanguage:\n- no\n- nb\ndatasets: [tickets]\n';
  it.each([
    ['a leading blank line', `\n---\n${meta}---\n# Card\n`],
    ['leading blank lines and spaces', `\n  \n---\n${meta}---\n# Card\n`],
    ['a byte-order mark', `\ufeff---\n${meta}---\n# Card\n`],
    ['CRLF line ends', `---\r\n${meta.replaceAll('\n', '\r\n')}---\r\n# Card\r\n`],
  ])('%s', async (_quirk, text) => {
    const loaded = loadDocument('model-card', 'README.md', new TextEncoder().encode(text));
    expect(loaded).toMatchObject({ data: { value: { license: 'mit', language: ['no', 'nb'] } } });
    expect(await messages(text, 'card.license')).toEqual([]);
  });

  it('multi-line quoted strings as PyYAML reads them, and still refuses what no reader accepts', async () => {
    const text = `---
widget:
- text: "summarize: We describe a system called Overton,
machine learning systems. It has \\"quotes\\" inside
and ends here."
  example_title: 'it''s
multi-line too'
license: mit
---
# Card
`;
    const loaded = loadDocument('model-card', 'README.md', new TextEncoder().encode(text)) as ModelCard;
    expect(loaded.data.value).toMatchObject({
      widget: [
        {
          text: 'summarize: We describe a system called Overton, machine learning systems. It has "quotes" inside and ends here.',
          example_title: "it's multi-line too",
        },
      ],
      license: 'mit',
    });
    expect(loaded.data.locate(['license']).line).toBe(8);
    const broken = '---\nwidget:\n- text: "never closed\nlicense: mit\n---\n# Card\n';
    expect(await messages(broken, 'card.valid')).toEqual([
      expect.stringMatching(/^cannot be read: invalid YAML/),
    ]);
  });

  it('reports errors at the line they are on, below leading blank lines', async () => {
    const evaluation = await check('\n\n---\nlicense: mit\nlicense: apache-2.0\n---\n# Card\n');
    expect(findingsOf(evaluation, 'card.valid')[0]).toMatchObject({ line: 5 });
  });

  it('a key with no value is absent, not a wrong type', async () => {
    const text = '---\nlicense:\ndatasets:\n-\n---\n# Card\n';
    expect(await messages(text, 'card.valid')).toEqual([]);
    expect(await messages(text, 'card.license')).toEqual([
      'the document is missing the required key "license"',
    ]);
  });
});

describe('metric values as the Hub spec allows', () => {
  const withMetric = (value: string) => `---
model-index:
- name: demo
  results:
  - task: { type: reinforcement-learning }
    dataset: { type: LunarLander-v2, name: LunarLander-v2 }
    metrics:
    - { type: mean_reward, value: ${value} }
---
# Card
`;
  const rule = (min: number) => `systems: [models/*]
rules:
  - id: team.reward
    title: Reward is high enough
    kind: metric
    metric: mean_reward
    min: ${min}
    severity: major
    controls: [A.6.2.4]
    remedy: Train longer.
`;
  const evaluate = (value: string, min: number) =>
    run({ '.github/aims-gate.yml': rule(min), 'models/demo/README.md': withMetric(value) });

  it.each([
    ['245.37', 245.37],
    ['"245.37 +/- 48.64"', 245.37],
    ['"25.59%"', 0.2559],
    ['"0.91"', 0.91],
  ])('%s reads as %s, keeping the text', async (value, number) => {
    const loaded = loadDocument(
      'model-card',
      'README.md',
      new TextEncoder().encode(withMetric(value)),
    ) as ModelCard;
    expect(loaded.metrics[0]).toMatchObject({ value: number, text: value.replaceAll('"', '') });
    const evaluation = await evaluate(value, 0.1);
    expect(findingsOf(evaluation, 'card.valid')).toEqual([]);
    expect(findingsOf(evaluation, 'team.reward')).toEqual([]);
  });

  it('says clearly when a value holds no number to compare', async () => {
    const [finding] = findingsOf(await evaluate('"solved"', 200), 'team.reward');
    expect(finding).toMatchObject({
      message:
        'mean_reward = "solved" on LunarLander-v2 holds no number, so it cannot be compared with the minimum 200',
      remedy: 'Write the value as a number ("0.91"), a percentage ("91%") or "mean +/- std".',
    });
  });

  it('still compares what it can read', async () => {
    expect(findingsOf(await evaluate('"120.5 +/- 3"', 200), 'team.reward')[0]?.message).toBe(
      'mean_reward = 120.5 on LunarLander-v2 is below the minimum 200',
    );
  });
});

describe('card accuracy on real cards (issue 25)', () => {
  it('metric values in model-index are evaluation results, an empty model-index is not', async () => {
    const withMetrics = `---
model-index:
  - name: demo
    results:
      - task: { type: text-classification }
        dataset: { name: imdb, type: imdb }
        metrics:
          - { type: accuracy, value: 0.91 }
---
# Demo
`;
    expect(await messages(withMetrics, 'card.evaluation')).toEqual([]);
    const empty = '---\nmodel-index:\n  - name: demo\n    results: []\n---\n# Demo\n';
    expect(await messages(empty, 'card.evaluation')).toEqual(['the model card has no "Evaluation" section']);
  });

  it('a heading whose marks are followed by a no-break or other Unicode space is a heading', () => {
    const sections = card(
      '#\u00a0Demo\n\n##\u00a0 Evaluation Results\n\nAccuracy 0.91.\n\n##\u2002Uses\n\nRanking.\n',
    ).sections;
    expect(sections.get('evaluation results')).toMatchObject({ line: 3, content: 'Accuracy 0.91.' });
    expect(sections.get('uses')).toMatchObject({ line: 7, content: 'Ranking.' });
  });

  it('a heading that describes the dataset counts as training data', async () => {
    for (const heading of [
      'How I created this model and the underlying dataset',
      'Model and data descriptions',
      'Datasets and preprocessing',
    ]) {
      const text = `## ${heading}\n\nTweets from 2021, labelled by three annotators.\n`;
      expect(await messages(text, 'card.training-data')).toEqual([]);
    }
  });

  it('reads status and owners outside governance:, and points at a status it cannot read', async () => {
    const read = card(
      '---\nstatus: Production\nowners:\n  - name: Piet van Haaren\n    role: Manager\ngovernance: { system: woz }\n---\n# Demo\n',
    );
    expect(read.governance).toMatchObject({ system: 'woz', owner: 'Piet van Haaren', status: 'production' });
    const inner = card('---\nstatus: production\ngovernance: { status: retired }\n---\n# Demo\n');
    expect(inner.governance.status).toBe('retired'); // governance: wins where both say
    const [finding] = findingsOf(
      await check(
        '---\nstatus: ontwikkeling\ngovernance: { system: woz, owner: t, version: "1", tier: high }\n---\n# Demo\n',
      ),
      'card.governance',
    );
    expect(finding).toMatchObject({
      line: 2,
      message:
        'no status for this system in its model card, models/demo/governance.yml or the config (the front matter\'s top-level status: "ontwikkeling" is not one aims-gate can read: a lifecycle status is one of development, validation, production, deprecated, retired)',
    });
  });

  // Excerpts of the cards of the judged sample (docs/card-accuracy.md) whose findings were false.
  it('a lead-in line ending in a colon titles the list or table under it (Trainer and other cards)', async () => {
    // GItaf/roberta-base-roberta-base-finetuned-mbti-0912-weight0: the Trainer's evaluation, no results table.
    const trainer = `# roberta-base-finetuned-mbti

This model is a fine-tuned version of [roberta-base](https://huggingface.co/roberta-base) on the None dataset.
It achieves the following results on the evaluation set:
- eval_loss: 4.1338
- step: 0

## Training and evaluation data

More information needed
`;
    expect(await messages(trainer, 'card.evaluation')).toEqual([]);
    expect(
      card(trainer).sections.get('it achieves the following results on the evaluation set'),
    ).toMatchObject({
      line: 4,
      content: 'eval loss: 4.1338\nstep: 0',
    });
    // NtDNlp/sentence-embedding-vietnamese: a lead-in over a results table, with or without a blank line.
    const table =
      '#EmbeddingSimilarityEvaluator: Evaluating the model on STS.en-en.txt dataset in epoch 2 after 26000 steps:\n\n| Type | Pearson | Spearman |\n| --- | --- | --- |\n| Cosine | 0.7650 | 0.8095 |\n';
    expect(await messages(table, 'card.evaluation')).toEqual([]);
    expect(await messages(table.replace('\n\n', '\n'), 'card.evaluation')).toEqual([]);
    // Rocketknight1/distilroberta-base-finetuned-wikitext2: the Trainer writes the line without results too.
    const nothing = trainer.replace('- eval_loss: 4.1338\n- step: 0\n', '\n');
    expect(await messages(nothing, 'card.evaluation')).toEqual([
      'the "Training and evaluation data" section is empty or holds only placeholders',
    ]);
  });

  it('the compute used, as AutoTrain and the Hub template state it without the heading', async () => {
    // lehiko/autotrain-hamantest-2444675858: a list label with a unit in brackets, and co2_eq_emissions.
    const autotrain = `---
co2_eq_emissions:
  emissions: 0.36899783929655716
---

# Model Trained Using AutoTrain

- Problem type: Binary Classification
- CO2 Emissions (in grams): 0.3690
`;
    expect(await messages(autotrain, 'card.environmental-impact')).toEqual([]);
    expect(card(autotrain).sections.get('co2 emissions in grams')).toMatchObject({
      line: 9,
      content: 'CO2 Emissions (in grams): 0.3690',
    });
    const body = autotrain.slice(autotrain.indexOf('#'));
    expect(await messages(body, 'card.environmental-impact')).toEqual([]);
    expect(await messages('---\nco2_eq_emissions: 12.5\n---\n# Demo\n', 'card.environmental-impact')).toEqual(
      [],
    );
    // Kamtera/persian-tts-female-glow_tts: the template's labels, kept without their heading.
    const labels = '# Demo\n\n- **Hours used:** 10\n- **Cloud Provider:** kaggle\n';
    expect(await messages(labels, 'card.environmental-impact')).toEqual([]);
    expect(
      await messages('# Demo\n\n- **Hours used:** [More Information Needed]\n', 'card.environmental-impact'),
    ).toEqual(['the "Hours used" section is empty or holds only placeholders']);
  });

  it('a paragraph that is only a short label and its colon is a heading written as text', async () => {
    // K024/mt5-zh-ja-en-trimmed: the training data under "Training data:", as a code block of corpus names.
    const text =
      '# mt5\n\nTraining data:\n```\nwikimedia-en-ja\nted2020-en-zh\n```\n\nLicense: CC BY-NC-SA 4.0\n';
    expect(await messages(text, 'card.training-data')).toEqual([]);
    // JorisCos/ConvTasNet_Libri2Mix_sepnoisy_8k: a longer line inside it is no label, so it stays in the section.
    const results = 'Results:\n\nOn Libri2Mix min test set :\n```yml\nsi_sdr: 9.944\n```\n';
    expect(await messages(results, 'card.evaluation')).toEqual([]);
    // kukuhtw/ganjarpranowo: six words over a gallery is a sentence, not a heading.
    expect(
      await messages(
        'Sample results pictures of this concept:\n\n![0](https://example.org/0.jpeg)\n',
        'card.evaluation',
      ),
    ).toEqual(['the model card has no "Evaluation" section']);
    expect(await messages('To evaluate, run:\n```\npython eval.py\n```\n', 'card.evaluation')).toEqual([
      'the model card has no "Evaluation" section',
    ]);
  });

  it('a subheading title is no content: a Results section holding only placeholders and "### Summary" is empty', async () => {
    // Niceforo/teste: the Hub template with its placeholders left in.
    const text = '# Evaluation\n\n## Results\n\n[More Information Needed]\n\n### Summary\n\n';
    expect(await messages(text, 'card.evaluation')).toEqual([
      'the "Evaluation" section is empty or holds only placeholders',
    ]);
  });

  it('a key-value table row is a label: spaCy states its author and corpora so, Intel its uses', async () => {
    // spacy/pt_core_news_lg: the metadata table of every spaCy card.
    const spacy = `| Feature | Description |
| --- | --- |
| **Name** | \`pt_core_news_lg\` |
| **Sources** | [UD Portuguese Bosque v2.8](https://github.com/UniversalDependencies/UD_Portuguese-Bosque) (Rademaker, Alexandre) |
| **License** | \`CC BY-SA 4.0\` |
| **Author** | [Explosion](https://explosion.ai) |
`;
    expect(await messages(spacy, 'card.training-data')).toEqual([]);
    expect(await messages(spacy, 'card.contact')).toEqual([]);
    expect(card(spacy).sections.get('author')).toMatchObject({
      line: 6,
      content: '[Explosion](https://explosion.ai)',
    });
    // A spaCy card that left them out says "n/a": an empty section, not a written one.
    const none = spacy.replace(/\| \*\*Sources\*\* \|[^\n]*/, '| **Sources** | n/a |');
    expect(await messages(none, 'card.training-data')).toEqual([
      'the "Sources" section is empty or holds only placeholders',
    ]);
    // Intel/distilbert-base-uncased-sparse-90-unstructured-pruneofa: the model card template as tables.
    const intel = `| Intended Use | Description |
| ----------- | ----------- |
| Primary intended uses | This is a general sparse language model, to be fine-tuned for language tasks. |
| Out-of-scope uses |  The model should not be used to intentionally create hostile or alienating environments for people.|
`;
    expect(await messages(intel, 'card.intended-use')).toEqual([]);
    // A header row names columns, and a row of more than two cells is data, not a label.
    expect(await messages('| Limitations | x |\n| --- | --- |\n| a | b |\n', 'card.limitations')).toEqual([
      'the model card has no "Bias, Risks, and Limitations" section',
    ]);
  });

  it('a one-line paragraph "Label: value" of up to three words is a label, as in a list', async () => {
    // tadejmagajna/flair-sl-pos: the result on its own line.
    const flair =
      '## Slovene PoS Tagging for Flair\n\nTrained on the Slovenian UD Treebank.\n\nF-score (micro): **94,96**\n';
    expect(await messages(flair, 'card.evaluation')).toEqual([]);
    // CZWin32768/xlm-align and inovex/multi2convai-logistics-de-logreg-ft: an address to write to.
    expect(await messages('# Demo\n\nContact: chizewen@outlook.com\n', 'card.contact')).toEqual([]);
    expect(await messages('# Demo\n\n- mailto: info@multi2conv.ai\n', 'card.contact')).toEqual([]);
    // huggingnft/etherbears: a sentence with a colon is no label.
    expect(
      await messages(
        'Check results with Space: [link](https://huggingface.co/spaces/x).\n',
        'card.evaluation',
      ),
    ).toEqual(['the model card has no "Evaluation" section']);
  });

  it("the Hub's note that it wrote the card says nothing of limitations", async () => {
    // MIT/ast-finetuned-audioset-14-14-0.443
    const text =
      'Disclaimer: The team releasing Audio Spectrogram Transformer did not write a model card for this model so this model card has been written by the Hugging Face team.\n';
    expect(await messages(text, 'card.limitations')).toEqual([
      'the "Disclaimer" section is empty or holds only placeholders',
    ]);
  });

  it('the OpenRAIL terms a Stable Diffusion card lists are its out-of-scope uses', async () => {
    // NiteStormz/ProtoThing_200
    const text = `## License

The CreativeML OpenRAIL License specifies: 
1. You can't use the model to deliberately produce nor share illegal or harmful outputs or content
2. The authors claims no rights on the outputs you generate
`;
    expect(await messages(text, 'card.intended-use')).toEqual(['the model card has no "Direct Use" section']);
  });
});
