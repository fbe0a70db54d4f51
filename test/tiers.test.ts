import { describe, expect, it } from 'vitest';
import { loadPolicy } from '../src/policy/load.js';
import { MemorySource } from '../src/source.js';
import { changeTiers } from '../src/tiers.js';
import { CARD, conformantRepo, edit, RISK, run } from './helpers.js';

/**
 * A change cannot lower its own bar: the tier is the highest of base and head per system id, whatever the
 * change renames, moves, or takes out of the inventory. The fixture's credit-scoring system is high risk.
 */
const base = conformantRepo();
const minimal = (files: Record<string, string>, card = CARD, risk = RISK) =>
  edit(edit(files, risk, 'tier: high', 'tier: minimal'), card, 'tier: high', 'tier: minimal');

/** Moves every file under `from` to `to`, as a rename in a pull request does. */
function move(files: Record<string, string>, from: string, to: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(files).map(([p, t]) => [p.startsWith(from) ? to + p.slice(from.length) : p, t]),
  );
}

function rename(files: Record<string, string>, from: string, to: string): Record<string, string> {
  const { [from]: text, ...rest } = files;
  return { ...rest, [to]: text! };
}

/** Both paths of every file that differs, as GitHub lists a pull request's files (a rename names both). */
function changed(before: Record<string, string>, after: Record<string, string>): string[] {
  const paths = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...paths].filter((p) => before[p] !== after[p]);
}

async function tiersOf(head: Record<string, string>, config = 'systems: [models/*]\n') {
  const policy = await loadPolicy(new MemorySource({ '.github/aims-gate.yml': config }));
  return changeTiers(new MemorySource(base), new MemorySource(head), changed(base, head), policy.systems);
}

describe('the tier a change is judged at', () => {
  it('lowering the tier in place keeps the base tier', async () => {
    expect(await tiersOf(minimal(base))).toMatchObject([
      { id: 'credit-scoring', base: 'high', head: 'minimal', tier: 'high', removed: false },
    ]);
  });

  it('renaming both documents to their alternative names keeps the base tier', async () => {
    const card = 'models/credit-scoring/model-card.md';
    const risk = 'models/credit-scoring/risk-assessment.yaml';
    const head = minimal(rename(rename(base, CARD, card), RISK, risk), card, risk);
    expect(await tiersOf(head)).toMatchObject([{ id: 'credit-scoring', tier: 'high' }]);
  });

  it('moving the folder keeps the tier, by the governance id in the card', async () => {
    const head = minimal(
      move(base, 'models/credit-scoring/', 'models/scoring/'),
      'models/scoring/MODEL_CARD.md',
      'models/scoring/risk-assessment.yml',
    );
    expect(await tiersOf(head)).toMatchObject([
      {
        id: 'credit-scoring',
        basePath: 'models/credit-scoring',
        path: 'models/scoring',
        tier: 'high',
        removed: false,
      },
    ]);
  });

  it('moving the folder out of the systems globs is a removal at the base tier', async () => {
    const head = move(base, 'models/credit-scoring/', 'archive/credit-scoring/');
    expect(await tiersOf(head)).toMatchObject([
      { id: 'credit-scoring', basePath: 'models/credit-scoring', base: 'high', tier: 'high', removed: true },
    ]);
  });

  it('deleting the documents is a removal at the base tier', async () => {
    const { [CARD]: _card, [RISK]: _risk, ...head } = base;
    expect(await tiersOf(head)).toMatchObject([{ id: 'credit-scoring', tier: 'high', removed: true }]);
  });

  it('a new system counts at its own tier; an untouched one is not read', async () => {
    const head = {
      ...base,
      'models/new/risk-assessment.yml': base[RISK]!.replace('tier: high', 'tier: limited'),
    };
    expect(await tiersOf(head)).toMatchObject([
      { id: 'new', head: 'limited', tier: 'limited', removed: false },
    ]);
  });

  it('a tier stated only in governance.yml or the config counts like one in the card', async () => {
    const hub = (files: Record<string, string>) =>
      edit(
        edit(files, CARD, /^---\ngovernance:\n(?: {2}.*\n)+/, '---\n'),
        RISK,
        'tier: high',
        'tier: minimal',
      );
    const head = hub({ ...base, 'models/credit-scoring/train.py': '# v2\n' });
    const config = 'systems:\n  - path: models/*\n    governance: { tier: high }\n';
    expect(await tiersOf(head, config)).toMatchObject([{ id: 'credit-scoring', head: 'high', tier: 'high' }]);
    const sidecar = {
      ...head,
      'models/credit-scoring/governance.yml': 'system: scoring\ntier: prohibited\n',
    };
    expect(await tiersOf(sidecar)).toMatchObject([
      { id: 'credit-scoring', base: 'high', removed: true },
      { id: 'scoring', head: 'prohibited', tier: 'prohibited' },
    ]);
  });

  it('through evaluate: the removed system is in the change, with a notice, and sets the tier', async () => {
    const head = move(base, 'models/credit-scoring/', 'archive/credit-scoring/');
    const evaluation = await run(head, {
      baseSource: new MemorySource(base),
      policySource: new MemorySource(base),
      changedFiles: changed(base, head),
    });
    expect(evaluation.systems).toEqual([]);
    expect(evaluation.changedSystems).toMatchObject([{ id: 'credit-scoring', tier: 'high', removed: true }]);
    expect(evaluation.notices).toContain(
      'This change removes credit-scoring (models/credit-scoring) from the inventory or deletes the documents that state its tier; its base tier high still applies.',
    );
  });
});
