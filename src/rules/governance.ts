import { GOVERNANCE_FACTS, GOVERNANCE_FILE } from '../documents/governance.js';
import { folderPrefix } from '../inventory.js';
import { LIFECYCLE_STATUSES } from '../types.js';
import { at, documentOf, type RuleKind } from './types.js';

/** The system's governance facts are stated: in its model card, a governance.yml beside it, or the config. */
export const governance: RuleKind = {
  kind: 'governance',
  summary: `The system's governance facts are stated, in the model card's \`governance:\` front matter, a ${GOVERNANCE_FILE} beside it, or its entry under \`systems\` in the config.`,
  params: {
    properties: {
      facts: {
        type: 'array',
        minItems: 1,
        uniqueItems: true,
        items: { enum: [...GOVERNANCE_FACTS] },
        description: 'The facts required, e.g. [system, owner, version, status, tier].',
      },
    },
    required: ['facts'],
  },
  presenceOnly: () => true,
  reads: () => ['model-card'],
  evaluate(rule, system) {
    const missing = (rule.facts as (typeof GOVERNANCE_FACTS)[number][]).filter(
      (fact) => system.governance.values[fact] === undefined,
    );
    if (missing.length === 0) return [];
    const prefix = folderPrefix(system.facts.path);
    const card = documentOf(system, 'model-card');
    const meta = (card?.data.value ?? {}) as Record<string, unknown>;
    const stated = card && meta.governance !== undefined;
    // A key outside governance: that names a missing fact (a system card's `status: ontwikkeling`) is pointed
    // at, with what it says, rather than passed over in silence.
    const unread = missing
      .flatMap((fact) => [fact, `${fact}s`])
      .find((key) => meta[key] !== undefined && meta[key] !== null);
    const said = unread ? JSON.stringify(meta[unread]) : '';
    return [
      {
        ...(card && unread
          ? at(card, [unread])
          : card && stated
            ? at(card, ['governance'])
            : { path: card?.path ?? system.paths['model-card'], line: 1 }),
        message: `no ${missing.join(', ')} for this system in its model card, ${prefix}${GOVERNANCE_FILE} or the config${
          unread
            ? ` (the front matter's top-level ${unread}: ${said.length > 60 ? `${said.slice(0, 57)}...` : said} is not one aims-gate can read${
                unread === 'status' ? `: a lifecycle status is one of ${LIFECYCLE_STATUSES.join(', ')}` : ''
              })`
            : ''
        }`,
        remedy: `State ${missing.join(', ')} in one place: under governance: in the model card's front matter, as keys of ${prefix}${GOVERNANCE_FILE} (keeps Hub cards free of aims-gate keys), or under governance: in the system's entry in .github/aims-gate.yml.`,
      },
    ];
  },
};
