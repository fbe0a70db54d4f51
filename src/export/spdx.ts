import { VERSION } from '../version.js';
import type { ExportContext } from './context.js';
import { SAFETY_RISK } from './cyclonedx.js';
import type { SystemFacts } from './facts.js';

/** The SPDX 3.0.1 JSON-LD context every document names. */
export const SPDX_CONTEXT = 'https://spdx.org/rdf/3.0.1/spdx-context.jsonld';

/**
 * An SPDX 3.0.1 document (JSON-LD) of the repository's AI systems: one `ai_AIPackage` per system, each with
 * the properties the AI profile requires of it, `trainedOn`/`testedOn` relationships to its datasets, and its
 * governance documents as files with their SHA-256. test/export.test.ts checks it against the SPDX 3.0.1
 * model's own class definitions (docs/export.md says which, and what).
 *
 * Datasets are `dataset_DatasetPackage`s (the Dataset profile), the elements `trainedOn` and `testedOn` are
 * meant to reach. A model card names a dataset and nothing more of it, and the export states nothing it does
 * not know: its type is `noAssertion`, the model's own term for "not known", and the build time, release
 * time, originator and download location the profile asks of a dataset are left out (SPDX 3.0.1 has no
 * "unknown" for a time, and a Hub id is no address of the data's origin). docs/export.md says so.
 */
export function spdx(systems: SystemFacts[], context: ExportContext): object {
  const base = `https://spdx.org/spdxdocs/aims-gate-${context.uuid}`;
  const creationInfo = '_:creationinfo';
  const graph: Record<string, unknown>[] = [];
  const element = (kind: string, local: string, fields: Record<string, unknown>) => {
    const spdxId = `${base}#${local}`;
    graph.push({ type: kind, spdxId, creationInfo, ...fields });
    return spdxId;
  };
  let relationships = 0;
  const relate = (from: string, relationshipType: string, to: string[]) => {
    if (to.length) element('Relationship', `Relationship-${++relationships}`, { from, relationshipType, to });
  };
  const tool = `${base}#aims-gate`;
  graph.push({
    type: 'CreationInfo',
    '@id': creationInfo,
    specVersion: '3.0.1',
    created: context.time,
    createdBy: [tool],
    comment: `Exported by aims-gate ${VERSION} from ${context.repository}${context.commit ? ` at ${context.commit}` : ''}.`,
  });
  element('SoftwareAgent', 'aims-gate', { name: `aims-gate ${VERSION}` });

  const agents = new Map<string, string>();
  const agent = (name: string) => {
    let id = agents.get(name);
    if (!id) {
      id = element('Agent', `Agent-${agents.size + 1}`, { name });
      agents.set(name, id);
    }
    return id;
  };
  const datasets = new Map<string, string>();
  const packages: string[] = [];
  for (const [n, system] of systems.entries()) {
    const metrics = dictionary(
      system.metrics.map((m) => [m.dataset ? `${m.type} (${m.dataset})` : m.type, m.text]),
    );
    const pkg = element('ai_AIPackage', `AIPackage-${n + 1}`, {
      name: system.id,
      // The AI profile requires a version, a supplier, a release time and a download location.
      software_packageVersion: system.version ?? context.commit ?? 'unversioned',
      suppliedBy: agent(system.owner ?? context.repository),
      releaseTime: context.commitTime ?? context.time,
      software_downloadLocation:
        context.repositoryUrl && context.commit
          ? `${context.repositoryUrl}/tree/${context.commit}/${system.path === '.' ? '' : system.path}`
          : (context.repositoryUrl ?? `urn:aims-gate:${encodeURIComponent(context.repository)}`),
      software_primaryPurpose: 'model',
      ...(system.uses.length ? { ai_informationAboutApplication: system.uses.join('\n\n') } : {}),
      ...(system.limitations.length || system.outOfScope.length
        ? {
            ai_limitation: [
              ...system.limitations,
              ...system.outOfScope.map((u) => `Out of scope: ${u}`),
            ].join('\n\n'),
          }
        : {}),
      ...(system.training ? { ai_informationAboutTraining: system.training } : {}),
      ...(system.tier ? { ai_safetyRiskAssessment: SAFETY_RISK[system.tier] } : {}),
      ai_standardCompliance: ['ISO/IEC 42001:2023'],
      // A written human oversight says a person is in the loop; without one the export asserts nothing.
      ai_autonomyType: system.humanOversight ? 'no' : 'noAssertion',
      ...(metrics.length ? { ai_metric: metrics } : {}),
      ...(system.task || system.architecture
        ? { ai_typeOfModel: [system.architecture, system.task].filter((t): t is string => Boolean(t)) }
        : {}),
      comment: [
        `aims-gate: ${system.path}`,
        system.tier && `tier ${system.tier}`,
        system.status && `status ${system.status}`,
        system.owner && `owner ${system.owner}`,
      ]
        .filter(Boolean)
        .join('; '),
    });
    packages.push(pkg);
    const used = { training: [] as string[], evaluation: [] as string[] };
    for (const dataset of system.datasets) {
      let id = datasets.get(dataset.id);
      if (!id) {
        id = element('dataset_DatasetPackage', `Dataset-${datasets.size + 1}`, {
          name: dataset.id,
          software_primaryPurpose: 'data',
          dataset_datasetType: ['noAssertion'],
          comment: `Named in ${dataset.declaredIn}`,
        });
        datasets.set(dataset.id, id);
      }
      if (!used[dataset.use].includes(id)) used[dataset.use].push(id);
    }
    relate(pkg, 'trainedOn', used.training);
    relate(pkg, 'testedOn', used.evaluation);
    const files = system.documents.map((d, i) =>
      element('software_File', `File-${n + 1}-${i + 1}`, {
        name: d.path,
        software_primaryPurpose: d.kind === 'model-card' ? 'documentation' : 'evidence',
        verifiedUsing: [{ type: 'Hash', algorithm: 'sha256', hashValue: d.sha256 }],
        externalRef: [
          {
            type: 'ExternalRef',
            externalRefType: d.kind === 'risk-assessment' ? 'riskAssessment' : 'documentation',
            locator: [context.fileUrl(d.path)],
          },
        ],
      }),
    );
    relate(
      pkg,
      'hasDocumentation',
      files.filter((_, i) => system.documents[i]!.kind === 'model-card'),
    );
    relate(
      pkg,
      'hasEvidence',
      files.filter((_, i) => system.documents[i]!.kind !== 'model-card'),
    );
    if (system.baseModels.length)
      relate(
        pkg,
        'descendantOf',
        system.baseModels.map((name, i) =>
          element('software_Package', `BaseModel-${n + 1}-${i + 1}`, {
            name,
            software_primaryPurpose: 'model',
          }),
        ),
      );
  }
  const all = () => graph.filter((e) => e.spdxId && e.type !== 'SpdxDocument').map((e) => e.spdxId as string);
  const sbom = `${base}#SBOM`;
  graph.push({
    type: 'software_Sbom',
    spdxId: sbom,
    creationInfo,
    profileConformance: ['core', 'software', 'ai'],
    rootElement: packages,
    element: all(),
    software_sbomType: ['source'],
  });
  graph.push({
    type: 'SpdxDocument',
    spdxId: base,
    creationInfo,
    name: `AI systems of ${context.repository}`,
    profileConformance: ['core', 'software', 'ai'],
    rootElement: [sbom],
    element: all(),
  });
  return { '@context': SPDX_CONTEXT, '@graph': graph };
}

/** Entries of an SPDX dictionary: keys must be unique, so a repeated key gets its number. */
function dictionary(entries: [string, string][]): { type: 'DictionaryEntry'; key: string; value: string }[] {
  const seen = new Map<string, number>();
  return entries.map(([key, value]) => {
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    return { type: 'DictionaryEntry', key: n > 1 ? `${key} #${n}` : key, value };
  });
}
