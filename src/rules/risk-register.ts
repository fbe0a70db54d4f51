import type { Rating, Risk, RiskAssessment } from '../documents/types.js';
import type { RuleKind, Violation } from './types.js';
import { at, documentOf } from './types.js';

const CHECKS = ['scores', 'residual', 'acceptance', 'ownership'] as const;
type Check = (typeof CHECKS)[number];

/** The arithmetic and completeness of a risk register, one check per rule so each cites its own controls. */
export const riskRegister: RuleKind = {
  kind: 'risk-register',
  summary:
    'Risk register checks: `scores` (score = likelihood × impact on the declared scale), `residual` (residual rated and ≤ inherent), `acceptance` (high or accepted residual risk is signed off), `ownership` (every risk has a unique id, an owner and a treatment).',
  params: {
    properties: {
      check: { enum: [...CHECKS] },
      threshold: {
        type: 'number',
        minimum: 1,
        description:
          "For `acceptance`: residual scores at or above this need sign-off (default: the scale's `high`, else 60% of the maximum score).",
      },
    },
    required: ['check'],
  },
  reads: () => ['risk-assessment'],
  evaluate(rule, system) {
    const doc = documentOf(system, 'risk-assessment');
    if (!doc) return 'not-applicable';
    switch (rule.check as Check) {
      case 'scores':
        return doc.scale ? doc.risks.flatMap((risk) => scoreViolations(doc, risk)) : [];
      case 'residual':
        return doc.risks.flatMap((risk) => residualViolations(doc, risk));
      case 'acceptance':
        return acceptanceViolations(doc, rule.threshold as number | undefined);
      case 'ownership':
        return ownershipViolations(doc);
    }
  },
};

function label(risk: Risk): string {
  return `risk ${risk.id ?? `#${risk.index + 1}`}`;
}

function product(a: Rating, b: Rating): number | undefined {
  return a.value !== undefined && b.value !== undefined ? a.value * b.value : undefined;
}

function scoreViolations(doc: RiskAssessment, risk: Risk): Violation[] {
  const violations: Violation[] = [];
  const name = label(risk);
  const ratings: [Rating | undefined, 'likelihood' | 'impact', string][] = [
    [risk.likelihood, 'likelihood', ''],
    [risk.impact, 'impact', ''],
    [risk.residual?.likelihood, 'likelihood', 'residual '],
    [risk.residual?.impact, 'impact', 'residual '],
  ];
  for (const [rating, axis, prefix] of ratings) {
    if (!rating || rating.value !== undefined || rating.written === undefined) continue;
    const scale = doc.scale![axis];
    violations.push({
      ...at(doc, rating.pointer),
      message: `${name}: ${prefix}${axis} ${JSON.stringify(rating.written)} is not on the declared scale`,
      remedy: `Use ${scale.labels ? `one of: ${scale.labels.join(', ')}` : `a whole number from 1 to ${scale.max}`}.`,
    });
  }
  const inherent = product(risk.likelihood, risk.impact);
  if (inherent !== undefined && risk.score === undefined) {
    violations.push({
      ...at(doc, ['risks', risk.index]),
      message: `${name} has no inherent score`,
      remedy: `Add "score: ${inherent}" (likelihood ${risk.likelihood.value} × impact ${risk.impact.value}).`,
    });
  } else if (inherent !== undefined && risk.score !== inherent) {
    violations.push({
      ...at(doc, ['risks', risk.index, 'score']),
      message: `${name}: score ${risk.score} is not likelihood × impact (${risk.likelihood.value} × ${risk.impact.value} = ${inherent})`,
      remedy: `Set "score: ${inherent}", or correct the likelihood and impact ratings.`,
    });
  }
  const residual = risk.residual && product(risk.residual.likelihood, risk.residual.impact);
  if (
    risk.residual &&
    residual !== undefined &&
    risk.residual.score !== undefined &&
    risk.residual.score !== residual
  ) {
    violations.push({
      ...at(doc, ['risks', risk.index, 'residual', 'score']),
      message: `${name}: residual score ${risk.residual.score} is not residual likelihood × impact (${residual})`,
      remedy: `Set the residual "score: ${residual}".`,
    });
  }
  return violations;
}

function residualViolations(doc: RiskAssessment, risk: Risk): Violation[] {
  const name = label(risk);
  if (!risk.residual) {
    if (risk.treatment === 'avoid') return [];
    return [
      {
        ...at(doc, ['risks', risk.index]),
        message: `${name} has no residual rating`,
        remedy: 'Add "residual:" with the likelihood and impact that remain after the treatment.',
      },
    ];
  }
  // The ratings are the evidence; a declared score only stands in where the ratings are off the scale.
  const inherent = product(risk.likelihood, risk.impact) ?? risk.score;
  const residual = product(risk.residual.likelihood, risk.residual.impact) ?? risk.residual.score;
  if (inherent === undefined || residual === undefined || residual <= inherent) return [];
  return [
    {
      ...at(doc, ['risks', risk.index, 'residual']),
      message: `${name}: residual score ${residual} is higher than the inherent score ${inherent}`,
      remedy:
        'A treatment cannot raise a risk: re-rate the residual likelihood and impact, or the inherent ones.',
    },
  ];
}

function acceptanceViolations(doc: RiskAssessment, threshold: number | undefined): Violation[] {
  const max = doc.scale ? doc.scale.likelihood.max * doc.scale.impact.max : undefined;
  const high = threshold ?? doc.scale?.high ?? (max !== undefined ? Math.ceil(max * 0.6) : undefined);
  const needing = doc.risks.filter((risk) => {
    const residual = risk.residual
      ? (risk.residual.score ?? product(risk.residual.likelihood, risk.residual.impact))
      : undefined;
    return risk.treatment === 'accept' || (high !== undefined && residual !== undefined && residual >= high);
  });
  if (needing.length === 0 || (doc.acceptance?.approver && doc.acceptance.date)) return [];
  const ids = needing.map((risk) => risk.id ?? `#${risk.index + 1}`).join(', ');
  return [
    {
      ...at(doc, doc.acceptance ? ['acceptance'] : []),
      message: doc.acceptance
        ? `the acceptance of residual risk (${ids}) has no date`
        : `residual risk that is high or accepted (${ids}) has no acceptance sign-off`,
    },
  ];
}

function ownershipViolations(doc: RiskAssessment): Violation[] {
  if (doc.risks.length === 0) {
    return [
      {
        ...at(doc, ['risks']),
        message: 'the risk register lists no risks',
        remedy: 'Every AI system has risks: list at least the ones the impact assessment names.',
      },
    ];
  }
  const violations: Violation[] = [];
  const seen = new Set<string>();
  for (const risk of doc.risks) {
    const name = label(risk);
    if (risk.id !== undefined) {
      if (seen.has(risk.id)) {
        violations.push({
          ...at(doc, ['risks', risk.index, 'id']),
          message: `risk id ${risk.id} is used twice`,
          remedy: 'Give each risk its own id.',
        });
      }
      seen.add(risk.id);
    }
    const missing = [risk.owner ? '' : 'owner', risk.treatment ? '' : 'treatment'].filter(Boolean);
    if (missing.length > 0) {
      violations.push({
        ...at(doc, ['risks', risk.index]),
        message: `${name} has no ${missing.join(' and no ')}`,
      });
    }
  }
  return violations;
}
