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
