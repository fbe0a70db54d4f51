import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
