import { Minimatch } from 'minimatch';
import type { Source } from './source.js';

/**
 * GitHub's CODEOWNERS, parsed and matched as GitHub does. Pure, but for `readCodeowners`, which reads the file
 * through a Source (the trusted revision: a pull request's base, or the default branch for a deployment).
 *
 * Syntax (docs.github.com, "About code owners"): one pattern per line followed by its owners; `#` starts a
 * comment; the last matching line wins, and a line with no owners leaves its paths without any. Patterns follow
 * gitignore, as GitHub applies it: a pattern with no slash but a trailing one matches at any depth, a slash at
 * the start or in the middle anchors it at the root, a trailing slash matches a folder (everything under it),
 * `*` and `?` never cross a `/`, `**` crosses any number of folders, and a pattern also owns everything under
 * a folder it names, except that a last segment of a lone `*` (`docs/*`) owns only the files directly there.
 * `[` and `]` are characters of the path, not ranges (Next.js's `app/[id]/page.tsx`). GitHub has no `!`
 * negation, and skips a line it cannot read: aims-gate refuses such a file instead, naming the line, because a
 * skipped line silently changes who must approve.
 */

/** Where GitHub looks for the file, in its order: the first that exists is the one it uses. */
export const CODEOWNERS_PATHS = ['.github/CODEOWNERS', 'CODEOWNERS', 'docs/CODEOWNERS'];

/** GitHub does not load a CODEOWNERS file larger than 3 MB. */
const MAX_BYTES = 3 * 1024 * 1024;

export interface CodeownersRule {
  pattern: string;
  /** As written: `@user`, `@org/team` or an e-mail address; empty: the paths have no owner. */
  owners: string[];
  line: number;
  matchers: Minimatch[];
}

export interface Codeowners {
  /** The file it was read from, e.g. ".github/CODEOWNERS". */
  file: string;
  rules: CodeownersRule[];
}

/** A CODEOWNERS file GitHub's syntax does not allow: which file, which line, what to do. */
export class CodeownersError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
    this.name = 'CodeownersError';
  }
}

const USER = /^@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\[bot\])?$/;
const TEAM = /^@[A-Za-z0-9-]+\/[A-Za-z0-9_.-]+$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

export function parseCodeowners(text: string, file: string): Codeowners {
  const rules: CodeownersRule[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    // An unescaped # starts a comment, wherever it is; a pattern may hold an escaped space ("my\ file").
    const content = raw.replace(/^((?:\\.|[^\\#])*)#.*$/, '$1');
    const [pattern, ...owners] = content.match(/(?:\\.|\S)+/g) ?? [];
    if (!pattern) return;
    const refuse = (reason: string): never => {
      throw new CodeownersError(file, line, reason);
    };
    if (pattern.startsWith('!'))
      refuse(
        `"${pattern}": GitHub does not support negation (!) in CODEOWNERS; list the owners of those paths instead`,
      );
    if (pattern === '/') refuse('"/" matches no file; use * for every file');
    for (const owner of owners)
      if (!USER.test(owner) && !TEAM.test(owner) && !EMAIL.test(owner))
        refuse(`"${owner}" is not an owner: write @user, @org/team or an e-mail address`);
    rules.push({ pattern, owners, line, matchers: compile(pattern) });
  });
  return { file, rules };
}

/** Patterns as minimatch globs over file paths (see the syntax above): a path matches if any of them does. */
function compile(pattern: string): Minimatch[] {
  const folder = pattern.endsWith('/');
  let body = folder ? pattern.slice(0, -1) : pattern;
  // A slash at the start or in the middle anchors the pattern at the root; otherwise it matches at any depth.
  const anchored = body.includes('/');
  if (body.startsWith('/')) body = body.slice(1);
  // GitHub matches [ and ] as themselves: escaped, minimatch does too.
  body = body.replace(/(?<!\\)[[\]]/g, (c) => `\\${c}`);
  const glob = anchored || body.startsWith('**') ? body : `**/${body}`;
  const lastSegment = body.slice(body.lastIndexOf('/') + 1);
  const globs = folder ? [`${glob}/**`] : lastSegment === '*' ? [glob] : [glob, `${glob}/**`];
  return globs.map(
    (g) =>
      new Minimatch(g, {
        dot: true, // .github/workflows/deploy.yml is a path like any other
        nobrace: true,
        noext: true,
        nonegate: true,
        nocomment: true,
      }),
  );
}

/** The rule that decides `path`'s owners (the last that matches), if any does. */
export function ruleFor(codeowners: Codeowners, path: string): CodeownersRule | undefined {
  for (let i = codeowners.rules.length - 1; i >= 0; i--) {
    const rule = codeowners.rules[i]!;
    if (rule.matchers.some((m) => m.match(path))) return rule;
  }
  return undefined;
}

/** The owners of a path: `@user`, `@org/team` and e-mail addresses as written; none when no line owns it. */
export function ownersOf(codeowners: Codeowners, path: string): string[] {
  return ruleFor(codeowners, path)?.owners ?? [];
}

/** The teams ("org/team") that own any of these paths: whose members the approval judge needs. */
export function ownerTeams(codeowners: Codeowners, paths: string[]): string[] {
  const teams = new Set<string>();
  for (const path of paths)
    for (const owner of ownersOf(codeowners, path)) if (TEAM.test(owner)) teams.add(owner.slice(1));
  return [...teams];
}

export type OwnerKind = 'user' | 'team' | 'email';

export function ownerKind(owner: string): OwnerKind {
  return TEAM.test(owner) ? 'team' : USER.test(owner) ? 'user' : 'email';
}

/**
 * The CODEOWNERS file GitHub would use at this revision: the first of its three locations that exists,
 * parsed. `problem` says, with the file and line, why there is none that can be used.
 */
export async function readCodeowners(
  source: Source,
): Promise<{ codeowners: Codeowners; problem?: undefined } | { codeowners?: undefined; problem: string }> {
  // Asked for in one turn, so a GitHub source reads the three locations in one request.
  const reads = await Promise.all(CODEOWNERS_PATHS.map((path) => source.read(path, MAX_BYTES)));
  const found = reads.findIndex((r) => !('missing' in r));
  if (found === -1)
    return {
      problem: `there is no CODEOWNERS file on ${source.label} (${CODEOWNERS_PATHS.join(', ')}): add one, or remove the codeowners requirement`,
    };
  const file = CODEOWNERS_PATHS[found]!;
  const read = reads[found]!;
  if ('tooLarge' in read)
    return { problem: `${file} on ${source.label} is larger than GitHub's 3 MB limit for CODEOWNERS` };
  if (!('bytes' in read)) return { problem: `${file} on ${source.label} cannot be read` };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(read.bytes);
  } catch {
    return { problem: `${file} on ${source.label} is not UTF-8 text` };
  }
  try {
    return { codeowners: parseCodeowners(text, file) };
  } catch (error) {
    if (error instanceof CodeownersError) return { problem: `${error.message} (on ${source.label})` };
    throw error;
  }
}
