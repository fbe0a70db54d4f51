import type { ParsedData } from '../parse/yaml.js';
import { date, list, oneOf, record, text, texts } from './fields.js';
import type { ImpactAssessment } from './types.js';

type ImpactParts = Omit<ImpactAssessment, 'kind' | 'path' | 'data' | 'violations' | 'locate'>;

export function normaliseImpactAssessment(data: ParsedData): ImpactParts {
  const doc = record(data.value) ?? {};
  const approval = record(doc.approval);
  return {
    system: text(doc.system),
    version: text(doc.version),
    date: date(doc.date),
    nextReview: date(doc.next_review),
    impacts: list(doc.impacts).map((value, index) => {
      const impact = record(value) ?? {};
      return {
        index,
        id: text(impact.id),
        type: oneOf(impact.type, ['benefit', 'harm'] as const),
        severity: text(impact.severity),
        mitigations: texts(impact.mitigations),
      };
    }),
    approval: text(approval?.approver)
      ? { approver: approval?.approver as string, date: date(approval?.date) }
      : undefined,
  };
}
