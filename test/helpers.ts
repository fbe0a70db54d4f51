import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ed25519Signer, type Signer } from '../src/audit/signature.js';
import { type EvaluationInput, evaluate } from '../src/evaluate.js';
import { MemorySource } from '../src/source.js';
import type { Evaluation, Finding } from '../src/types.js';

export const EXAMPLE = join(import.meta.dirname, '..', 'examples', 'ml-platform');
export const TODAY = '2026-11-01';

/** Every file of a folder, as the path → text map a MemorySource takes. */
export function readTree(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else files[relative(root, full).split('\\').join('/')] = readFileSync(full, 'utf8');
    }
  };
  walk(root);
  return files;
}

/** The conformant high-risk system of the example repository, alone, with the baseline policy only. */
export function conformantRepo(): Record<string, string> {
  const example = readTree(EXAMPLE);
  const files: Record<string, string> = { '.github/aims-gate.yml': 'systems: [models/*]\n' };
  for (const [path, text] of Object.entries(example)) {
    if (path.startsWith('models/credit-scoring/')) files[path] = text;
  }
  return files;
}

export const CARD = 'models/credit-scoring/MODEL_CARD.md';
export const RISK = 'models/credit-scoring/risk-assessment.yml';
export const IMPACT = 'models/credit-scoring/impact-assessment.yml';

export async function run(
  files: Record<string, string | Uint8Array>,
  input: Partial<EvaluationInput> = {},
): Promise<Evaluation> {
  return evaluate({ source: new MemorySource(files, 'head'), today: TODAY, ...input });
}

/** Findings of one rule, as compact "path:line message" strings that read well in assertions. */
export function findingsOf(evaluation: Evaluation, rule: string): Finding[] {
  return evaluation.findings.filter((f) => f.rule === rule);
}

/** Replaces one exact piece of a file's text, failing loudly if the piece is not there. */
export function edit(
  files: Record<string, string>,
  path: string,
  from: string | RegExp,
  to: string,
): Record<string, string> {
  const text = files[path];
  if (text === undefined) throw new Error(`no file ${path}`);
  const next = text.replace(from, to);
  if (next === text) throw new Error(`edit of ${path} changed nothing: ${String(from)}`);
  return { ...files, [path]: next };
}

/** Numbers in [0, 1) from a seed (mulberry32): generated cases that are the same on every run. */
export function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The example's EXAMPLE ONLY gate key (published in examples/EXAMPLE-ONLY-keys), which its config lists. */
export function exampleGateSigner(): Signer {
  return ed25519Signer(readFileSync(join(EXAMPLE, '..', 'EXAMPLE-ONLY-keys', 'gate.pem'), 'utf8'));
}
