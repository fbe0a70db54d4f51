import type { RiskTier } from '../types.js';
import { VERSION } from '../version.js';
import type { ExportContext } from './context.js';
import type { SystemFacts } from './facts.js';

/**
 * A CycloneDX 1.6 ML-BOM of the repository's AI systems, as plain JSON (the CLI bundle carries no BOM
 * library; test/export.test.ts validates the output with @cyclonedx/cyclonedx-library's strict validator).
 * One `machine-learning-model` component per system, with its model card; datasets are `data` components the
 * model card refers to; documents are external references with their SHA-256 as read.
 */
export function cycloneDx(systems: SystemFacts[], context: ExportContext): object {
  const datasets = new Map<string, object>();
  const dependencies: { ref: string; dependsOn: string[] }[] = [];
  const components = systems.map((system) => {
    const ref = `model:${system.path}`;
    const used: string[] = [];
    for (const dataset of system.datasets) {
      const dataRef = `data:${dataset.id}`;
      if (!used.includes(dataRef)) used.push(dataRef);
      const known = datasets.get(dataRef) as { properties: { name: string; value: string }[] } | undefined;
      const provenance = [
        {
          name: 'aims-gate:dataset-use',
          value: `${dataset.use} of ${system.id}${dataset.split ? ` (split ${dataset.split})` : ''}`,
        },
        { name: 'aims-gate:declared-in', value: dataset.declaredIn },
      ];
      if (known) known.properties.push(...provenance);
      else
        datasets.set(dataRef, {
          type: 'data',
          'bom-ref': dataRef,
          name: dataset.id,
          data: [
            {
              type: 'dataset',
              name: dataset.name ?? dataset.id,
              ...(dataset.use === 'training' && system.training ? { description: system.training } : {}),
            },
          ],
          properties: provenance,
        });
    }
    dependencies.push({ ref, dependsOn: used });
    return modelComponent(system, ref, used, context);
  });
  for (const ref of datasets.keys()) dependencies.push({ ref, dependsOn: [] });
  return {
    $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: `urn:uuid:${context.uuid}`,
    version: 1,
    metadata: {
      timestamp: context.time,
      tools: {
        components: [
          {
            type: 'application',
            name: 'aims-gate',
            version: VERSION,
            externalReferences: [{ type: 'website', url: 'https://github.com/aims-gate/aims-gate' }],
          },
        ],
      },
      component: {
        type: 'application',
        'bom-ref': 'repository',
        name: context.repository,
        ...(context.commit ? { version: context.commit } : {}),
        ...(context.repositoryUrl
          ? { externalReferences: [{ type: 'vcs', url: context.repositoryUrl }] }
          : {}),
      },
      properties: [
        { name: 'aims-gate:policy', value: context.policy.uri },
        ...(context.policy.sha256 ? [{ name: 'aims-gate:policy-sha256', value: context.policy.sha256 }] : []),
        { name: 'aims-gate:verdict', value: context.verdict },
      ],
    },
    components: [...components, ...datasets.values()],
    dependencies: [{ ref: 'repository', dependsOn: components.map((c) => c['bom-ref']) }, ...dependencies],
  };
}

function modelComponent(system: SystemFacts, ref: string, datasets: string[], context: ExportContext) {
  const harms = system.impacts.filter((i) => i.type !== 'benefit');
  const grouped = system.impacts.filter((i) => i.groups.length);
  const considerations = {
    ...(system.uses.length ? { useCases: system.uses } : {}),
    ...(system.limitations.length || system.outOfScope.length
      ? {
          technicalLimitations: [
            ...system.limitations,
            ...system.outOfScope.map((u) => `Out of scope: ${u}`),
          ],
        }
      : {}),
    ...(harms.length || system.misuse.length
      ? {
          ethicalConsiderations: [
            ...harms.map((h) => ({
              name: h.description,
              ...(h.mitigations.length ? { mitigationStrategy: h.mitigations.join('; ') } : {}),
            })),
            // The assessment does not say which measure answers which misuse: none is claimed.
            ...system.misuse.map((m) => ({ name: `Foreseeable misuse: ${m}` })),
          ],
        }
      : {}),
    ...(grouped.length
      ? {
          fairnessAssessments: grouped.flatMap((i) =>
            i.groups.map((group) => ({
              groupAtRisk: group,
              [i.type === 'benefit' ? 'benefits' : 'harms']: i.description,
              ...(i.mitigations.length ? { mitigationStrategy: i.mitigations.join('; ') } : {}),
            })),
          ),
        }
      : {}),
  };
  const parameters = {
    ...(system.task ? { task: system.task } : {}),
    ...(system.architecture ? { modelArchitecture: system.architecture } : {}),
    ...(datasets.length ? { datasets: datasets.map((d) => ({ ref: d })) } : {}),
  };
  const metrics = system.metrics.map((m) => ({
    type: m.type,
    value: m.text,
    ...(m.dataset ? { slice: m.dataset } : {}),
  }));
  return {
    type: 'machine-learning-model',
    'bom-ref': ref,
    name: system.id,
    ...(system.version ? { version: system.version } : {}),
    ...(system.owner ? { supplier: { name: system.owner } } : {}),
    ...(system.license ? { licenses: [licenseOf(system.license)] } : {}),
    ...(system.baseModels.length
      ? {
          pedigree: {
            ancestors: system.baseModels.map((name) => ({ type: 'machine-learning-model', name })),
          },
        }
      : {}),
    modelCard: {
      'bom-ref': `${ref}#model-card`,
      ...(Object.keys(parameters).length ? { modelParameters: parameters } : {}),
      ...(metrics.length ? { quantitativeAnalysis: { performanceMetrics: metrics } } : {}),
      ...(Object.keys(considerations).length ? { considerations } : {}),
    },
    externalReferences: system.documents.map((d) => ({
      type:
        d.kind === 'model-card'
          ? 'model-card'
          : d.kind === 'risk-assessment'
            ? 'risk-assessment'
            : 'documentation',
      url: context.fileUrl(d.path),
      comment: d.kind === 'governance' ? 'governance facts' : d.kind.replace('-', ' '),
      hashes: [{ alg: 'SHA-256', content: d.sha256 }],
    })),
    properties: [
      { name: 'aims-gate:path', value: system.path },
      ...(system.tier ? [{ name: 'aims-gate:tier', value: system.tier }] : []),
      ...(system.tier ? [{ name: 'aims-gate:safety-risk', value: SAFETY_RISK[system.tier] }] : []),
      ...(system.status ? [{ name: 'aims-gate:status', value: system.status }] : []),
      ...(system.owner ? [{ name: 'aims-gate:owner', value: system.owner }] : []),
      ...(system.humanOversight ? [{ name: 'aims-gate:human-oversight', value: system.humanOversight }] : []),
      { name: 'aims-gate:standard', value: 'ISO/IEC 42001:2023' },
    ],
  };
}

/**
 * aims-gate's tiers on SPDX 3's safety-risk scale (serious, high, medium, low), used by both formats: a
 * prohibited system is the serious risk, limited (transparency duties) is medium, minimal is low.
 */
export const SAFETY_RISK: Record<RiskTier, 'serious' | 'high' | 'medium' | 'low'> = {
  prohibited: 'serious',
  high: 'high',
  limited: 'medium',
  minimal: 'low',
};

/** A card's `license` as CycloneDX takes it: an SPDX id as written by the Hub (lower case) is matched case-blind. */
function licenseOf(license: string) {
  const id = SPDX_IDS.find((known) => known.toLowerCase() === license.toLowerCase());
  return id ? { license: { id } } : { license: { name: license } };
}

/** The SPDX ids the Hub's license list uses that CycloneDX's enumeration holds under another case. */
const SPDX_IDS = [
  'Apache-2.0',
  'MIT',
  'BSD-2-Clause',
  'BSD-3-Clause',
  'GPL-2.0-only',
  'GPL-3.0-only',
  'LGPL-3.0-only',
  'AGPL-3.0-only',
  'MPL-2.0',
  'CC0-1.0',
  'CC-BY-4.0',
  'CC-BY-SA-4.0',
  'CC-BY-NC-4.0',
  'CC-BY-NC-SA-4.0',
  'CC-BY-NC-ND-4.0',
  'Artistic-2.0',
  'BSL-1.0',
  'EPL-2.0',
  'Unlicense',
  'WTFPL',
];
