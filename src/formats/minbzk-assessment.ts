import { list, record, text } from '../documents/fields.js';
import type { Pointer } from '../types.js';
import { type Answer, answerText, type Imported, type Importer, Mapping } from './types.js';

/**
 * The Dutch government's assessment instruments from MinBZK's task registry and Algorithm Management Toolkit:
 * the IAMA (human-rights impact assessment) and the AIIA (AI impact assessment). Two shapes, one model:
 * the instrument as published (`tasks:`, each question with its answer template, aliased once per question)
 * and an assessment filled in with AMT (`contents:`, each question with its answer, authors and time).
 * Questions map by their topic and wording onto an impact assessment; every answer is kept, mapped or not.
 */
const URN = /^urn:nl:aivt:(?:tr|ir):(iama|aiia):/;

/** Where a question's answer goes, by words in its topic or question (Dutch, as the instruments are written). */
const TARGETS: { to: string; words: RegExp }[] = [
  { to: 'scope', words: /aanleiding|probleemdefinitie|beschrijving van het beoogde|doel van het systeem/i },
  { to: 'intended_uses', words: /doelstelling|\bdoel\b|beoogde|publieke waarden/i },
  { to: 'stakeholders', words: /betrokkenen|stakeholder|verantwoordelijkheden|rol binnen de organisatie/i },
  { to: 'human_oversight', words: /rol van de mens|de mens\b|menselijk|tussenkomst|controleerbaarheid/i },
  { to: 'monitoring', words: /evaluatie|auditing|borging|monitor/i },
  { to: 'mitigations', words: /maatregel|mitigat|risicobeheersing|alternatieve werkwijze/i },
  { to: 'impacts', words: /grondrecht|effecten van het algoritme|bias|zwaartebepaling|privacy/i },
];

/** Keys of the instrument itself (who publishes it, how AMT files it): no place in an impact assessment. */
const INSTRUMENT_KEYS = [
  'systemcard_path',
  'schema_version',
  'urn',
  'language',
  'url',
  'description',
  'template',
];

/** Which instrument a document is, by its URN, when it has the questions list of one. */
function instrumentOf(value: Record<string, unknown>): string | undefined {
  if (typeof value.urn !== 'string' || !(Array.isArray(value.tasks) || Array.isArray(value.contents)))
    return undefined;
  return URN.exec(value.urn)?.[1];
}

function map(value: Record<string, unknown>): Imported {
  const instrument = instrumentOf(value)!;
  const out = new Mapping();
  const answers: Answer[] = [];
  const unmapped: string[] = [];
  const field = Array.isArray(value.tasks) ? 'tasks' : 'contents';
  const texts = new Map<string, { text: string; from: Pointer }[]>();
  const impacts: { id: string; description: string; from: Pointer }[] = [];
  list(value[field]).forEach((entry, i) => {
    const task = record(entry) ?? {};
    // A filled assessment answers in the entry; the instrument in its (aliased) template.
    const answer = answerText(task.answer) ?? answerText(record(task.template)?.answer);
    const question = text(task.question) ?? text(record(task.template)?.question) ?? `question ${i + 1}`;
    const from: Pointer = [field, i, task.answer !== undefined ? 'answer' : 'template'];
    answers.push({ question, ...(answer ? { answer } : {}), from });
    const topic = list(task.labels)
      .map((l) => text(record(l)?.value))
      .filter(Boolean)
      .join(' ');
    const number = text(task.urn)?.split(':').pop() ?? String(i + 1);
    const target = TARGETS.find((t) => t.words.test(`${topic} ${question}`));
    if (!target) {
      unmapped.push(`${field}[${i}] (${number}${topic ? ` ${topic}` : ''})`);
      return;
    }
    if (!answer) return;
    if (target.to === 'impacts')
      impacts.push({ id: `${instrument.toUpperCase()} ${number}`, description: answer, from });
    else texts.set(target.to, [...(texts.get(target.to) ?? []), { text: answer, from }]);
  });
  out.set('system', text(value.name), ['name']);
  const date = text(value.date);
  if (date && /^\d{4}-\d{2}-\d{2}$/.test(date)) out.set('date', date, ['date']);
  for (const [to, parts] of texts) {
    if (to === 'intended_uses' || to === 'stakeholders' || to === 'mitigations') {
      if (to !== 'mitigations')
        parts.forEach((p, k) => {
          out.set([to, k], p.text, p.from);
        });
    } else out.set(to, parts.map((p) => p.text).join('\n\n'), parts[0]!.from);
  }
  const mitigations = texts.get('mitigations') ?? [];
  impacts.forEach((impact, k) => {
    out.set(['impacts', k, 'id'], impact.id, impact.from);
    out.set(['impacts', k, 'type'], 'harm', impact.from);
    out.set(['impacts', k, 'description'], impact.description, impact.from);
    // aims-gate's mitigations name risk ids; the instrument's are text, kept beside them.
    mitigations.forEach((m, j) => {
      out.set(['impacts', k, 'x-mitigations', j], m.text, m.from);
    });
  });
  const owners = list(value.owners)
    .map((o) => text(record(o)?.name) ?? text(record(o)?.organization))
    .filter(Boolean);
  if (owners.length) unmapped.push('owners (an assessment names its approver, not its owners)');
  for (const key of Object.keys(value)) {
    if (!['name', 'date', 'owners', field].includes(key) && !INSTRUMENT_KEYS.includes(key))
      unmapped.push(key);
  }
  return {
    format: `MinBZK ${instrument.toUpperCase()}`,
    value: out.value,
    mapped: out.mapped,
    unmapped,
    answers,
  };
}

/** One importer per instrument, so the config can name the one it expects (`format: minbzk-iama`). */
function importerOf(name: 'iama' | 'aiia'): Importer {
  return {
    id: `minbzk-${name}`,
    name: `MinBZK ${name.toUpperCase()}`,
    kind: 'impact-assessment',
    expects: `\`urn: urn:nl:aivt:tr:${name}:…\` (or \`urn:nl:aivt:ir:${name}:…\`) with a \`tasks:\` or \`contents:\` list`,
    recognise: (value) => instrumentOf(value) === name,
    map,
  };
}

export const minbzkIama = importerOf('iama');
export const minbzkAiia = importerOf('aiia');
