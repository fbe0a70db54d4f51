import { readJsonAsset } from '../assets.js';
import type { RiskTier } from '../types.js';
import { type Answer, type Imported, type Importer, Mapping } from './types.js';

/**
 * A completed Algorithmic Impact Assessment of the Government of Canada, as canada-ca/aia-eia-js saves it:
 * the questionnaire's answers by question name. Each scored choice carries its points in its value
 * ("item2-3" adds 3); the questionnaire (reference/formats/canada-aia.json, taken from the tool's
 * survey-enfr.json) gives each question's title and the most it can add. The impact level is computed as
 * the Directive on Automated Decision-Making does: the raw impact score as a share of its maximum, less 15%
 * when the mitigation score reaches 80% of its own maximum; level I up to 30%, II to 55%, III to 75%, IV above.
 */
interface Question {
  title: string;
  kind: 'risk' | 'mitigation' | 'text';
  max?: number;
  choices?: Record<string, string>;
}
interface Questionnaire {
  maxRisk: number;
  maxMitigation: number;
  questions: Record<string, Question>;
}

let questionnaire: Questionnaire | undefined;
const survey = () => {
  questionnaire ??= readJsonAsset('reference/formats/canada-aia.json') as Questionnaire;
  return questionnaire;
};

/** The AIA's impact level, as aims-gate's risk tier: level IV is "very high", still a permitted system. */
const TIERS: Record<number, RiskTier> = { 1: 'minimal', 2: 'limited', 3: 'high', 4: 'high' };
const SEVERITY: Record<number, string> = { 1: 'low', 2: 'medium', 3: 'high', 4: 'critical' };

function points(value: unknown): number {
  const values = Array.isArray(value) ? value : [value];
  return values.reduce<number>((sum, v) => sum + Number(/-(\d+)$/.exec(String(v))?.[1] ?? 0), 0);
}

function recognise(value: Record<string, unknown>): boolean {
  const { questions } = survey();
  return Object.keys(value).filter((key) => key in questions).length >= 5;
}

/** The words of an answer: the choices' texts for a choice question, the text as written otherwise. */
function words(question: Question | undefined, value: unknown): string {
  const values = Array.isArray(value) ? value : [value];
  return values.map((v) => question?.choices?.[String(v)] ?? String(v)).join('; ');
}

function map(value: Record<string, unknown>): Imported {
  const { questions, maxRisk, maxMitigation } = survey();
  const out = new Mapping();
  const answers: Answer[] = [];
  const unmapped: string[] = [];
  let risk = 0;
  let mitigation = 0;
  const mitigations: { text: string; key: string }[] = [];
  for (const [key, answer] of Object.entries(value)) {
    const question = questions[key];
    if (!question) {
      unmapped.push(key);
      continue;
    }
    answers.push({ question: question.title, answer: words(question, answer), from: [key] });
    if (question.kind === 'risk') risk += points(answer);
    if (question.kind === 'mitigation') {
      const scored = points(answer);
      mitigation += scored;
      if (scored > 0) mitigations.push({ text: `${question.title.trim()} ${words(question, answer)}`, key });
    }
  }
  const share = (mitigation >= 0.8 * maxMitigation ? risk * 0.85 : risk) / maxRisk;
  const level = share <= 0.3 ? 1 : share <= 0.55 ? 2 : share <= 0.75 ? 3 : 4;
  const roman = ['I', 'II', 'III', 'IV'][level - 1];
  const stated = (key: string) => (typeof value[key] === 'string' ? (value[key] as string) : undefined);
  out.set('system', stated('projectDetailsTitle'), ['projectDetailsTitle']);
  out.set('scope', stated('projectDetailsDescription'), ['projectDetailsDescription']);
  out.set(['intended_uses', 0], stated('businessDrivers3'), ['businessDrivers3']);
  out.set('x-tier', TIERS[level], []);
  out.set(['impacts', 0, 'id'], `AIA impact level ${roman}`, []);
  out.set(['impacts', 0, 'type'], 'harm', []);
  out.set(
    ['impacts', 0, 'description'],
    `Impact level ${roman} of the Algorithmic Impact Assessment: raw impact score ${risk} of ${maxRisk}, mitigation score ${mitigation} of ${maxMitigation}${mitigation >= 0.8 * maxMitigation ? ' (80% or more: the impact score is reduced by 15%)' : ''}.`,
    [],
  );
  out.set(['impacts', 0, 'severity'], SEVERITY[level], []);
  // aims-gate's mitigations name risk ids; the AIA's are answers, kept beside them.
  mitigations.forEach((m, k) => {
    out.set(['impacts', 0, 'x-mitigations', k], m.text, [m.key]);
  });
  return { format: 'Canada AIA', value: out.value, mapped: out.mapped, unmapped, answers };
}

export const canadaAia: Importer = {
  id: 'canada-aia',
  name: 'Canada Algorithmic Impact Assessment',
  kind: 'impact-assessment',
  expects:
    'answers keyed by the questions of the AIA questionnaire (at least five, e.g. `projectDetailsTitle`, `riskProfile1`)',
  recognise,
  map,
};
