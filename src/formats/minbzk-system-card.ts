import { list, record, text } from '../documents/fields.js';
import type { RiskTier } from '../types.js';
import { type Imported, type Importer, Mapping } from './types.js';

/**
 * The system card of MinBZK's Algorithm Management Toolkit (MinBZK/amt): YAML describing an algorithm, its
 * owners, lifecycle status, publication category (the EU AI Act class) and free-text answers, with
 * assessments and models pulled in by `!include`. Read as a model card: governance facts from `name`,
 * `owners`, `status` and `publication_category`; its texts as the card's sections.
 */
const STATUS: Record<string, string> = {
  organisatieverantwoordelijkheden: 'development',
  probleemanalyse: 'development',
  ontwerp: 'development',
  ontwikkeling: 'development',
  'dataverkenning en datapreparatie': 'development',
  verificatie: 'validation',
  validatie: 'validation',
  implementatie: 'production',
  'monitoring en beheer': 'production',
  'in gebruik': 'production',
  uitfaseren: 'deprecated',
  'buiten gebruik': 'retired',
};

const TIER: Record<string, RiskTier> = {
  'verboden ai': 'prohibited',
  'hoog-risico ai': 'high',
  'impactvol algoritme': 'limited',
  'impactvolle algoritmes': 'limited',
  'niet-impactvol algoritme': 'minimal',
  'niet-impactvolle algoritmes': 'minimal',
  'geen hoog-risico ai': 'limited',
};

/** Its texts, as the sections of a Hugging Face card that say the same. */
const SECTIONS: Record<string, string> = {
  description: 'Model Description',
  goal_and_impact: 'Direct Use',
  considerations: 'Bias, Risks, and Limitations',
  risk_management: 'Risk management',
  human_intervention: 'Human oversight',
  used_data: 'Training Data',
  technical_design: 'Training Procedure',
};

const READ = [
  'name',
  'version',
  'owners',
  'status',
  'publication_category',
  'provenance',
  ...Object.keys(SECTIONS),
];

function recognise(value: Record<string, unknown>): boolean {
  return (
    typeof value.name === 'string' &&
    Array.isArray(value.owners) &&
    ('instruments' in value ||
      'publication_category' in value ||
      'upl' in value ||
      'goal_and_impact' in value)
  );
}

function map(value: Record<string, unknown>): Imported {
  const out = new Mapping();
  out.set(['governance', 'system'], text(value.name), ['name']);
  const owner = list(value.owners)
    .map((o) => text(record(o)?.name) ?? text(record(o)?.organization))
    .find(Boolean);
  out.set(['governance', 'owner'], owner, ['owners']);
  const status = STATUS[String(value.status ?? '').toLowerCase()];
  out.set(['governance', 'status'], status, ['status']);
  const tier = TIER[String(value.publication_category ?? '').toLowerCase()];
  out.set(['governance', 'tier'], tier, ['publication_category']);
  // The card's `version` is the system card's schema version, not the system's; provenance dates the card.
  out.set(['governance', 'version'], text(record(value.provenance)?.git_commit_hash), [
    'provenance',
    'git_commit_hash',
  ]);
  for (const [key, section] of Object.entries(SECTIONS))
    out.set(['sections', section], text(value[key]), [key]);
  const unmapped = [
    ...Object.keys(value).filter((key) => !READ.includes(key)),
    ...(value.status !== undefined && !status
      ? [`status (${JSON.stringify(value.status)} is not a lifecycle phase aims-gate knows)`]
      : []),
    ...(value.publication_category !== undefined && !tier
      ? [`publication_category (${JSON.stringify(value.publication_category)})`]
      : []),
  ];
  return { format: 'MinBZK system card', value: out.value, mapped: out.mapped, unmapped, answers: [] };
}

export const minbzkSystemCard: Importer = {
  id: 'minbzk-system-card',
  name: 'MinBZK system card',
  kind: 'model-card',
  expects:
    'a `name`, a list of `owners` and one of `instruments`, `publication_category`, `upl`, `goal_and_impact`',
  recognise,
  map,
};
