import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assets } from '../generated/precompiled.js';
import type { Problem } from './parse/problem.js';
import { type ParsedData, parseData } from './parse/yaml.js';
import type { Pointer, Position } from './types.js';

/**
 * The package's data files (policies/, schemas/, reference/, templates/) are read from the package root,
 * found by walking up from this module: the same code works from src/ (tests), lib/ (CLI) and a bundle.
 */
function findPackageRoot(from: string): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'policies')) && existsSync(join(dir, 'schemas'))) return dir;
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error(`aims-gate: cannot find its data files (policies/, schemas/) above ${from}`);
    dir = parent;
  }
}

export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

const cache = new Map<string, string>();

export function readAsset(relativePath: string): string {
  let text = cache.get(relativePath);
  if (text === undefined) {
    text = readFileSync(join(PACKAGE_ROOT, relativePath), 'utf8');
    cache.set(relativePath, text);
  }
  return text;
}

export function readJsonAsset<T = unknown>(relativePath: string): T {
  return JSON.parse(readAsset(relativePath)) as T;
}

export function sha256Text(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const precompiledAssets = assets as Record<string, { sha256: string; data: string } | undefined>;

/**
 * A YAML data file of the package, parsed. Parsing the baseline pack and the Annex A reference cost a
 * noticeable part of every start: generated/precompiled.js holds them parsed, used only while the file's text is
 * the one they were parsed from. Each call returns values of its own, which the caller may change. `precompiled`
 * says the data came from there: `npm run schemas` checked a pack before storing it (src/precompile.ts).
 */
export function readYamlAsset(
  relativePath: string,
): { data: ParsedData; precompiled?: true } | { problem: Problem } {
  return parsedAsset(relativePath, readAsset(relativePath));
}

/** A pointer as a key of the precompiled positions; indices and their digits alike, as `getIn` takes both. */
export function pointerKey(pointer: Pointer): string {
  return JSON.stringify(pointer.map(String));
}

export function parsedAsset(
  relativePath: string,
  text: string,
): { data: ParsedData; precompiled?: true } | { problem: Problem } {
  const entry = precompiledAssets[relativePath];
  if (!entry || entry.sha256 !== sha256Text(text)) return parseData(text);
  const { value, positions } = JSON.parse(entry.data) as { value: unknown; positions: [string, number[]][] };
  const at = new Map(positions);
  return {
    precompiled: true,
    data: {
      value,
      locate(pointer): Position {
        for (let depth = pointer.length; depth >= 0; depth--) {
          const found = at.get(pointerKey(pointer.slice(0, depth)));
          if (found) return found.length > 1 ? { line: found[0]!, column: found[1]! } : { line: found[0]! };
        }
        return { line: 1 };
      },
    },
  };
}
