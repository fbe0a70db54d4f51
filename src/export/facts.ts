import { type Json, list, record, text, texts } from '../documents/fields.js';
import { isReadable, loadDocument } from '../documents/index.js';
import type { ImpactAssessment, Metric, ModelCard, RiskAssessment, Section } from '../documents/types.js';
import { LIMITS } from '../limits.js';
import { loadPolicy, type Policy } from '../policy/load.js';
import { findSection, type SectionSpec, sectionSpec } from '../rules/sections.js';
import { MemorySource, type Source } from '../source.js';
import type { DocumentKind, Evaluation, RiskTier, SystemSummary } from '../types.js';

/**
 * What the export formats say about one AI system, gathered once from the evaluation (tier, owner, status and
 * the digests of the documents as read) and from the documents themselves (the card's metadata, sections and
 * model-index; the impact assessment's uses, harms and oversight). CycloneDX and SPDX are two renderings of it
 * and never read a document themselves.
 */
export interface SystemFacts {
  id: string;
  path: string;
  tier?: RiskTier;
  status?: string;
  owner?: string;
  version?: string;
  license?: string;
  /** The Hub's `pipeline_tag`, else the first model-index task type. */
  task?: string;
  /** The card's "Model type" (a heading or a bold label), as written. */
  architecture?: string;
  /** `base_model`: what the model was fine-tuned or derived from. */
  baseModels: string[];
  datasets: DatasetFacts[];
  metrics: Metric[];
  /** Intended uses: the card's Direct Use, then the impact assessment's intended_uses. */
  uses: string[];
  outOfScope: string[];
  limitations: string[];
  training?: string;
  /** Harms and benefits from the impact assessment, with their mitigations (risk ids resolved to titles). */
  impacts: { description: string; type?: 'harm' | 'benefit'; groups: string[]; mitigations: string[] }[];
  misuse: string[];
  humanOversight?: string;
  documents: { kind: DocumentKind | 'governance'; path: string; sha256: string }[];
}

export interface DatasetFacts {
  /** The id as the card gives it (`datasets:` or a model-index result's dataset type). */
  id: string;
  name?: string;
  use: 'training' | 'evaluation';
  split?: string;
  /** Where the card names it: path and line. */
  declaredIn: string;
}

/**
 * The section specs the baseline pack gives for what the export reads, by rule id. The baseline's, not the
 * repository's config: an export reads the same headings wherever it runs, the gate's trusted config or none.
 */
const READ = {
  uses: ['card.intended-use', 0, 'Direct Use'],
  outOfScope: ['card.intended-use', 1, 'Out-of-Scope Use'],
  limitations: ['card.limitations', 0, 'Bias, Risks, and Limitations'],
  training: ['card.training-data', 0, 'Training Data'],
  architecture: ['', 0, 'Model type'],
} as const;

function specOf(policy: Policy, [rule, index, name]: readonly [string, number, string]): SectionSpec {
  const sections = policy.rules.find((r) => r.id === rule)?.sections as (string | SectionSpec)[] | undefined;
  return sections?.[index] ? sectionSpec(sections[index]) : { name };
}

let baseline: Promise<Policy> | undefined;

/** Reads each evaluated system's documents again (the evaluation keeps only digests) and gathers its facts. */
export async function gatherFacts(source: Source, evaluation: Evaluation): Promise<SystemFacts[]> {
  baseline ??= loadPolicy(new MemorySource({}));
  const policy = await baseline;
  const facts: SystemFacts[] = [];
  for (const system of evaluation.systems) {
    const docs: Partial<Record<DocumentKind, { doc: ReturnType<typeof loadDocument>; text: string }>> = {};
    for (const [kind, path] of Object.entries(system.documents) as [DocumentKind, string][]) {
      const read = await source.read(path, LIMITS.maxFileBytes);
      if (!('bytes' in read)) continue;
      docs[kind] = { doc: loadDocument(kind, path, read.bytes), text: new TextDecoder().decode(read.bytes) };
    }
    const card = docs['model-card'];
    const risk = docs['risk-assessment']?.doc;
    const impact = docs['impact-assessment']?.doc;
    facts.push(
      systemFacts(
        system,
        policy,
        card && isReadable(card.doc) ? { card: card.doc as ModelCard, text: card.text } : undefined,
        isReadable(risk) ? (risk as RiskAssessment) : undefined,
        isReadable(impact) ? (impact as ImpactAssessment) : undefined,
      ),
    );
  }
  return facts;
}

export function systemFacts(
  system: SystemSummary,
  policy: Policy,
  card: { card: ModelCard; text: string } | undefined,
  risk: RiskAssessment | undefined,
  impact: ImpactAssessment | undefined,
): SystemFacts {
  const meta = (card ? record(card.card.data.value) : undefined) ?? {};
  const section = (what: keyof typeof READ) => {
    if (!card) return undefined;
    const found = findSection(card.card, specOf(policy, READ[what]));
    if (!found || found.content === '') return undefined;
    if (card.card.format === 'markdown') return rawSection(card.text, card.card, found);
    // A card in YAML or JSON (an imported system card) has no headings to cut at: its section is a value.
    return text(record(meta.sections)?.[found.title]) ?? found.content;
  };
  const ia = (impact ? record(impact.data.value) : undefined) ?? {};
  const riskTitles = new Map(
    (risk?.risks ?? []).filter((r) => r.id && r.title).map((r) => [r.id!, r.title!] as const),
  );
  const modelIndex = list(meta['model-index']);
  const trained = texts(meta.datasets);
  const datasets: DatasetFacts[] = trained.map((id, i) => ({
    id,
    use: 'training',
    declaredIn: `${card!.card.path}:${card!.card.locate(['datasets', i]).line}`,
  }));
  for (const [m, model] of modelIndex.entries())
    for (const [r, result] of list(record(model)?.results).entries()) {
      const dataset = record(record(result)?.dataset);
      const id = text(dataset?.type) ?? text(dataset?.name);
      if (!id || datasets.some((d) => d.id === id && d.use === 'evaluation')) continue;
      datasets.push({
        id,
        use: 'evaluation',
        ...(text(dataset?.name) ? { name: dataset!.name as string } : {}),
        ...(text(dataset?.split) ? { split: dataset!.split as string } : {}),
        declaredIn: `${card!.card.path}:${card!.card.locate(['model-index', m, 'results', r, 'dataset']).line}`,
      });
    }
  const firstTask = modelIndex
    .flatMap((model) => list(record(model)?.results))
    .map((result) => text(record(record(result)?.task)?.type))
    .find(Boolean);
  const uses = [section('uses'), ...texts(ia.intended_uses)].filter((u): u is string => Boolean(u));
  return {
    id: system.id,
    path: system.path,
    ...(system.tier ? { tier: system.tier } : {}),
    ...(system.status ? { status: system.status } : {}),
    ...(system.owner ? { owner: system.owner } : {}),
    ...(system.version ? { version: system.version } : {}),
    ...(text(meta.license) ? { license: meta.license as string } : {}),
    ...((text(meta.pipeline_tag) ?? firstTask) ? { task: text(meta.pipeline_tag) ?? firstTask } : {}),
    ...(section('architecture') ? { architecture: section('architecture') } : {}),
    baseModels: texts(meta.base_model),
    datasets,
    metrics: card?.card.metrics ?? [],
    uses,
    outOfScope: [section('outOfScope')].filter((u): u is string => Boolean(u)),
    limitations: [section('limitations')].filter((u): u is string => Boolean(u)),
    ...(section('training') ? { training: section('training') } : {}),
    impacts: list(ia.impacts).flatMap((value) => {
      const item = record(value) as Json | undefined;
      const description = text(item?.description) ?? text(item?.id);
      if (!item || !description) return [];
      const type = item.type === 'harm' || item.type === 'benefit' ? item.type : undefined;
      return [
        {
          description,
          ...(type ? { type } : {}),
          groups: texts(item.affected_groups),
          mitigations: texts(item.mitigations).map((m) =>
            riskTitles.has(m) ? `${m}: ${riskTitles.get(m)}` : m,
          ),
        },
      ];
    }),
    misuse: texts(ia.foreseeable_misuse),
    ...(text(ia.human_oversight) ? { humanOversight: ia.human_oversight as string } : {}),
    documents: system.evidence.map((e) => ({ kind: kindOf(system, e.path), ...e })),
  };
}

function kindOf(system: SystemSummary, path: string): DocumentKind | 'governance' {
  const found = Object.entries(system.documents).find(([, p]) => p === path);
  return (found?.[0] as DocumentKind | undefined) ?? 'governance';
}

/** The level of an ATX heading line (1 to 6), or undefined for any other line. */
function headingLevel(line: string | undefined): number | undefined {
  return /^ {0,3}(#{1,6})(?:\s|$)/u.exec((line ?? '').replace(/\u00a0/g, ' '))?.[1]?.length;
}

/**
 * A section's text as the author wrote it: the lines under its heading up to the next heading of its level or
 * above (its subsections with it), or, where only its own text counts (`found.own`: its subsections are other
 * sections the export reads), up to its first subheading; for a bold label ("- **Model type:** XGBoost"), the
 * rest of its line. The cleaned text the checks judge drops punctuation, which an export must not. Headings are
 * the card's parsed ones, so a "# comment" in a code block ends nothing.
 */
function rawSection(source: string, card: ModelCard, found: Section): string | undefined {
  const lines = source.split(/\r?\n/);
  const level = headingLevel(lines[found.line - 1]);
  if (level === undefined) {
    const labelled = /^\s*(?:[-*+]\s+)?(?:\*\*|__)[^*_\n]{1,60}?(?:\*\*|__)\s*:?\s*(.*)$/.exec(
      lines[found.line - 1] ?? '',
    )?.[1];
    return labelled?.trim() || undefined;
  }
  const ownOnly = found.own !== undefined && found.content === found.own;
  const next = Math.min(
    ...[...card.sections.values()]
      .map((s) => s.line)
      .filter((l) => {
        const other = headingLevel(lines[l - 1]);
        return l > found.line && other !== undefined && (ownOnly || other <= level);
      }),
    lines.length + 1,
  );
  const body = lines
    .slice(found.line, next - 1)
    .join('\n')
    .replace(/<!--[\s\S]*?-->/g, '')
    .trim();
  return body || undefined;
}
