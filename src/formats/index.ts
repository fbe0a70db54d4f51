import type { ParsedData } from '../parse/yaml.js';
import type { DocumentKind, Pointer } from '../types.js';
import { canadaAia } from './canada-aia.js';
import { finosRisk } from './finos-risk.js';
import { minbzkAssessment } from './minbzk-assessment.js';
import { minbzkSystemCard } from './minbzk-system-card.js';
import type { Imported, Importer } from './types.js';

export type { Answer, Imported } from './types.js';

/** Every format aims-gate maps onto its own model: one module each, recognised by content. */
export const IMPORTERS: Importer[] = [minbzkAssessment, canadaAia, finosRisk, minbzkSystemCard];

/**
 * A document in a format an importer recognises, mapped: its data in aims-gate's shape, with `locate`
 * pointing into the original file (a mapped field at the line it came from), and what was mapped from where.
 * Undefined when the document is aims-gate's own.
 */
export function importDocument(
  kind: DocumentKind,
  data: ParsedData,
  body?: string,
): { data: ParsedData; imported: Imported } | undefined {
  const value = data.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const importer = IMPORTERS.find((i) => i.kind === kind && i.recognise(value as Record<string, unknown>));
  if (!importer) return undefined;
  const imported =
    importer === finosRisk
      ? finosRisk.map(value as Record<string, unknown>, body)
      : importer.map(value as Record<string, unknown>);
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
