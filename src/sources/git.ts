import { basename, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parseData } from '../parse/yaml.js';
import type { SoaHistoryFacts } from '../soa.js';
import type { ReadResult, Source } from '../source.js';
import { closest } from '../spelling.js';

// node:child_process loads net and dgram with it: imported when git first runs, not by every check.
const childProcess = () => import('node:child_process');

/** Runs git in `cwd`; a failure becomes an error that says which git command failed and why. */
export async function git(cwd: string, args: string[]): Promise<string> {
  try {
    const run = promisify((await childProcess()).execFile);
    const { stdout } = await run('git', args, { cwd, maxBuffer: 256 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
    throw new Error(`git ${args.join(' ')} failed${stderr ? `: ${stderr.split('\n')[0]}` : ''}`);
  }
}

/**
 * The files of a git revision, read with git itself: `ls-tree` once for the listing and sizes, then
 * `cat-file --batch` for contents. For `aims-gate check --base REF`.
 */
export class GitSource implements Source {
  private tree?: Promise<Map<string, { object: string; size: number; link: boolean }>>;

  /**
   * @param root the folder being checked, anywhere inside a git work tree
   * @param prefix that folder's path from the top of the work tree ('' or ending in '/')
   */
  constructor(
    readonly root: string,
    readonly revision: string,
    readonly prefix = '',
  ) {}

  get label(): string {
    return this.revision;
  }

  get repository(): string {
    return basename(resolve(this.root));
  }

  static async resolve(root: string, revision: string): Promise<GitSource> {
    await git(root, ['rev-parse', '--git-dir']).catch(() => {
      throw new Error(
        `${root} is not in a git repository, so there is no "${revision}" to compare with: drop --base, or run it in a clone`,
      );
    });
    await git(root, ['rev-parse', '--verify', '--quiet', `${revision}^{commit}`]).catch(async () => {
      throw new Error(await missingRevision(root, revision));
    });
    return new GitSource(root, revision, await folderPrefix(root));
  }

  /**
   * A branch's commit, for a trust root: `ref` must name a branch (refs/heads/…, refs/remotes/…), or be a
   * full commit id. git resolves a short name by refs/tags/ before refs/heads/ and refs/remotes/, with only a
   * warning, so a tag named `origin/main` that any writer can push would otherwise stand in for the branch:
   * a short name that is also a tag is refused.
   */
  static async branch(root: string, ref: string): Promise<GitSource> {
    if (/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(ref)) return GitSource.resolve(root, ref);
    const commitOf = (name: string) =>
      git(root, ['rev-parse', '--verify', '--quiet', `${name}^{commit}`]).then(
        (out) => out.trim(),
        () => '',
      );
    // A name, not an expression (main~1, main@{1}): what it names is the branch's tip and nothing else.
    if (!/^[\w./-]+$/.test(ref) || ref.includes('..'))
      throw new Error(`"${ref}" is not a branch name: the trust root is a protected branch or a commit id`);
    const names = ref.startsWith('refs/') ? [ref] : [`refs/heads/${ref}`, `refs/remotes/${ref}`];
    if (!ref.startsWith('refs/') && (await commitOf(`refs/tags/${ref}`)))
      throw new Error(
        `"${ref}" is also a tag, which anyone who can push can push: name the branch in full (refs/remotes/${ref} or refs/heads/${ref}) or give a commit id`,
      );
    if (!/^refs\/(heads|remotes)\//.test(names[0]!))
      throw new Error(`"${ref}" is not a branch: the trust root is a protected branch or a commit id`);
    for (const name of names) {
      const commit = await commitOf(name);
      // Pinned: every later read is of this commit, whatever the branch points at by then.
      if (commit) return new GitSource(root, commit, await folderPrefix(root));
    }
    // Not HEAD, not main~1: what the checkout or a tag can move is no trust root.
    throw new Error(
      `"${ref}" is no branch here (${names.join(', ')}): name a protected branch, fetched (git fetch origin ${ref.replace(/^(refs\/remotes\/)?origin\//, '')}), or a commit id`,
    );
  }

  private entries() {
    this.tree ??= git(this.root, ['ls-tree', '-r', '-l', '-z', '--full-tree', this.revision]).then((out) => {
      const map = new Map<string, { object: string; size: number; link: boolean }>();
      for (const line of out.split('\0')) {
        const match = /^(\d+) blob ([0-9a-f]+)\s+(\d+)\t(.+)$/.exec(line);
        const [, mode, object, size, path] = match ?? [];
        if (object && path?.startsWith(this.prefix)) {
          // Mode 120000 is a symbolic link: its blob is the path it points to, not a document.
          map.set(path.slice(this.prefix.length), { object, size: Number(size), link: mode === '120000' });
        }
      }
      return map;
    });
    return this.tree;
  }

  async list(): Promise<string[]> {
    return [...(await this.entries()).keys()];
  }

  async read(path: string, maxBytes: number): Promise<ReadResult> {
    const entry = (await this.entries()).get(path);
    if (!entry) return { missing: true };
    if (entry.link) return { notFile: 'a symbolic link' };
    if (entry.size > maxBytes) return { tooLarge: entry.size };
    return { bytes: await catBlob(this.root, entry.object) };
  }
}

async function catBlob(cwd: string, object: string): Promise<Uint8Array> {
  const { spawn } = await childProcess();
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['cat-file', 'blob', object], { cwd });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`git cat-file blob ${object} failed`)),
    );
  });
}

/**
 * What a branch changes since it left `base`: committed changes since the merge base, plus uncommitted
 * and untracked files, the way a pull request would show them once pushed.
 */
export async function changedSince(root: string, base: string): Promise<string[]> {
  const mergeBase = (
    await git(root, ['merge-base', base, 'HEAD']).catch(async () => {
      // git says nothing when there is no common commit: what it means, and what to do, depends on the clone.
      throw new Error(
        (await isShallow(root))
          ? `${base} and HEAD have no common commit in this shallow clone, so what the branch changes cannot be told. ${await fetchHistory(root, base)}`
          : `${base} and HEAD have no common commit (unrelated histories), so what the branch changes cannot be told: pass the branch it was made from as --base`,
      );
    })
  ).trim();
  const [diff, untracked] = await Promise.all([
    git(root, ['diff', '--name-only', '-z', '--no-renames', mergeBase]),
    git(root, ['ls-files', '--others', '--exclude-standard', '--full-name', '-z']),
  ]);
  const prefix = await folderPrefix(root);
  const files = [...diff.split('\0'), ...untracked.split('\0')].filter((file) => file?.startsWith(prefix));
  return [...new Set(files.map((file) => file.slice(prefix.length)))].sort();
}

/**
 * What a shallow clone (CI's default: actions/checkout fetches one commit) needs to compare with a base: the
 * history, and the base's branch where it is a remote's, which a single-branch clone does not fetch.
 */
async function fetchHistory(root: string, revision?: string): Promise<string> {
  const remote = revision && (await remoteBranch(root, revision));
  const fetch = remote
    ? `git fetch --unshallow ${remote.remote} +refs/heads/${remote.branch}:refs/remotes/${revision}`
    : 'git fetch --unshallow';
  return `In GitHub Actions, set \`fetch-depth: 0\` on actions/checkout; elsewhere, run: ${fetch}`;
}

async function isShallow(root: string): Promise<boolean> {
  return git(root, ['rev-parse', '--is-shallow-repository']).then(
    (out) => out.trim() === 'true',
    () => false,
  );
}

/** "origin/main" as a remote and its branch, where the repository has that remote. */
async function remoteBranch(
  root: string,
  revision: string,
): Promise<{ remote: string; branch: string } | undefined> {
  const remotes = await git(root, ['remote']).catch(() => '');
  const remote = remotes.split('\n').find((name) => name && revision.startsWith(`${name}/`));
  return remote ? { remote, branch: revision.slice(remote.length + 1) } : undefined;
}

/**
 * Why a --base revision is not here, and what to do: a shallow clone needs its history; a branch of a remote
 * needs fetching; a typo gets the nearest name git knows. Never "try origin/main" to one who typed it.
 */
async function missingRevision(root: string, revision: string): Promise<string> {
  const missing = `"${revision}" is not a commit in this repository`;
  if (await isShallow(root))
    return `"${revision}" is not in this shallow clone, which holds the latest commits only. ${await fetchHistory(root, revision)}`;
  const refs = await git(root, [
    'for-each-ref',
    '--format=%(refname:short)',
    'refs/heads',
    'refs/remotes',
    'refs/tags',
  ]).catch(() => '');
  const near = closest(revision, refs.split('\n').filter(Boolean));
  if (near) return `${missing} (did you mean ${near}?)`;
  const remote = await remoteBranch(root, revision);
  if (remote) return `${missing}: fetch it first (git fetch ${remote.remote} ${remote.branch})`;
  return `${missing}: name a branch, tag or commit (git branch -a lists the branches)`;
}

async function folderPrefix(root: string): Promise<string> {
  return (await git(root, ['rev-parse', '--show-prefix'])).trim();
}

/**
 * The facts of a file's version from the local git history: the last commit of HEAD that changed it, and
 * whether the working copy differs from it. A git log records no reviews: who approved it is not known here.
 * Outside a git repository, or for a file git has never seen, there is no commit.
 */
export async function fileHistoryInGit(root: string, path: string): Promise<SoaHistoryFacts> {
  const where = 'git log of HEAD';
  const inRepo = await git(root, ['rev-parse', '--verify', '--quiet', 'HEAD']).then(
    () => true,
    () => false,
  );
  if (!inRepo) return { where };
  const [log, status] = await Promise.all([
    git(root, ['log', '-1', '--format=%H%x00%an%x00%cI', 'HEAD', '--', path]),
    git(root, ['status', '--porcelain', '--', path]),
  ]);
  const [sha, author, date] = log.trim().split('\0');
  if (!sha) return { where };
  // The version the file states at that commit and just before it: a change that kept it is flagged.
  const [committed, parent] = await Promise.all([
    versionAt(root, `${sha}:./${path}`),
    versionAt(root, `${sha}^:./${path}`),
  ]);
  return {
    where,
    commit: { sha, ...(author ? { author } : {}), ...(date ? { date } : {}) },
    ...(status.trim() ? { modified: true } : {}),
    versions: { ...(committed ? { committed } : {}), ...(parent ? { parent } : {}) },
  };
}

/** The top-level `version:` of a YAML file at a git revision ("SHA:./path"); undefined where there is none. */
async function versionAt(root: string, revision: string): Promise<string | undefined> {
  const text = await git(root, ['show', revision]).catch(() => undefined);
  if (text === undefined) return undefined;
  const parsed = parseData(text);
  if ('problem' in parsed) return undefined;
  const version = (parsed.data.value as { version?: unknown } | null)?.version;
  return typeof version === 'string' || typeof version === 'number' ? String(version) : undefined;
}

/**
 * What the report names as its source: the commit checked out at `root` and the files under `root` that differ
 * from it (modified, staged, deleted or untracked; `ignore` lists paths from `root` that are no input of it, such
 * as the log, whose chain vouches for it, and the report being written). Outside a git work tree: why not known.
 */
export async function workingTree(
  root: string,
  ignore: readonly string[] = [],
): Promise<{ commit: string; changes: string[] } | { unknown: string }> {
  const commit = await git(root, ['rev-parse', '--verify', '--quiet', 'HEAD']).then(
    (out) => out.trim(),
    () => undefined,
  );
  if (!commit) return { unknown: 'not a git work tree with a commit: no commit vouches for what was read' };
  const [status, prefix] = await Promise.all([
    git(root, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--', '.']),
    folderPrefix(root),
  ]);
  // -z: "XY path\0", and a rename's original path as one more field, which is skipped.
  const fields = status.split('\0');
  const changes = new Set<string>();
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    if (field.length < 4) continue;
    if (field[0] === 'R' || field[0] === 'C') i++;
    const path = field.slice(3);
    if (path.startsWith(prefix)) changes.add(path.slice(prefix.length));
  }
  for (const path of ignore) changes.delete(path);
  return { commit, changes: [...changes].sort() };
}
