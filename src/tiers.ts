import { compareText } from './collate.js';
import { readGovernanceFile, systemGovernance, systemId } from './documents/governance.js';
import { isReadable, loadDocument, prepareDocumentSchemas } from './documents/index.js';
import { folderPrefix, foldersOf } from './inventory.js';
import { LIMITS } from './limits.js';
import type { SystemPattern } from './policy/load.js';
import type { Source } from './source.js';
import { RISK_TIERS, type RiskTier } from './types.js';

/**
 * The risk tier a change is judged at, per AI system, on both sides of the change. A system is known by
 * its id (the model card's `governance.system`, else its folder's name), so a renamed document, a moved
 * folder or a folder moved out of the `systems` globs is still the same system, and its base tier still
 * applies: a change can never lower its own bar.
 */
export interface ChangedSystem {
  id: string;
  /** Its folder in the head revision; absent when the change removed it from the inventory. */
  path?: string;
  /** Its folder in the base revision; absent for a system the change adds. */
  basePath?: string;
  base?: RiskTier;
  head?: RiskTier;
  /** The higher of the two: what approvals are judged at. */
  tier?: RiskTier;
  /** The change takes the system out of the inventory, or deletes the documents that stated its tier. */
  removed: boolean;
}

interface Side {
  id: string;
  path: string;
  tier?: RiskTier;
  documented: boolean;
}

/**
 * The systems a change touches, on each side, read at their own paths under the same (trusted) patterns.
 * `changed` must name both paths of a rename. Only the model card and risk assessment are read: the two
 * documents that state a tier.
 */
export async function changeTiers(
  base: Source,
  head: Source,
  changed: string[],
  patterns: SystemPattern[],
): Promise<ChangedSystem[]> {
  const folders = [...foldersOf(changed, patterns)];
  const [before, after] = await Promise.all([
    Promise.all(folders.map(([folder, pattern]) => readSide(base, folder, pattern))),
    Promise.all(folders.map(([folder, pattern]) => readSide(head, folder, pattern))),
  ]);
  const systems = new Map<string, ChangedSystem>();
  for (const side of before.filter((s) => s.documented)) {
    const known = systems.get(side.id);
    systems.set(side.id, {
      id: side.id,
      basePath: side.path,
      base: highestTier([known?.base, side.tier]),
      removed: true,
    });
  }
  for (const side of after.filter((s) => s.documented)) {
    const known = systems.get(side.id);
    systems.set(side.id, {
      ...(known ?? { id: side.id }),
      path: side.path,
      head: highestTier([known?.head, side.tier]),
      removed: false,
    });
  }
  for (const system of systems.values()) {
    system.tier = highestTier([system.base, system.head]);
    // Documents deleted, or stripped of their tier, leave the base tier in force: say so as a removal.
    if (system.base && !system.head) system.removed = true;
  }
  return [...systems.values()].sort((a, b) => compareText(a.id, b.id));
}

/** A folder's id and stated tier at one revision, reading each document under its first name that exists. */
async function readSide(source: Source, folder: string, pattern: SystemPattern): Promise<Side> {
  const prefix = folderPrefix(folder);
  await prepareDocumentSchemas();
  // The governance.yml beside the documents is asked for with them, so it travels in the same request.
  const [sidecar, [card, risk]] = await Promise.all([
    readGovernanceFile(source, folder),
    Promise.all(
      (['model-card', 'risk-assessment'] as const).map(async (kind) => {
        // Every name at once, so a GitHub source batches them into one request; the first that exists wins.
        const names = pattern.documents[kind].map((file) => prefix + file);
        const reads = await Promise.all(names.map((path) => source.read(path, LIMITS.maxFileBytes)));
        const at = reads.findIndex((read) => !('missing' in read));
        const read = reads[at];
        if (!read || 'missing' in read) return { present: false };
        if (!('bytes' in read)) return { present: true };
        const doc = loadDocument(kind, names[at]!, read.bytes, pattern.formats?.[kind]);
        if (!isReadable(doc)) return { present: true };
        return doc.kind === 'model-card'
          ? { present: true, tier: doc.governance.tier, id: doc.governance.system, name: doc.name }
          : { present: true, tier: doc.kind === 'risk-assessment' ? doc.tier : undefined };
      }),
    ),
  ]);
  // The governance.yml and the config's entry state facts too, after the card's own.
  const facts = systemGovernance(
    { path: 'model card', governance: { system: (card as { id?: string }).id, tier: card!.tier } },
    sidecar,
    pattern.governance,
  ).values;
  return {
    id: systemId(facts.system, folder, card as { name?: string }, source.repository),
    path: folder,
    tier: highestTier([card!.tier, risk!.tier, facts.tier]),
    documented: card!.present || risk!.present || sidecar !== undefined,
  };
}

export function highestTier(tiers: (RiskTier | undefined)[]): RiskTier | undefined {
  return tiers.reduce<RiskTier | undefined>(
    (max, t) =>
      t !== undefined && (max === undefined || RISK_TIERS.indexOf(t) > RISK_TIERS.indexOf(max)) ? t : max,
    undefined,
  );
}
