import type { Governance } from './documents/types.js';
import { matches } from './glob.js';
import { ownCopy } from './parse/text.js';
import type { SystemPattern } from './policy/load.js';
import { DOCUMENT_KINDS, type DocumentKind } from './types.js';

/** One AI system found in the repository: its folder and where each of its documents is or should be. */
export interface SystemLocation {
  path: string;
  /** Folder name; the model card may give the system another id. */
  name: string;
  paths: Record<DocumentKind, string>;
  /** The formats its config entry names for its documents. */
  formats?: SystemPattern['formats'];
  present: DocumentKind[];
  watch: string[];
  /** The governance facts its config entry states. */
  governance?: Governance;
}

/**
 * A system folder as the inventory holds it until the system is read: its path, its config entry and which of
 * its documents exist. A check holds every one from the inventory until its system is judged (25,000 Hub cards:
 * 550 bytes each as a whole location, 110 as this), so its location is made when it is read (`locationOf`).
 */
export interface SystemFolder {
  /** Its own copy: a piece cut from a listed file's path would keep that whole path alive. */
  path: string;
  pattern: SystemPattern;
  /**
   * Per document kind (DOCUMENT_KINDS' order), the index of the name found among the pattern's names for it, or
   * -1: one array shared by every folder alike.
   */
  found: readonly number[];
}

export interface Inventory {
  systems: SystemFolder[];
  /** Governance documents outside every system folder: they describe a system the config does not declare. */
  orphans: { path: string; kind: DocumentKind }[];
  /** Patterns that match no folder: most often a typo in the config. */
  unmatched: string[];
}

/** Finds the AI systems declared by the config's folder globs, and the documents in each. */
export function takeInventory(files: string[], patterns: SystemPattern[]): Inventory {
  const fileSet = new Set(files);
  const folders = new Set<string>();
  for (const file of files) {
    for (let i = file.lastIndexOf('/'); i > 0; i = file.lastIndexOf('/', i - 1))
      folders.add(file.slice(0, i));
  }
  const systems = new Map<string, SystemFolder>();
  const alike = new Map<string, number[]>();
  const unmatched: string[] = [];
  for (const pattern of patterns) {
    const matches =
      pattern.path === '.' ? ['.'] : [...folders].filter((folder) => isSystemFolder(folder, pattern));
    if (matches.length === 0) unmatched.push(pattern.path);
    for (const folder of matches.sort()) {
      if (systems.has(folder)) continue;
      const prefix = folderPrefix(folder);
      const indexes = DOCUMENT_KINDS.map((kind) =>
        pattern.documents[kind].findIndex((name) => fileSet.has(prefix + name)),
      );
      const key = indexes.join();
      if (!alike.has(key)) alike.set(key, indexes);
      systems.set(folder, { path: ownCopy(folder), pattern, found: alike.get(key)! });
    }
  }
  return { systems: [...systems.values()], orphans: findOrphans(files, patterns, systems), unmatched };
}

/** A system folder's location: where each of its documents is or should be, and what its config entry says. */
export function locationOf({ path, pattern, found }: SystemFolder): SystemLocation {
  const prefix = folderPrefix(path);
  const paths = {} as Record<DocumentKind, string>;
  const present: DocumentKind[] = [];
  for (const [k, kind] of DOCUMENT_KINDS.entries()) {
    paths[kind] = prefix + pattern.documents[kind][Math.max(0, found[k]!)]!;
    if (found[k]! >= 0) present.push(kind);
  }
  return {
    path,
    name: path.split('/').pop()!,
    paths,
    ...(pattern.formats && Object.keys(pattern.formats).length ? { formats: pattern.formats } : {}),
    present,
    watch: pattern.watch,
    ...(pattern.governance ? { governance: pattern.governance } : {}),
  };
}

/** What the paths of a system folder start with: "" for the repository root ("."), else "folder/". */
export function folderPrefix(folder: string): string {
  return folder === '.' ? '' : `${folder}/`;
}

function isSystemFolder(folder: string, pattern: SystemPattern): boolean {
  return pattern.path === '.' ? folder === '.' : matches(folder, pattern.path, { dot: false });
}

/**
 * The system folders that hold any of these paths, each with the first pattern that declares it: what a
 * change touches, found without listing the repository (a deleted or moved file still names its folder).
 */
/** Where `aims-gate test` finds its cases, by default: documents there are fixtures, not the repository's. */
export const POLICY_TESTS = 'policy-tests';

export function foldersOf(paths: string[], patterns: SystemPattern[]): Map<string, SystemPattern> {
  const folders = new Map<string, SystemPattern>();
  for (const path of paths) {
    const candidates = ['.'];
    for (let i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) candidates.push(path.slice(0, i));
    for (const folder of candidates) {
      if (folders.has(folder)) continue;
      const pattern = patterns.find((p) => isSystemFolder(folder, p));
      if (pattern) folders.set(folder, pattern);
    }
  }
  return folders;
}

/** Files named like a risk or impact assessment (or a MODEL_CARD.md) that sit in no system folder. */
function findOrphans(files: string[], patterns: SystemPattern[], systems: Map<string, SystemFolder>) {
  const names = new Map<string, DocumentKind>();
  for (const pattern of patterns) {
    for (const kind of DOCUMENT_KINDS) {
      // README.md is every folder's file; only names that mean "governance document" are looked for.
      for (const name of pattern.documents[kind]) if (!/^readme\./i.test(name)) names.set(name, kind);
    }
  }
  const owned = new Set([...systems.values()].flatMap((s) => Object.values(locationOf(s).paths)));
  const orphans: Inventory['orphans'] = [];
  for (const file of files) {
    // Fixture repositories of `aims-gate test` hold documents on purpose, outside any system.
    if (file.startsWith(`${POLICY_TESTS}/`)) continue;
    const kind = names.get(file.slice(file.lastIndexOf('/') + 1));
    if (kind && !owned.has(file)) orphans.push({ path: file, kind });
  }
  return orphans;
}
