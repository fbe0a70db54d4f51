import { date, daysBetween } from '../documents/fields.js';
import type { Pointer } from '../types.js';
import type { RuleKind, Violation } from './types.js';
import { at, documentKindOf, documentParam } from './types.js';

/** A date in the document is not past (`not-past`) or not older than `max-age-days`. */
export const freshness: RuleKind = {
  kind: 'freshness',
  summary:
    'A date in the document (e.g. `next_review`, or `risks[].review_date` for each risk) is not in the past (`not-past: true`), or is at most `max-age-days` old (and not in the future: the date something was done).',
  params: {
    properties: {
      document: documentParam,
      field: {
        type: 'string',
        pattern: '^[A-Za-z0-9_-]+(\\[\\])?(\\.[A-Za-z0-9_-]+(\\[\\])?)*$',
        description: 'Dotted path to the date; "[]" after a key means each item of that list.',
      },
      'not-past': { const: true },
      'max-age-days': { type: 'integer', minimum: 1 },
    },
    required: ['document', 'field'],
    anyOf: [{ required: ['not-past'] }, { required: ['max-age-days'] }],
  },
  reads: (rule) => [documentKindOf(rule)],
  evaluate(rule, system, env) {
    const doc = system.documents[documentKindOf(rule)];
    if (!doc) return 'not-applicable';
    const field = rule.field as string;
    const violations: Violation[] = [];
    for (const { pointer, value } of resolveField(doc.data.value, field)) {
      const where = at(doc, pointer);
      const name = pointer.join('.').replace(/\.(\d+)\./g, '[$1].');
      if (value === undefined) {
        violations.push({
          ...where,
          message: `${name} is missing`,
          remedy: `Add "${pointer.at(-1)}: YYYY-MM-DD". ${rule.remedy}`,
        });
        continue;
      }
      const day = date(value);
      if (!day) {
        violations.push({
          ...where,
          message: `${name} is not a date`,
          remedy: 'Write the date as YYYY-MM-DD.',
        });
      } else if (rule['not-past'] && day < env.today) {
        violations.push({
          ...where,
          message: `${name} ${day} has passed (${daysBetween(day, env.today)} days ago)`,
        });
      } else if (typeof rule['max-age-days'] === 'number' && day > env.today) {
        // The date something was done cannot be ahead: one in 2099 would make it fresh forever.
        violations.push({
          ...where,
          message: `${name} ${day} is in the future (today is ${env.today})`,
          remedy: `Write the date it was done. ${rule.remedy}`,
        });
      } else if (
        typeof rule['max-age-days'] === 'number' &&
        daysBetween(day, env.today) > rule['max-age-days']
      ) {
        violations.push({
          ...where,
          message: `${name} ${day} is ${daysBetween(day, env.today)} days old, over the limit of ${rule['max-age-days']}`,
        });
      }
    }
    return violations;
  },
};

/** Every value a field path names, with its pointer; a missing leaf comes back as undefined so it is reported. */
export function resolveField(root: unknown, field: string): { pointer: Pointer; value: unknown }[] {
  let current: { pointer: (string | number)[]; value: unknown }[] = [{ pointer: [], value: root }];
  for (const part of field.split('.')) {
    const each = part.endsWith('[]');
    const key = each ? part.slice(0, -2) : part;
    const next: typeof current = [];
    for (const { pointer, value } of current) {
      const child =
        value !== null && typeof value === 'object' && !Array.isArray(value)
          ? (value as Record<string, unknown>)[key]
          : undefined;
      if (!each) next.push({ pointer: [...pointer, key], value: child });
      else if (Array.isArray(child)) {
        for (const [i, item] of child.entries()) next.push({ pointer: [...pointer, key, i], value: item });
      }
    }
    current = next;
  }
  return current;
}
