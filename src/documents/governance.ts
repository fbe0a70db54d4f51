import type { ValidateFunction } from 'ajv';
import { readJsonAsset } from '../assets.js';
import { folderPrefix } from '../inventory.js';
import { LIMITS } from '../limits.js';
import type { Problem } from '../parse/problem.js';
import { decodeText, unreadableFile } from '../parse/text.js';
import { parseData } from '../parse/yaml.js';
import { compileSchema, type SchemaViolation, validateData } from '../schema.js';
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

/** The published schema of governance.yml (`npm run schemas` writes it from governanceSchema). */
export const GOVERNANCE_SCHEMA = 'schemas/governance.schema.json';

/**
 * The schema of governance.yml: the model card's `governance:` mapping, as top-level keys. One definition for
 * both places a team may state the facts, so a key valid in one is valid in the other.
 */
export function governanceSchema(): object {
  const card = readJsonAsset<{ definitions: { governance: { properties: object } } }>(
    'schemas/model-card.schema.json',
  );
  const {
    description: _,
    properties,
    ...governance
  } = card.definitions.governance as {
    description?: string;
    properties: object;
  };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: "aims-gate governance.yml: an AI system's governance facts, beside its model card",
    description:
      "The system's id, owner, version, lifecycle status and risk tier, kept out of a model card published to the Hugging Face Hub. The card's own governance: keys come first; the system's entry in .github/aims-gate.yml comes last.",
    type: 'object',
    ...governance,
    properties: { $schema: { type: 'string' }, ...properties },
  };
}

let governanceValidator: ValidateFunction | undefined;

/** A `governance.yml`: the facts as top-level keys, and each key or value its schema does not allow. */
function parseGovernanceFile(
  bytes: Uint8Array,
): { governance: Governance; violations: SchemaViolation[] } | { problem: Problem } {
  const decoded = decodeText(bytes);
  if ('problem' in decoded) return decoded;
  const parsed = parseData(decoded.text);
  if ('problem' in parsed) return parsed;
  // An empty file states nothing (card.governance says what is missing); it is not malformed.
  const data = parsed.data.value === null ? { ...parsed.data, value: {} } : parsed.data;
  governanceValidator ??= compileSchema(readJsonAsset(GOVERNANCE_SCHEMA));
  const violations = validateData(governanceValidator, data);
  return { governance: governanceOf(data.value), violations };
}

/**
 * A system's governance.yml as read: its bytes (evidence), the facts it states and what its schema does not
 * allow (a misspelt key: `teir: high` states no tier), or why it cannot be read.
 */
export type GovernanceFile = { path: string; bytes?: Uint8Array } & (
  | { governance: Governance; violations: SchemaViolation[] }
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

/**
 * A system's id: the one its facts state, else its folder's name. A system at the repository's root (a Hub
 * repository is one model, its card the README.md) has no folder name: the card's model name names it, else
 * the repository's name. "." is left only where neither is known.
 */
export function systemId(
  stated: string | undefined,
  folder: string,
  card: { name?: string } | undefined,
  repository: string | undefined,
): string {
  if (stated) return stated;
  if (folder !== '.') return folder.slice(folder.lastIndexOf('/') + 1);
  return card?.name ?? repository ?? folder;
}
