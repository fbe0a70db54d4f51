import { folderPrefix } from '../inventory.js';
import { LIMITS } from '../limits.js';
import type { Problem } from '../parse/problem.js';
import { decodeText, unreadableFile } from '../parse/text.js';
import { parseData } from '../parse/yaml.js';
import type { Source } from '../source.js';
import { governanceOf } from './model-card.js';
import type { Governance } from './types.js';

/**
 * A system's governance facts (id, owner, version, lifecycle status, risk tier), wherever the team keeps
 * them: the model card's `governance:` front matter, a `governance.yml` beside it (so a card published to
 * the Hub needs no aims-gate keys), or the system's entry in the config. The first that states a fact wins.
 */
export const GOVERNANCE_FILE = 'governance.yml';

export const GOVERNANCE_FACTS = ['system', 'owner', 'version', 'status', 'tier'] as const;

export interface GovernanceFacts {
  values: Governance;
  /** Where each stated fact came from, for messages. */
  from: Partial<Record<keyof Governance, string>>;
}

function mergeGovernance(layers: { from: string; values: Governance | undefined }[]): GovernanceFacts {
  const facts: GovernanceFacts = { values: {}, from: {} };
  for (const fact of GOVERNANCE_FACTS) {
    const layer = layers.find((l) => l.values?.[fact] !== undefined);
    if (!layer) continue;
    (facts.values as Record<string, unknown>)[fact] = layer.values![fact];
    facts.from[fact] = layer.from;
  }
  return facts;
}

/** A `governance.yml`: the facts as top-level keys. */
function parseGovernanceFile(bytes: Uint8Array): { governance: Governance } | { problem: Problem } {
  const decoded = decodeText(bytes);
  if ('problem' in decoded) return decoded;
  const parsed = parseData(decoded.text);
  if ('problem' in parsed) return parsed;
  return { governance: governanceOf(parsed.data.value) };
}

/** A system's governance.yml as read: its bytes (evidence) and the facts it states, or why it cannot be read. */
export type GovernanceFile = { path: string; bytes?: Uint8Array } & (
  | { governance: Governance }
  | { problem: Problem }
);

/** The governance.yml in a system folder, if there is one. */
export async function readGovernanceFile(
  source: Source,
  folder: string,
): Promise<GovernanceFile | undefined> {
  const path = folderPrefix(folder) + GOVERNANCE_FILE;
  const read = await source.read(path, LIMITS.maxFileBytes);
  if ('missing' in read) return undefined;
  if (!('bytes' in read)) return { path, problem: unreadableFile(read) };
  return { path, bytes: read.bytes, ...parseGovernanceFile(read.bytes) };
}

/** One system's facts: its model card's first, then its governance.yml, then its entry in the config. */
export function systemGovernance(
  card: { path: string; governance: Governance } | undefined,
  file: GovernanceFile | undefined,
  config: Governance | undefined,
): GovernanceFacts {
  return mergeGovernance([
    { from: card?.path ?? 'model card', values: card?.governance },
    {
      from: file?.path ?? GOVERNANCE_FILE,
      values: file && 'governance' in file ? file.governance : undefined,
    },
    { from: 'the config', values: config },
  ]);
}
