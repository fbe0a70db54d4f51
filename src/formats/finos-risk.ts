import { readAsset } from '../assets.js';
import { list, record, text } from '../documents/fields.js';
import type { ParsedData } from '../parse/yaml.js';
import { type Imported, type Importer, Mapping } from './types.js';

/**
 * A risk of the FINOS AI governance framework's catalogue (finos/ai-governance-framework): Markdown with
 * front matter (`layout: risk`, `sequence`, `title`, references to NIST, EU AI Act and other texts), its
 * Summary and Description as sections. Placed as a system's risk assessment it reads as one risk; a register
 * may instead cite a catalogue entry by id (`id: finos:ri-16`) and take its title and summary from the
 * entries aims-gate ships (reference/formats/finos/, under the framework's licence, CC BY 4.0).
 */
function recognise(value: Record<string, unknown>): boolean {
  return value.layout === 'risk' && typeof value.sequence === 'number' && typeof value.title === 'string';
}

/** The first paragraph under "## Summary" of a catalogue entry's Markdown body. */
export function summaryOf(body: string): string | undefined {
  const match = /^##\s+Summary\s*\n+([\s\S]*?)(?:\n#|$)/m.exec(body);
  return match?.[1]?.trim().split(/\n\s*\n/)[0];
}

function map(value: Record<string, unknown>, body = ''): Imported {
  const out = new Mapping();
  const id = `finos:ri-${value.sequence}`;
  out.set(['risks', 0, 'id'], id, ['sequence']);
  out.set(['risks', 0, 'title'], text(value.title), ['title']);
  out.set(['risks', 0, 'description'], summaryOf(body), []);
  out.set(['risks', 0, 'category'], text(value.type), ['type']);
  const related = list(value.related_risks).map((r) => `finos:${r}`);
  if (related.length) out.set(['risks', 0, 'x-related'], related, ['related_risks']);
  const unmapped = Object.keys(value).filter(
    (key) => !['sequence', 'title', 'type', 'related_risks', 'layout'].includes(key),
  );
  return {
    format: 'FINOS AI governance framework risk',
    value: out.value,
    mapped: out.mapped,
    unmapped,
    answers: [{ question: text(value.title) ?? id, answer: summaryOf(body), from: ['title'] }],
  };
}

/** A catalogue risk a register cites, e.g. "finos:ri-16", from the entries aims-gate ships. */
export function catalogueRisk(ref: string): { title: string; summary?: string } | undefined {
  const match = /^finos:ri-(\d+)$/.exec(ref);
  if (!match) return undefined;
  let source: string;
  try {
    source = readAsset(`reference/formats/finos/ri-${Number(match[1])}.md`);
  } catch {
    return undefined;
  }
  const title = /^title:\s*(.+)$/m.exec(source)?.[1]?.trim();
  if (!title) return undefined;
  const summary = summaryOf(source);
  return { title, ...(summary ? { summary } : {}) };
}

export const finosRisk: Importer & { map: typeof map } = {
  id: 'finos-risk',
  name: 'FINOS AI governance framework risk',
  kind: 'risk-assessment',
  expects: 'front matter with `layout: risk`, a number `sequence` and a `title`',
  recognise: (value) => recognise(record(value) ?? {}),
  map,
};

/**
 * A risk register whose risks cite catalogue entries by id ("finos:ri-16") with no title or description of
 * their own: the entry's title and summary filled in, the register otherwise as written.
 */
export function withCatalogue(kind: string, data: ParsedData): ParsedData {
  const doc = record(data.value);
  if (kind !== 'risk-assessment' || !doc || !Array.isArray(doc.risks)) return data;
  let changed = false;
  const risks = doc.risks.map((value) => {
    const risk = record(value);
    const cited = typeof risk?.id === 'string' ? catalogueRisk(risk.id) : undefined;
    if (!risk || !cited || (risk.title !== undefined && risk.description !== undefined)) return value;
    changed = true;
    return { ...risk, title: risk.title ?? cited.title, description: risk.description ?? cited.summary };
  });
  return changed ? { ...data, value: { ...doc, risks } } : data;
}
