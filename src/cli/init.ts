import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, posix, relative, resolve } from 'node:path';
import { readAsset } from '../assets.js';
import { anchorsPath } from '../audit/anchors.js';
import { annexA } from '../controls.js';
import {
  GOVERNANCE_FACTS,
  GOVERNANCE_FILE,
  readGovernanceFile,
  systemGovernance,
  systemId,
} from '../documents/governance.js';
import { isReadable, loadDocument, prepareDocumentSchemas } from '../documents/index.js';
import type { ModelCard } from '../documents/types.js';
import { UsageError } from '../errors.js';
import { blocks } from '../evaluate.js';
import { folderPrefix, foldersOf } from '../inventory.js';
import {
  CONFIG_PATH,
  DEFAULT_AUDIT_LOG,
  DEFAULT_DOCUMENTS,
  loadPolicy,
  type Policy,
} from '../policy/load.js';
import { applies } from '../policy/when.js';
import { DEFAULT_SOA_PATH, startingStatement } from '../soa.js';
import { LocalSource } from '../sources/local.js';
import { type DocumentKind, RISK_TIERS, type RiskTier } from '../types.js';
import { locate } from './context.js';
import type { Output } from './main.js';
import { MERGE_DRIVER_SETUP } from './merge-log.js';
import { choice, parseCommand } from './options.js';

/** The template for each kind of document, and the schema its editor link points at. */
const TEMPLATES: { kind: DocumentKind; name: string; schema: string }[] = [
  { kind: 'model-card', name: 'MODEL_CARD.md', schema: 'model-card' },
  { kind: 'risk-assessment', name: 'risk-assessment.yml', schema: 'risk-assessment' },
  { kind: 'impact-assessment', name: 'impact-assessment.yml', schema: 'impact-assessment' },
];

/**
 * Adds what a system's folder lacks: a model card, a risk assessment, an impact assessment where the policy
 * requires one at the system's tier, a governance.yml beside a card that states no governance facts (a card
 * as the Hub writes it), and a config if the repository has none. It never overwrites a file. The folder may
 * be the repository itself (`init .`): a Hub repository is one model. A folder the config's `systems`
 * patterns do not cover is written all the same, with a warning that says what to add, since `check` would
 * not see it.
 */
export async function init(argv: string[], io: Output): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    tier: { type: 'string' },
    soa: { type: 'boolean', default: false },
    'impact-assessment': { type: 'boolean', default: false },
  });
  const [target] = positionals;
  if (values.soa && positionals.length === 0) return initSoa(io);
  if (!target || positionals.length > 1)
    throw new UsageError(
      'init takes one system folder, e.g. aims-gate init models/churn, or . for a repository that is one model (or --soa alone: the Statement of Applicability)',
    );
  if (values.tier !== undefined) choice('tier', values.tier, RISK_TIERS);
  const { root } = locate('.');
  const folder = resolve(target);
  const inside = relative(root, folder).split(/[\\/]/).join('/');
  if (inside.startsWith('..') || isAbsolute(inside))
    throw new UsageError(
      `the system folder must be inside the repository (${root}), e.g. models/churn, or . for the repository itself`,
    );
  const path = inside || '.';
  const prefix = folderPrefix(path);

  const configured = await exists(join(root, CONFIG_PATH));
  // Without a config, the default one: the baseline pack, which decides what a tier requires.
  const source = new LocalSource(root);
  const policy = await loadPolicy(source);
  const pattern = foldersOf([`${prefix}x`], policy.systems).get(path);
  const names = (kind: DocumentKind) =>
    configured ? [...new Set(policy.systems.flatMap((s) => s.documents[kind]))] : DEFAULT_DOCUMENTS[kind];

  // What the folder says already: the new documents name the system and its tier as check will read them.
  const cardFile = await firstExisting(folder, names('model-card'));
  const card = cardFile ? await readCard(`${prefix}${cardFile}`, join(folder, cardFile)) : undefined;
  const sidecar = await readGovernanceFile(source, path);
  const stated = systemGovernance(card, sidecar, pattern?.governance);
  const system = systemId(stated.values.system, path, card, source.repository);
  const tier = stated.values.tier ?? (values.tier as RiskTier | undefined) ?? 'high';
  if (values.tier && stated.values.tier && values.tier !== stated.values.tier)
    io.err(
      `aims-gate: warning: ${stated.from.tier} states tier ${stated.values.tier}, so the documents say ${stated.values.tier}, not --tier ${values.tier}: change it there if it has changed\n`,
    );

  const today = new Date().toISOString().slice(0, 10);
  const nextReview = new Date(Date.now() + 180 * 86_400_000).toISOString().slice(0, 10);
  const systemsPattern = posix.dirname(path) === '.' ? path : `${posix.dirname(path)}/*`;
  const fill = (text: string, file: string, schema?: string) =>
    text
      .replaceAll('system: {{system}}', `system: ${yamlScalar(system)}`)
      .replaceAll('{{system}}', system)
      .replaceAll('{{tier}}', tier)
      .replaceAll('{{today}}', today)
      .replaceAll('{{next_review}}', nextReview)
      .replaceAll('{{systems}}', yamlScalar(systemsPattern))
      .replace(/(?:\.\.\/)*node_modules\/aims-gate\/schemas\/([\w-]+)\.schema\.json/g, (_, name: string) =>
        schemaLink(root, file, schema ?? name),
      );

  const writes: [string, string][] = [];
  const kept: string[] = [];
  const notes: string[] = [];
  for (const template of TEMPLATES) {
    const present =
      template.kind === 'model-card' ? cardFile : await firstExisting(folder, names(template.kind));
    if (present) kept.push(`${prefix}${present}`);
    else if (
      template.kind === 'impact-assessment' &&
      !values['impact-assessment'] &&
      !impactRequired(policy, tier)
    )
      notes.push(
        `no ${template.name}: at tier ${tier} the policy does not require an impact assessment (--impact-assessment writes one)`,
      );
    else {
      const file = join(folder, template.name);
      writes.push([file, fill(readAsset(`templates/${template.name}`), file, template.schema)]);
    }
  }
  // A card with no governance: of its own (the Hub's README.md) gets the facts nothing states beside it, not
  // inside it. A card that keeps them is left to say the rest itself.
  const missing = GOVERNANCE_FACTS.filter((fact) => stated.values[fact] === undefined);
  const ownFacts = Object.hasOwn((card?.data.value as object | undefined) ?? {}, 'governance');
  if (sidecar) kept.push(sidecar.path);
  else if (card && !ownFacts && missing.length) {
    const file = join(folder, GOVERNANCE_FILE);
    const lines = fill(readAsset(`templates/${GOVERNANCE_FILE}`), file, 'governance').split('\n');
    const facts = lines.filter((line) => {
      const key = /^(\w+):/.exec(line)?.[1];
      return !key || missing.includes(key as (typeof missing)[number]);
    });
    writes.push([file, facts.join('\n')]);
  }
  if (!configured) {
    const configFile = join(root, CONFIG_PATH);
    writes.push([configFile, fill(readAsset('templates/aims-gate.yml'), configFile)]);
  }
  const soaFile = join(root, policy.soaPath ?? DEFAULT_SOA_PATH);
  if (!(await exists(soaFile))) writes.push([soaFile, soaTemplate(root, soaFile)]);
  const attributes = join(root, '.gitattributes');
  const log = DEFAULT_AUDIT_LOG.slice('file:'.length);
  const mergeLines = `${log} merge=aims-gate-log\n${anchorsPath(log)} merge=aims-gate-log\n`;
  const attributesText = await readFile(attributes, 'utf8').catch(() => undefined);
  const addAttributes = !configured && !attributesText?.includes('merge=aims-gate-log');

  for (const [file, text] of writes) {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text, { flag: 'wx' }); // never over a file that appeared meanwhile
    io.out(`wrote ${relative(process.cwd(), file)}\n`);
  }
  if (addAttributes) {
    // Two branches that both record to the in-repository log meet a merge driver that says what to do.
    await writeFile(
      attributes,
      `${attributesText ?? ''}${attributesText && !attributesText.endsWith('\n') ? '\n' : ''}${mergeLines}`,
    );
    io.out(
      `wrote ${relative(process.cwd(), attributes)} (the audit log's merge driver; turn it on with: ${MERGE_DRIVER_SETUP})\n`,
    );
  }
  for (const file of kept) io.out(`kept ${file} (already there)\n`);
  for (const note of notes) io.out(`${note}\n`);
  if (configured && !pattern) {
    io.err(
      `aims-gate: warning: ${path} is not a system folder by the \`systems\` patterns of ${CONFIG_PATH} (${policy.systems.map((s) => s.path).join(', ')}), so check will not see it: add "${systemsPattern}" to systems\n`,
    );
  }
  const here = relative(process.cwd(), folder) || '.'; // the next command, as typed from where the user is
  io.out(
    writes.length
      ? `\nFill in the documents of ${system}, then run: npx aims-gate check ${here}\n`
      : `\n${path} has every document already: npx aims-gate check ${here}\n`,
  );
  return 0;
}

/** Whether a missing impact assessment blocks a system of this tier, by the policy's own rules. */
function impactRequired(policy: Policy, tier: RiskTier): boolean {
  return policy.rules.some(
    (rule) =>
      rule.kind === 'required-document' &&
      rule.document === 'impact-assessment' &&
      blocks(rule.severity, policy.failOn) &&
      (!rule.when || applies(rule.when, { tier, status: 'development' })),
  );
}

/** The folder's model card as check reads it, where it can be read: its facts and its model name. */
async function readCard(path: string, file: string): Promise<ModelCard | undefined> {
  await prepareDocumentSchemas();
  const doc = loadDocument('model-card', path, await readFile(file));
  return isReadable(doc) && doc.kind === 'model-card' ? doc : undefined;
}

/** A name as a YAML value: plain where YAML reads it back as the same string, quoted otherwise. */
function yamlScalar(text: string): string {
  return /^[A-Za-z0-9_.][\w./*-]*$/.test(text) && !/^(true|false|null|yes|no|on|off|~|[\d.]+)$/i.test(text)
    ? text
    : JSON.stringify(text);
}

/** The organisation's starting Statement of Applicability: every Annex A control, planned, with TODOs. */
function soaTemplate(root: string, file: string): string {
  return startingStatement(annexA().controls, schemaLink(root, file, 'statement-of-applicability'));
}

/** aims-gate init --soa: the Statement of Applicability alone, where the config says (never over one). */
async function initSoa(io: Output): Promise<number> {
  const { root } = locate('.');
  const policy = (await exists(join(root, CONFIG_PATH)))
    ? await loadPolicy(new LocalSource(root))
    : undefined;
  const file = join(root, policy?.soaPath ?? DEFAULT_SOA_PATH);
  if (await exists(file)) {
    io.out(`kept ${relative(process.cwd(), file)} (already there)\n`);
    return 0;
  }
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, soaTemplate(root, file), { flag: 'wx' });
  io.out(
    `wrote ${relative(process.cwd(), file)}\n\nDeclare each control (applicable, and the risk, treatment or requirement that needs it; its owner and status), replace every TODO, and merge it through a reviewed pull request.\n`,
  );
  return 0;
}

/**
 * The editor's schema link: the copy in the package the repository installs (node_modules/aims-gate/schemas),
 * relative to the file as yaml-language-server reads it. It resolves offline, and it is the schema of the
 * version the repository pins; there is no published copy to point at instead.
 */
function schemaLink(root: string, file: string, schema: string): string {
  const installed = join(root, 'node_modules/aims-gate/schemas', `${schema}.schema.json`);
  return relative(dirname(file), installed).split(/[\\/]/).join('/');
}

async function firstExisting(folder: string, names: string[]): Promise<string | undefined> {
  for (const name of names) if (await exists(join(folder, name))) return name;
  return undefined;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
