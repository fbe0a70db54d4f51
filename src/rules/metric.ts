import type { RuleKind, Violation } from './types.js';
import { at, documentOf } from './types.js';

/** A metric reported in the model card's `model-index` lies within bounds. */
export const metric: RuleKind = {
  kind: 'metric',
  summary:
    "A metric in the model card's `model-index` (matched by `metric` type, optionally `dataset`) is within `min`/`max`; with `required` (default true) it must be reported.",
  params: {
    properties: {
      metric: {
        type: 'string',
        minLength: 1,
        description: 'Metric type, e.g. accuracy or demographic_parity_difference.',
      },
      dataset: { type: 'string', minLength: 1 },
      min: { type: 'number' },
      max: { type: 'number' },
      required: { type: 'boolean' },
    },
    required: ['metric'],
  },
  reads: () => ['model-card'],
  evaluate(rule, system) {
    const card = documentOf(system, 'model-card');
    if (!card) return 'not-applicable';
    const type = (rule.metric as string).toLowerCase();
    const dataset = rule.dataset as string | undefined;
    const matching = card.metrics.filter(
      (m) =>
        m.type.toLowerCase() === type &&
        (dataset === undefined || m.dataset?.toLowerCase() === dataset.toLowerCase()),
    );
    if (matching.length === 0) {
      if (rule.required === false) return [];
      return [
        {
          ...at(card, ['model-index']),
          message: `the model card reports no "${rule.metric}" metric${dataset ? ` on ${dataset}` : ''} in model-index`,
        },
      ];
    }
    const min = rule.min as number | undefined;
    const max = rule.max as number | undefined;
    const violations: Violation[] = [];
    for (const m of matching) {
      if (m.value === undefined) {
        if (min === undefined && max === undefined) continue;
        violations.push({
          ...at(card, m.pointer),
          message: `${m.name ?? m.type} = ${JSON.stringify(m.text)}${m.dataset ? ` on ${m.dataset}` : ''} holds no number, so it cannot be compared with ${min !== undefined ? `the minimum ${min}` : `the maximum ${max}`}`,
          remedy: 'Write the value as a number ("0.91"), a percentage ("91%") or "mean +/- std".',
        });
        continue;
      }
      const bound =
        min !== undefined && m.value < min
          ? `below the minimum ${min}`
          : max !== undefined && m.value > max
            ? `above the maximum ${max}`
            : undefined;
      if (bound) {
        violations.push({
          ...at(card, m.pointer),
          message: `${m.name ?? m.type} = ${m.value}${m.dataset ? ` on ${m.dataset}` : ''} is ${bound}`,
        });
      }
    }
    return violations;
  },
};
