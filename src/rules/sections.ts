import { sectionKey } from '../documents/model-card.js';
import type { RuleKind, Violation } from './types.js';
import { documentOf } from './types.js';

/** The model card has these sections, found by heading at any level, each with real content. */
export const sections: RuleKind = {
  kind: 'sections',
  summary:
    'The model card has these sections (any heading level, case and "[optional]" ignored), each with real content, not placeholders.',
  params: {
    properties: {
      sections: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
      'min-length': {
        type: 'integer',
        minimum: 1,
        description: 'Fewest characters of real content (default 1).',
      },
    },
    required: ['sections'],
  },
  reads: () => ['model-card'],
  evaluate(rule, system) {
    const card = documentOf(system, 'model-card');
    if (!card) return 'not-applicable';
    const minLength = (rule['min-length'] as number | undefined) ?? 1;
    const violations: Violation[] = [];
    for (const title of rule.sections as string[]) {
      const section = card.sections.get(sectionKey(title));
      if (!section) {
        violations.push({ path: card.path, line: 1, message: `the model card has no "${title}" section` });
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
