import { access, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { readAsset } from '../assets.js';
import { UsageError } from '../errors.js';
import { CONFIG_PATH } from '../policy/load.js';
import { RISK_TIERS, type RiskTier } from '../types.js';
import type { Output } from './main.js';
import { parseCommand } from './options.js';

const TEMPLATES = ['MODEL_CARD.md', 'risk-assessment.yml', 'impact-assessment.yml'];

/** Writes the three documents for a new AI system, and a config if the repository has none. */
export async function init(argv: string[], io: Output): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    tier: { type: 'string', default: 'high' },
    force: { type: 'boolean', default: false },
  });
  const [target] = positionals;
  if (!target || positionals.length > 1)
    throw new UsageError('init takes one system folder, e.g. aims-gate init models/churn');
  if (!RISK_TIERS.includes(values.tier as RiskTier))
    throw new UsageError(`--tier must be one of ${RISK_TIERS.join(', ')}`);
  const folder = resolve(target);
  const repo = resolve('.');
  const path = relative(repo, folder).split(/[\\/]/).join('/');
  if (path.startsWith('..') || path === '')
    throw new UsageError('the system folder must be inside the current folder, e.g. models/churn');

  const today = new Date().toISOString().slice(0, 10);
  const nextReview = new Date(Date.now() + 180 * 86_400_000).toISOString().slice(0, 10);
  const fill = (text: string) =>
    text
      .replaceAll('{{system}}', posix.basename(path))
      .replaceAll('{{tier}}', values.tier!)
      .replaceAll('{{today}}', today)
      .replaceAll('{{next_review}}', nextReview)
      .replaceAll('{{systems}}', `${posix.dirname(path) === '.' ? path : `${posix.dirname(path)}/*`}`);

  const writes: [string, string][] = TEMPLATES.map((name) => [
    join(folder, name),
    fill(readAsset(`templates/${name}`)),
  ]);
  if (!(await exists(join(repo, CONFIG_PATH))))
    writes.push([join(repo, CONFIG_PATH), fill(readAsset('templates/aims-gate.yml'))]);
  const existing = values.force
    ? []
    : (
        await Promise.all(
          TEMPLATES.map(async (name) => ((await exists(join(folder, name))) ? name : undefined)),
        )
      ).filter(Boolean);
  if (existing.length > 0)
    throw new UsageError(`${path} already has ${existing.join(', ')}; use --force to overwrite`);

  for (const [file, text] of writes) {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text);
    io.out(`wrote ${relative(repo, file)}\n`);
  }
  io.out(`\nFill in the documents, then run: npx aims-gate check\n`);
  return 0;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
