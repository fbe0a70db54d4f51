import { sectionKey } from '../documents/model-card.js';
import type { ModelCard, Section } from '../documents/types.js';
import { matches } from '../glob.js';
import type { RuleKind, Violation } from './types.js';
import { documentOf } from './types.js';

/** A required section by meaning: its name, the other headings that mean it, and globs over normalised headings. */
export interface SectionSpec {
  name: string;
  aliases?: string[];
  /** Globs over the heading lower-cased with punctuation dropped, e.g. "*out of scope*". */
  patterns?: string[];
  /**
   * Front-matter keys that say the same (e.g. `library_name` for the software used): Hub cards often state in
   * their metadata what a template gives a section for, and a card that states it there says it.
   */
  keys?: string[];
}

export function sectionSpec(entry: string | SectionSpec): SectionSpec {
  return typeof entry === 'string' ? { name: entry } : entry;
}

/** Every way a spec is written, for messages and `explain`: the name, the aliases, then "a heading like …". */
export function acceptedHeadings(spec: SectionSpec): string {
  const names = [spec.name, ...(spec.aliases ?? [])].map((n) => `"${n}"`).join(', ');
  const patterns = (spec.patterns ?? []).map((p) => `"${p}"`).join(' or ');
  const keys = (spec.keys ?? []).map((k) => `"${k}:"`).join(' or ');
  return [names, patterns && `a heading like ${patterns}`, keys && `the front-matter key ${keys}`]
    .filter(Boolean)
    .join(', or ');
}

/**
 * Whether the card's front matter gives one of the spec's keys a value (not empty, not an empty list). A key
 * may be a path through lists and mappings, "*" standing for any item: `model-index.*.results.*.metrics.*.value`
 * is stated by a card with one metric value, not by a model-index whose results are empty.
 */
function statedInMetadata(card: ModelCard, spec: SectionSpec): boolean {
  return (spec.keys ?? []).some((key) => valuesAt([card.data.value], key.split('.')).some(isStated));
}

function valuesAt(values: unknown[], path: string[]): unknown[] {
  let at = values;
  for (const segment of path) {
    at = at.flatMap((value) => {
      if (typeof value !== 'object' || value === null) return [];
      if (segment !== '*') return [(value as Record<string, unknown>)[segment]];
      return Array.isArray(value) ? value : Object.values(value);
    });
  }
  return at;
}

function isStated(value: unknown): boolean {
  return Array.isArray(value)
    ? value.length > 0
    : typeof value === 'string'
      ? value.trim() !== ''
      : value != null;
}

/**
 * The sections of a card that mean `spec`: by heading at any level, or by a bold label opening a paragraph
 * ("**Out-of-scope:** …" under "Intended Use"). The one that says the most wins, so an empty "Limitations"
 * beside a written "Bias" section is no finding.
 */
export function findSection(
  card: ModelCard,
  spec: SectionSpec,
  ofRule: SectionSpec[] = [spec],
): Section | undefined {
  const meansAny = (key: string) => ofRule.some((s) => means(key, s));
  let best: Section | undefined;
  for (const [key, found] of card.sections) {
    if (!means(key, spec)) continue;
    // "Uses" holds "Direct Use" and "Out-of-Scope Use": a heading over sections of this rule counts by its own
    // words, not theirs, so a written Out-of-Scope Use does not make an empty Direct Use pass.
    const section = found.subsections?.some(meansAny) ? { ...found, content: found.own ?? '' } : found;
    if (!best || section.content.length > best.content.length) best = section;
  }
  return best;
}

/** Per section of a rule: what each heading key seen so far means to it. */
const meaningsOf = new WeakMap<SectionSpec, { names: Set<string>; known: Map<string, boolean> }>();
/** Headings repeat across cards ("Training Data" thousands of times), but one-off ones are not kept forever. */
const MEANINGS_KEPT = 4096;

function means(key: string, spec: SectionSpec): boolean {
  let meanings = meaningsOf.get(spec);
  if (!meanings) {
    meanings = { names: new Set([spec.name, ...(spec.aliases ?? [])].map(sectionKey)), known: new Map() };
    meaningsOf.set(spec, meanings);
  }
  let meant = meanings.known.get(key);
  if (meant === undefined) {
    meant = meanings.names.has(key) || (spec.patterns ?? []).some((p) => matches(key, p, { nocase: true }));
    if (meanings.known.size >= MEANINGS_KEPT) meanings.known.clear();
    meanings.known.set(key, meant);
  }
  return meant;
}

/** The model card has these sections, found by meaning (name, aliases, heading patterns), each with real content. */
export const sections: RuleKind = {
  kind: 'sections',
  summary:
    'The model card has these sections, each with real content, not placeholders: found by heading at any level (case, punctuation and "[optional]" ignored) or by a bold label opening a paragraph, under the name or any alias or heading pattern the rule gives, or stated under one of its front-matter keys.',
  params: {
    properties: {
      sections: {
        type: 'array',
        minItems: 1,
        items: {
          anyOf: [
            { type: 'string', minLength: 1 },
            {
              type: 'object',
              additionalProperties: false,
              required: ['name'],
              properties: {
                name: { type: 'string', minLength: 1 },
                aliases: { type: 'array', items: { type: 'string', minLength: 1 } },
                patterns: {
                  type: 'array',
                  items: { type: 'string', minLength: 1, maxLength: 100 },
                  description:
                    'Globs over the heading lower-cased with punctuation dropped, e.g. "*out of scope*".',
                },
                keys: {
                  type: 'array',
                  items: { type: 'string', minLength: 1 },
                  description:
                    'Front-matter keys that say the same, e.g. [library_name]: a card that gives one a value needs no section.',
                },
              },
            },
          ],
        },
      },
      'min-length': {
        type: 'integer',
        minimum: 1,
        description: 'Fewest characters of real content (default 1).',
      },
    },
    required: ['sections'],
  },
  presenceOnly: () => true,
  reads: () => ['model-card'],
  evaluate(rule, system) {
    const card = documentOf(system, 'model-card');
    if (!card) return 'not-applicable';
    const minLength = (rule['min-length'] as number | undefined) ?? 1;
    const violations: Violation[] = [];
    const specs = (rule.sections as (string | SectionSpec)[]).map(sectionSpec);
    for (const spec of specs) {
      const section = findSection(card, spec, specs);
      if ((!section || section.content.length < minLength) && statedInMetadata(card, spec)) continue;
      if (!section) {
        violations.push({
          path: card.path,
          line: 1,
          message: `the model card has no "${spec.name}" section`,
          remedy: `${rule.remedy} Headings that count: ${acceptedHeadings(spec)}.`,
        });
      } else if (section.content.length < minLength) {
        violations.push({
          path: card.path,
          line: section.line,
          message:
            section.content.length === 0
              ? `the "${section.title}" section is empty or holds only placeholders`
              : `the "${section.title}" section says too little (${section.content.length} of at least ${minLength} characters)`,
        });
      }
    }
    return violations;
  },
};
