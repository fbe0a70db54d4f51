import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { readAsset } from '../assets.js';
import { anchorsPath } from '../audit/anchors.js';
import { annexA } from '../controls.js';
import { UsageError } from '../errors.js';
import { foldersOf } from '../inventory.js';
import { CONFIG_PATH, DEFAULT_AUDIT_LOG, DEFAULT_DOCUMENTS, loadPolicy } from '../policy/load.js';
import { DEFAULT_SOA_PATH, startingStatement } from '../soa.js';
import { LocalSource } from '../sources/local.js';
import { type DocumentKind, RISK_TIERS, type RiskTier } from '../types.js';
import { locate } from './context.js';
import type { Output } from './main.js';
import { MERGE_DRIVER_SETUP } from './merge-log.js';
import { parseCommand } from './options.js';

/** The template for each kind of document, and the schema its editor link points at. */
const TEMPLATES: { kind: DocumentKind; name: string; schema: string }[] = [
  { kind: 'model-card', name: 'MODEL_CARD.md', schema: 'model-card' },
  { kind: 'risk-assessment', name: 'risk-assessment.yml', schema: 'risk-assessment' },
  { kind: 'impact-assessment', name: 'impact-assessment.yml', schema: 'impact-assessment' },
];

/**
 * Adds what a system's folder lacks: a model card, a risk assessment and an impact assessment, each only if
 * no document of its kind is there under any name the configuration accepts, and a config if the repository
 * has none. It never overwrites a document. A folder the config's `systems` patterns do not cover is written
 * all the same, with a warning that says what to add, since `check` would not see it.
 */
export async function init(argv: string[], io: Output): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    tier: { type: 'string', default: 'high' },
    soa: { type: 'boolean', default: false },
  });
  const [target] = positionals;
  if (values.soa && positionals.length === 0) return initSoa(io);
  if (!target || positionals.length > 1)
    throw new UsageError(
      'init takes one system folder, e.g. aims-gate init models/churn (or --soa alone: the Statement of Applicability)',
    );
  if (!RISK_TIERS.includes(values.tier as RiskTier))
    throw new UsageError(`--tier must be one of ${RISK_TIERS.join(', ')}`);
  const { root } = locate('.');
  const folder = resolve(target);
  const path = relative(root, folder).split(/[\\/]/).join('/');
  if (path.startsWith('..') || path === '')
    throw new UsageError(`the system folder must be inside the repository (${root}), e.g. models/churn`);

  const configured = await exists(join(root, CONFIG_PATH));
  const policy = configured ? await loadPolicy(new LocalSource(root)) : undefined;
  const names = (kind: DocumentKind) =>
    policy ? [...new Set(policy.systems.flatMap((s) => s.documents[kind]))] : DEFAULT_DOCUMENTS[kind];

  const today = new Date().toISOString().slice(0, 10);
  const nextReview = new Date(Date.now() + 180 * 86_400_000).toISOString().slice(0, 10);
  const fill = (text: string, file: string, schema?: string) =>
    text
      .replaceAll('{{system}}', posix.basename(path))
      .replaceAll('{{tier}}', values.tier!)
      .replaceAll('{{today}}', today)
      .replaceAll('{{next_review}}', nextReview)
      .replaceAll('{{systems}}', `${posix.dirname(path) === '.' ? path : `${posix.dirname(path)}/*`}`)
      .replace(/(?:\.\.\/)*node_modules\/aims-gate\/schemas\/([\w-]+)\.schema\.json/g, (_, name: string) =>
        schemaLink(root, file, schema ?? name),
      );

  const writes: [string, string][] = [];
  const kept: string[] = [];
  for (const template of TEMPLATES) {
    const present = await firstExisting(folder, names(template.kind));
    if (present) kept.push(`${path}/${present}`);
    else {
      const file = join(folder, template.name);
      writes.push([file, fill(readAsset(`templates/${template.name}`), file, template.schema)]);
    }
  }
  const configFile = join(root, CONFIG_PATH);
  if (!configured) writes.push([configFile, fill(readAsset('templates/aims-gate.yml'), configFile)]);
  const soaFile = join(root, policy?.soaPath ?? DEFAULT_SOA_PATH);
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
  if (policy && !foldersOf([`${path}/x`], policy.systems).has(path)) {
    io.err(
      `aims-gate: warning: ${path} is not a system folder by the \`systems\` patterns of ${CONFIG_PATH} (${policy.systems.map((s) => s.path).join(', ')}), so check will not see it: add "${posix.dirname(path) === '.' ? path : `${posix.dirname(path)}/*`}" to systems\n`,
    );
  }
  const here = relative(process.cwd(), folder) || '.'; // the next command, as typed from where the user is
  io.out(
    writes.length
      ? `\nFill in the documents, then run: npx aims-gate check ${here}\n`
      : `\n${path} has every document already: npx aims-gate check ${here}\n`,
  );
  return 0;
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
