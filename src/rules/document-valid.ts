import type { RuleKind } from './types.js';
import { documentKindOf, documentParam } from './types.js';

/** The document parses and matches its published schema: types, allowed values, no unknown keys. */
export const documentValid: RuleKind = {
  kind: 'document-valid',
  summary:
    'The document parses and matches its published JSON Schema (types, allowed values, no unknown keys).',
  params: { properties: { document: documentParam }, required: ['document'] },
  reads: () => [],
  evaluate(rule, system) {
    const kind = documentKindOf(rule);
    const unreadable = system.unreadable[kind];
    if (unreadable) {
      const { line, column, message, fix } = unreadable.problem;
      return [{ path: unreadable.path, line, column, message: `cannot be read: ${message}`, remedy: fix }];
    }
    const doc = system.documents[kind];
    if (!doc) return 'not-applicable';
    return doc.violations.map(({ line, column, message, fix }) => ({
      path: doc.path,
      line,
      column,
      message,
      remedy: fix,
    }));
  },
};
