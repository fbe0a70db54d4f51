import { existsSync, lstatSync, statSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Actor, Subject } from '../audit/entry.js';
import { FileStore } from '../audit/file-store.js';
import { UsageError } from '../errors.js';
import { CONFIG_PATH, DEFAULT_AUDIT_LOG, loadPolicy } from '../policy/load.js';
import { git } from '../sources/git.js';
import { LocalSource } from '../sources/local.js';
import type { Evaluation } from '../types.js';

/**
 * Who is acting and on what, for audit entries written from a terminal or a pipeline. CI variables win
 * (GITHUB_ACTOR, GITHUB_REPOSITORY, GITHUB_SHA, GITHUB_REF), then git, then the operating system.
 */
export async function whoAndWhere(
  root: string,
  actorLogin?: string,
): Promise<{ actor: Actor; subject: Subject }> {
  const env = process.env;
  const fromGit = (args: string[]) =>
    git(root, args).then(
      (out) => out.trim() || undefined,
      () => undefined,
    );
  const [commit, origin, ref] = await Promise.all([
    env.GITHUB_SHA ?? fromGit(['rev-parse', 'HEAD']),
    env.GITHUB_REPOSITORY ? undefined : originRepository(root),
    env.GITHUB_REF ?? fromGit(['symbolic-ref', '-q', 'HEAD']),
  ]);
  // In a workflow run the runner sets who started it, and the entry names the run, where an auditor checks
  // that claim (anyone can set these variables on their own machine). Anything else is what someone typed or
  // who they are logged in as here, and the log says so.
  const runId = env.GITHUB_RUN_ID && /^\d+$/.test(env.GITHUB_RUN_ID) ? env.GITHUB_RUN_ID : undefined;
  const fromGitHub =
    !actorLogin &&
    env.GITHUB_ACTIONS === 'true' &&
    Boolean(env.GITHUB_ACTOR && env.GITHUB_REPOSITORY && runId);
  const login = actorLogin ?? (fromGitHub ? env.GITHUB_ACTOR! : userInfo().username);
  const actorId =
    fromGitHub && env.GITHUB_ACTOR_ID && /^\d+$/.test(env.GITHUB_ACTOR_ID)
      ? Number(env.GITHUB_ACTOR_ID)
      : undefined;
  const run = `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}/actions/runs/${runId}`;
  // A workflow run on a pull request checks out refs/pull/N/merge: what it evaluates is proposed, not merged.
  const pullRequest = /^refs\/pull\/(\d+)\//.exec(ref ?? '')?.[1];
  return {
    actor: fromGitHub
      ? { login, ...(actorId ? { id: actorId } : {}), via: 'github', run }
      : { login, via: 'typed' },
    subject: {
      repository: env.GITHUB_REPOSITORY ?? origin ?? basename(root),
      ...(commit ? { commit } : {}),
      ...(ref ? { ref } : {}),
      ...(pullRequest ? { pullRequest: Number(pullRequest) } : {}),
    },
  };
}

/**
 * The repository a path is in, as git finds its work tree: the nearest folder at or above `path` holding
 * `.github/aims-gate.yml` or `.git`, else `path` itself. `scope` is where `path` is in
 * it (absent at the root): `check models/churn` and `check` run from `models/` check what is there, with the
 * repository's configuration, and never report an empty folder as a pass.
 */
export function locate(path = '.'): { root: string; scope?: string } {
  const start = resolve(path);
  let stat: ReturnType<typeof statSync> | undefined;
  try {
    stat = statSync(start);
  } catch {
    throw new UsageError(`${path}: no such folder`);
  }
  if (!stat.isDirectory()) throw new UsageError(`${path} is a file; pass the folder it is in`);
  for (let dir = start; ; dir = dirname(dir)) {
    // A work tree's top (.git) bounds the search: a repository inside another is its own.
    if (existsSync(join(dir, CONFIG_PATH)) || existsSync(join(dir, '.git'))) return at(dir);
    if (dirname(dir) === dir) return at(start);
  }
  function at(root: string) {
    const scope = relative(root, start).split(sep).join('/');
    return scope ? { root, scope } : { root };
  }
}

/** "owner/name" of the repository at `root` by its origin remote, if it has one GitHub-shaped. */
export async function originRepository(root: string): Promise<string | undefined> {
  return repositoryOf(
    await git(root, ['remote', 'get-url', 'origin']).then(
      (out) => out.trim(),
      () => undefined,
    ),
  );
}

/** "owner/name" from a git remote URL (https or ssh). */
function repositoryOf(remote: string | undefined): string | undefined {
  return remote?.match(/[:/]([^/:]+\/[^/]+?)(?:\.git)?$/)?.[1];
}

/** The file store for `--log PATH`, else the config's `audit-log: file:PATH`, relative to the repository. */
export function fileStoreFor(
  root: string,
  log: string | undefined,
  configured = DEFAULT_AUDIT_LOG,
): FileStore {
  if (log) return fileStore(isAbsolute(log) ? log : join(process.cwd(), log));
  if (configured === 'none')
    throw new UsageError(
      'the configuration says `audit-log: none`; pass --log PATH to use a log file anyway',
    );
  if (!configured.startsWith('file:')) {
    throw new UsageError(
      `the configured audit log is ${configured}, which the GitHub Action and App write; pass --log PATH for a local file`,
    );
  }
  const path = configured.slice('file:'.length);
  return fileStore(isAbsolute(path) ? path : join(root, path));
}

/** A log file's store; a folder given for one is said plainly (reading it would fail with EISDIR). */
function fileStore(path: string): FileStore {
  const folder = (is = 'is a folder') =>
    new UsageError(
      `${shown(path)} ${is}, not an audit log: name the log file (as ${shown(join(path, 'audit-log.jsonl'))})`,
    );
  if (/[\\/]$/.test(path)) throw folder('names a folder (it ends with a slash)');
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(path, { throwIfNoEntry: false });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR')
      throw new UsageError(
        `${shown(path)} cannot be an audit log: a part of its path is a file, not a folder`,
      );
    throw error;
  }
  if (stats?.isDirectory()) throw folder();
  return new FileStore(path);
}

/** An explicit --log that is not there is a typo, not an empty log: said, where a command would read it. */
export async function givenLogExists(store: FileStore, log: string | undefined): Promise<boolean> {
  const found = await store.exists();
  if (log && !found) throw new UsageError(`there is no audit log at ${shown(store.path)} (--log ${log})`);
  return found;
}

/** The log a command works on: --log, else the one the repository's config names. */
export async function logFor(root: string, log: string | undefined): Promise<FileStore> {
  if (log) return fileStoreFor(root, log);
  return fileStoreFor(root, undefined, (await loadPolicy(new LocalSource(root))).auditLog);
}

export async function existingLog(root: string, log: string | undefined): Promise<FileStore> {
  const store = await logFor(root, log);
  if (!(await store.exists())) throw new UsageError(`there is no audit log at ${shown(store.path)}`);
  return store;
}

/**
 * Writes `--output FILE`, whole or in pieces as they are made; a folder that does not exist, or one that cannot be
 * written, is said plainly.
 */
export async function writeOutput(
  file: string,
  text: string | Uint8Array | Iterable<string> | AsyncIterable<string>,
): Promise<void> {
  // Streamed output (check writes each system as it is judged) goes to a file beside the target, renamed over it
  // only once whole: a check that fails half-way leaves no half a SARIF or JSON for the next step to upload. Only
  // a new or regular file is replaced so: /dev/stdout, a FIFO or a link is written through, as asked.
  const target = lstatSync(file, { throwIfNoEntry: false });
  const partial = !target || target.isFile() ? `${file}.partial-${process.pid}` : undefined;
  try {
    await writeFile(partial ?? file, text);
    if (partial) await rename(partial, file);
  } catch (error) {
    if (partial) await rm(partial, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new UsageError(`cannot write ${file}: the folder ${dirname(file)} does not exist`);
    if (code === 'EACCES' || code === 'EPERM' || code === 'EISDIR' || code === 'EROFS')
      throw new UsageError(`cannot write ${file} (${code}): choose another --output`);
    throw error;
  }
}

/** Why finding no AI system is an error, not a pass: where it looked, and what to do. */
export function noSystemsFound(
  root: string,
  scope: string | undefined,
  configPath: string | undefined,
): string {
  const where = scope ? `${scope} (in ${shown(root) || '.'})` : shown(root) || '.';
  return `no AI systems found in ${where}: the \`systems\` patterns of ${configPath ?? 'the default configuration'} match no folder there. Run it in the repository or a system's folder, or add a system (aims-gate init <folder>)`;
}

/**
 * A report or inventory of nothing (no AI system in the repository, no log about any) is a wrong folder or
 * a wrong config, not an empty result: said, exit 2.
 */
export function refuseNothing(root: string, evaluation: Evaluation, logFound: boolean): void {
  if (evaluation.systems.length === 0 && !logFound)
    throw new UsageError(
      `${noSystemsFound(root, undefined, evaluation.policy.configPath)}, and there is no audit log to report on`,
    );
}

/** A path as the user would type it from where they are. */
export function shown(path: string): string {
  return relative(process.cwd(), path) || path;
}
