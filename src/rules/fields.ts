import { compileSchema, validateData } from '../schema.js';
import type { RuleKind } from './types.js';
import { documentKindOf, documentParam } from './types.js';

/**
 * The document's data (a Markdown card's front matter) matches a JSON Schema fragment from the policy:
 * required fields, allowed values, patterns.
 */
export const fields: RuleKind = {
  kind: 'fields',
  summary:
    "The document's data (a Markdown card's front matter) matches a JSON Schema fragment: required fields, allowed values.",
  params: {
    properties: { document: documentParam, schema: { type: 'object' } },
    required: ['document', 'schema'],
  },
  presenceOnly: (rule) => presenceSchema(rule.schema),
  reads: (rule) => [documentKindOf(rule)],
  evaluate(rule, system) {
    const doc = system.documents[documentKindOf(rule)];
    if (!doc) return 'not-applicable';
    // The rule's own remedy says what to write; the schema's generic fix would only repeat it.
    return validateData(compileSchema(rule.schema as object), doc.data).map(({ line, column, message }) => ({
      path: doc.path,
      line,
      column,
      message,
    }));
  },
};

/** Keywords that ask only that something is there: a key, a non-empty string or list. */
const PRESENCE_KEYWORDS = new Set([
  'required',
  'properties',
  'items',
  'minLength',
  'minItems',
  'type',
  'description',
]);

/**
 * Whether a schema asks only that fields are there and not empty (required keys, minLength, minItems, down
 * through properties and items), so that a document passes it with any words at all. A schema that says
 * anything of the values (enum, const, not, pattern, a minimum) judges what they say. An `if` only chooses
 * which of `then` and `else` applies (card.datasets: an agent names its environment instead of datasets), so
 * such a schema asks for presence when both of them do.
 */
export function presenceSchema(schema: unknown): boolean {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return false;
  return Object.entries(schema).every(([keyword, value]) => {
    if (keyword === 'if') return true;
    if (keyword === 'then' || keyword === 'else') return presenceSchema(value);
    if (!PRESENCE_KEYWORDS.has(keyword)) return false;
    if (keyword === 'properties')
      return typeof value === 'object' && value !== null && Object.values(value).every(presenceSchema);
    return keyword === 'items' ? presenceSchema(value) : true;
  });
}
