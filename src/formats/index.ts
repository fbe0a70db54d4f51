import type { Problem } from '../parse/problem.js';
import type { ParsedData } from '../parse/yaml.js';
import { describePointer } from '../schema.js';
import type { DocumentKind, ImportSummary, Pointer } from '../types.js';
import { canadaAia } from './canada-aia.js';
import { finosRisk } from './finos-risk.js';
import { minbzkAiia, minbzkIama } from './minbzk-assessment.js';
import { minbzkSystemCard } from './minbzk-system-card.js';
import type { DeclaredFormat, Imported, Importer } from './types.js';

export type { Answer, DeclaredFormat, Imported } from './types.js';

/** Every format aims-gate maps onto its own model: one module each, recognised by content. */
export const IMPORTERS: Importer[] = [minbzkIama, minbzkAiia, canadaAia, finosRisk, minbzkSystemCard];

/** The name of aims-gate's own format in the config's `format:`: read as written, never imported. */
export const OWN_FORMAT = 'aims-gate';

/** The names `format:` may take for a document kind: aims-gate's own, then its importers'. */
export function formatNames(kind: DocumentKind): string[] {
  return [OWN_FORMAT, ...IMPORTERS.filter((i) => i.kind === kind).map((i) => i.id)];
}

/**
 * A document in a format an importer recognises, mapped: its data in aims-gate's shape, with `locate`
 * pointing into the original file (a mapped field at the line it came from), and what was mapped from where.
 * Undefined when the document is aims-gate's own. With a format the config names, nothing is guessed: that
 * importer reads it, and a file not in that format is a problem that says what the format needs.
 */
export function importDocument(
  kind: DocumentKind,
  data: ParsedData,
  body?: string,
  format?: DeclaredFormat,
): { data: ParsedData; imported: Imported } | { problem: Problem } | undefined {
  if (format?.id === OWN_FORMAT) return undefined;
  const value = data.value;
  const fields =
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  // Not a mapping at all (an empty file, say) is said as for any document.
  if (!fields) return undefined;
  const recognised = IMPORTERS.find((i) => i.kind === kind && i.recognise(fields));
  const named = format && IMPORTERS.find((i) => i.id === format.id);
  if (named && recognised !== named) return { problem: notInFormat(named, format, recognised) };
  const importer = named ?? recognised;
  if (!importer) return undefined;
  const imported = importer.map(fields, body);
  // Where each original field is, and what it says: what `explain` and the reports show beside the mapping.
  for (const m of imported.mapped) {
    if (!m.from.length) continue;
    m.line = data.locate(m.from).line;
    const original = valueAt(fields, m.from);
    if (typeof original === 'string' || typeof original === 'number') m.text = String(original);
  }
  for (const a of imported.answers) a.line = data.locate(a.from).line;
  // Each mapped field, and each of its parents (at the first field mapped into it), to where it came from.
  const from = new Map<string, Pointer>();
  for (const m of imported.mapped) {
    for (let depth = m.to.length; depth > 0; depth--) {
      const key = JSON.stringify(m.to.slice(0, depth));
      if (!from.has(key) && m.from.length) from.set(key, m.from);
    }
  }
  const locate = (pointer: Pointer) => {
    for (let depth = pointer.length; depth > 0; depth--) {
      const origin = from.get(JSON.stringify(pointer.slice(0, depth)));
      if (origin) return data.locate(origin);
    }
    return data.locate([]);
  };
  return { data: { value: imported.value, locate }, imported };
}

/** Why a file the config says is in a format is not: what that format needs, and the format it is in. */
function notInFormat(named: Importer, format: DeclaredFormat, instead: Importer | undefined): Problem {
  return {
    line: 1,
    message: `it is not a ${named.name}, as ${format.at} says it is: a ${named.name} has ${named.expects}${
      instead ? `; this file reads as ${instead.name}` : ''
    }`,
    fix: instead
      ? `Set \`format: ${instead.id}\` at ${format.at}, or replace the file with the ${named.name}.`
      : `Check that this is the file the config means; if it is in aims-gate's own format, set \`format: ${OWN_FORMAT}\` at ${format.at} or remove \`format:\` there.`,
  };
}

function valueAt(value: unknown, pointer: Pointer): unknown {
  let at = value;
  for (const key of pointer) at = (at as Record<string | number, unknown> | undefined)?.[key];
  return at;
}

/** Long answers are cut here in summaries and findings: the file has the whole text, at the line given. */
const QUOTE_LIMIT = 240;

function quote(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > QUOTE_LIMIT ? `${flat.slice(0, QUOTE_LIMIT - 1)}…` : flat;
}

/** What an import mapped from where, with the original text, for `explain` and the reports. */
export function summariseImport(path: string, imported: Imported): ImportSummary {
  return {
    path,
    format: imported.format,
    mapped: imported.mapped.map((m) => {
      if (m.from.length)
        return {
          to: describePointer(m.to),
          from: describePointer(m.from),
          ...(m.line !== undefined ? { line: m.line } : {}),
          ...(m.text !== undefined ? { text: quote(m.text) } : {}),
        };
      // Worked out from the whole document (Canada's impact level from every answer, FINOS's summary from
      // its Markdown): the value aims-gate took is what there is to show.
      const derived = valueAt(imported.value, m.to);
      return {
        to: describePointer(m.to),
        from: '(worked out from the whole document)',
        ...(typeof derived === 'string' || typeof derived === 'number'
          ? { text: quote(String(derived)) }
          : {}),
      };
    }),
    questions: imported.answers.length,
    answered: imported.answers.filter((a) => a.answer !== undefined).length,
    unmapped: imported.unmapped,
  };
}

/** The original question and answer at a line of an imported document, as a finding there quotes them. */
export function originalAt(imported: Imported, line: number | undefined): string | undefined {
  // Answers only: a finding about the document as a whole sits at its first line, where a field may be too.
  const answer = imported.answers.find((a) => a.line === line && a.answer !== undefined);
  return answer ? `${quote(answer.question)} — answered: "${quote(answer.answer!)}"` : undefined;
}
