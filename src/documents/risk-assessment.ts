import type { ParsedData } from '../parse/yaml.js';
import { RISK_TIERS } from '../types.js';
import { date, list, number, oneOf, record, text, texts } from './fields.js';
import type { Rating, Risk, RiskAssessment, ScaleAxis } from './types.js';

type RiskParts = Omit<RiskAssessment, 'kind' | 'path' | 'data' | 'violations' | 'locate'>;

const TREATMENTS = ['avoid', 'mitigate', 'transfer', 'accept'] as const;

export function normaliseRiskAssessment(data: ParsedData): RiskParts {
  const doc = record(data.value) ?? {};
  const scale = scaleOf(doc.scale);
  const acceptance = record(doc.acceptance);
  return {
    system: text(doc.system),
    version: text(doc.version),
    tier: oneOf(doc.tier, RISK_TIERS),
    date: date(doc.date),
    nextReview: date(doc.next_review),
    scale,
    risks: list(doc.risks).map((risk, index) => riskOf(risk, index, scale)),
    acceptance: text(acceptance?.approver)
      ? { approver: acceptance?.approver as string, date: date(acceptance?.date) }
      : undefined,
  };
}

function scaleOf(value: unknown): RiskParts['scale'] {
  const scale = record(value);
  const likelihood = axisOf(scale?.likelihood);
  const impact = axisOf(scale?.impact);
  if (!likelihood || !impact) return undefined;
  return { likelihood, impact, high: number(scale?.high) };
}

function axisOf(value: unknown): ScaleAxis | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 2) return { max: value };
  const labels = texts(value);
  return Array.isArray(value) && labels.length >= 2 ? { max: labels.length, labels } : undefined;
}

function riskOf(value: unknown, index: number, scale: RiskParts['scale']): Risk {
  const risk = record(value) ?? {};
  const at = ['risks', index];
  const residual = record(risk.residual);
  return {
    index,
    id: text(risk.id),
    title: text(risk.title),
    likelihood: rating(risk.likelihood, scale?.likelihood, [...at, 'likelihood']),
    impact: rating(risk.impact, scale?.impact, [...at, 'impact']),
    score: number(risk.score),
    treatment: oneOf(risk.treatment, TREATMENTS),
    controls: texts(risk.controls),
    residual: residual
      ? {
          likelihood: rating(residual.likelihood, scale?.likelihood, [...at, 'residual', 'likelihood']),
          impact: rating(residual.impact, scale?.impact, [...at, 'residual', 'impact']),
          score: number(residual.score),
        }
      : undefined,
    owner: text(risk.owner),
    status: text(risk.status),
    reviewDate: date(risk.review_date),
  };
}

/** A rating is a number 1..max or one of the axis labels (case-insensitive), which counts from 1. */
function rating(written: unknown, axis: ScaleAxis | undefined, pointer: Rating['pointer']): Rating {
  if (!axis) return { written, pointer };
  if (typeof written === 'number') {
    return {
      written,
      pointer,
      value: Number.isInteger(written) && written >= 1 && written <= axis.max ? written : undefined,
    };
  }
  if (typeof written === 'string' && axis.labels) {
    const i = axis.labels.findIndex((label) => label.toLowerCase() === written.trim().toLowerCase());
    return { written, pointer, value: i === -1 ? undefined : i + 1 };
  }
  return { written, pointer };
}
