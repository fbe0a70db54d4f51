import type { DocumentKind, Pointer } from '../types.js';
import type { RuleKind, SystemContext, Violation } from './types.js';
import { at, documentOf } from './types.js';

const CHECKS = ['system', 'version', 'tier', 'mitigations'] as const;
type Check = (typeof CHECKS)[number];

/** Where each document states a fact, so the three documents can be compared. */
const STATED: Record<'system' | 'version' | 'tier', Partial<Record<DocumentKind, Pointer>>> = {
  system: {
    'model-card': ['governance', 'system'],
    'risk-assessment': ['system'],
    'impact-assessment': ['system'],
  },
  version: {
    'model-card': ['governance', 'version'],
    'risk-assessment': ['version'],
    'impact-assessment': ['version'],
  },
  tier: { 'model-card': ['governance', 'tier'], 'risk-assessment': ['tier'] },
};

/** The documents of one system agree with each other. */
export const consistency: RuleKind = {
  kind: 'consistency',
  summary:
    'The documents agree: `system` (same system id as the folder), `version` (same version), `tier` (model card and risk assessment give the same tier), `mitigations` (impact mitigations name existing risk ids).',
  params: { properties: { check: { enum: [...CHECKS] } }, required: ['check'] },
  reads: (rule) =>
    rule.check === 'mitigations'
      ? ['risk-assessment', 'impact-assessment']
      : (Object.keys(STATED[rule.check as 'system']) as DocumentKind[]),
  evaluate(rule, system) {
    const check = rule.check as Check;
    return check === 'mitigations' ? mitigationViolations(system) : agreementViolations(system, check);
  },
};

function statedValue(system: SystemContext, kind: DocumentKind, pointer: Pointer): string | undefined {
  const doc = system.documents[kind];
  if (!doc) return undefined;
  let value: unknown = doc.data.value;
  for (const key of pointer) value = (value as Record<string, unknown> | undefined)?.[key as string];
  return typeof value === 'string' ? value : undefined;
}

function agreementViolations(
  system: SystemContext,
  check: 'system' | 'version' | 'tier',
): Violation[] | 'not-applicable' {
  const stated = Object.entries(STATED[check])
    .map(([kind, pointer]) => ({
      kind: kind as DocumentKind,
      pointer,
      value: statedValue(system, kind as DocumentKind, pointer),
    }))
    .filter((s): s is typeof s & { value: string } => s.value !== undefined);
  // The system id is anchored to the inventory; versions and tiers are compared with the first document stating one.
  const reference = check === 'system' ? { value: system.facts.id, where: `the system's id` } : undefined;
  if (stated.length === 0 || (!reference && stated.length < 2)) return 'not-applicable';
  const expected = reference?.value ?? stated[0]!.value;
  const expectedWhere = reference?.where ?? `${system.paths[stated[0]!.kind]}`;
  return stated
    .filter((s) => s.value !== expected)
    .map((s) => {
      const doc = system.documents[s.kind]!;
      return {
        ...at(doc, s.pointer),
        message: `${s.kind.replace('-', ' ')} gives ${check} "${s.value}" but ${expectedWhere} is "${expected}"`,
        remedy: `Make every document of this system state ${check} "${expected}", or correct whichever is wrong.`,
      };
    });
}

function mitigationViolations(system: SystemContext): Violation[] | 'not-applicable' {
  const impact = documentOf(system, 'impact-assessment');
  const risk = documentOf(system, 'risk-assessment');
  if (!impact || !risk) return 'not-applicable';
  const ids = new Set(risk.risks.flatMap((r) => (r.id ? [r.id] : [])));
  const violations: Violation[] = [];
  for (const item of impact.impacts) {
    item.mitigations.forEach((ref, i) => {
      if (ids.has(ref)) return;
      violations.push({
        ...at(impact, ['impacts', item.index, 'mitigations', i]),
        message: `impact ${item.id ?? `#${item.index + 1}`} names mitigation ${ref}, which is not a risk id in ${risk.path}`,
        remedy: `Use an id from the risk register (${[...ids].slice(0, 8).join(', ') || 'it has none'}), or add the risk there.`,
      });
    });
  }
  return violations;
}
