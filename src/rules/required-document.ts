import type { RuleKind } from './types.js';
import { documentKindOf, documentParam } from './types.js';

/** The system has the document (combine with `when` for "an impact assessment when the tier is high"). */
export const requiredDocument: RuleKind = {
  kind: 'required-document',
  summary: 'The system has this document; with `when`, only where the condition holds (e.g. high risk tier).',
  params: { properties: { document: documentParam }, required: ['document'] },
  presenceOnly: () => true,
  reads: () => [],
  evaluate(rule, system) {
    const kind = documentKindOf(rule);
    if (system.documents[kind] || system.unreadable[kind]) return [];
    return [{ path: system.paths[kind], message: `no ${kind.replace('-', ' ')} at ${system.paths[kind]}` }];
  },
};
