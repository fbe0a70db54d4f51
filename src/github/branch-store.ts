import { posix } from 'node:path';
import { type AuditEntry, type Checkpoint, checkpointOfLine, serialise } from '../audit/entry.js';
import { AppendConflict, type Attachment, type AuditStore, type LogLine } from '../audit/store.js';
import { isReleaseBranch } from '../deployment.js';
import type { GitHub } from './octokit.js';
import { GitHubSource } from './source.js';

/** GraphQL gives a blob's text up to 512 KiB. */
const GRAPHQL_TEXT = 512 * 1024;

export interface BranchLocation {
  owner: string;
  repo: string;
  /** The branch that holds only the log, e.g. aims-audit-log. */
  branch: string;
  /** The log's path on that branch. */
  path?: string;
  /** Release branches (names or globs) the log must never be written to. */
  reserved?: string[];
}

/** Why a branch name is not one `git check-ref-format --branch` accepts, or undefined if it is. */
export function refFormatProblem(branch: string): string | undefined {
  if (branch === '' || branch === '@') return 'is empty or "@"';
  if (branch.startsWith('-')) return 'starts with "-"';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what git refuses
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(branch))
    return 'has a space, a control character or one of ~ ^ : ? * [ \\';
  if (branch.includes('..') || branch.includes('@{') || branch.includes('//'))
    return 'has "..", "@{" or "//"';
  if (branch.startsWith('/') || branch.endsWith('/') || branch.endsWith('.'))
    return 'starts or ends with "/", or ends with "."';
  if (branch.split('/').some((part) => part.startsWith('.') || part.endsWith('.lock')))
    return 'has a part that starts with "." or ends with ".lock"';
  return undefined;
}

/** The log was refused a branch that is not its own: nothing was written. */
export class AuditBranchRefused extends Error {
  constructor(branch: string, why: string) {
    super(
      `the audit log cannot be written to branch ${JSON.stringify(branch)}: it ${why}. The log needs a branch of its own, e.g. audit-log: branch:aims-audit-log; nothing was written`,
    );
    this.name = 'AuditBranchRefused';
  }
}

interface Snapshot {
  commit?: string;
  tree?: string;
  text: string;
  head?: Checkpoint;
}

/**
 * The audit log as a file on a git branch, written through the Git Data API: blob, tree on `base_tree`,
 * commit, then the ref moved with `force: false`. GitHub answers 422 "Update is not a fast forward" when
 * another writer moved the ref first: that is the compare-and-swap, reported as AppendConflict so that
 * `record` re-reads the head and re-seals its entry.
 */
export class BranchStore implements AuditStore {
  private readonly path: string;
  /** What `head()` read, reused by the `append` that follows it. */
  private seen?: Snapshot;
  /** The check that the branch is the log's own, made once before the first write. */
  private dedicated?: Promise<void>;
  /** The repository's address on GitHub, as GitHub gives it (`html_url`: GitHub Enterprise's too). */
  private htmlUrl?: string;

  constructor(
    private readonly github: GitHub,
    private readonly at: BranchLocation,
  ) {
    this.path = at.path ?? 'audit-log.jsonl';
  }

  get label(): string {
    return `${this.at.owner}/${this.at.repo}@${this.at.branch}:${this.path}`;
  }

  async head(): Promise<Checkpoint | undefined> {
    this.seen = await this.read();
    return this.seen.head;
  }

  async append(entry: AuditEntry, expected: Checkpoint | undefined): Promise<Checkpoint> {
    return this.appendBatch([entry], expected);
  }

  /** A file kept beside the log, on the branch: its address on GitHub. */
  fileUrl(path: string): string {
    const { owner, repo, branch } = this.at;
    const where = [...branch.split('/'), ...this.beside(path).split('/')].map(encodeURIComponent).join('/');
    return `${this.htmlUrl ?? `https://github.com/${owner}/${repo}`}/blob/${where}`;
  }

  /** A path from the log's folder (a central audit repository keeps each repository's log in a folder). */
  private beside(path: string): string {
    return posix.join(posix.dirname(this.path), path);
  }

  /**
   * Several entries, chained in order after `expected`, in one commit: one compare-and-swap for them all; and
   * the files kept beside them, in that same commit, so that the log never names a file the branch lacks.
   */
  async appendBatch(
    entries: AuditEntry[],
    expected: Checkpoint | undefined,
    files: readonly Attachment[] = [],
  ): Promise<Checkpoint> {
    this.dedicated ??= this.checkDedicated();
    await this.dedicated;
    const state = this.seen?.head?.hash === expected?.hash ? this.seen! : await this.read();
    this.seen = undefined;
    if (state.head?.hash !== expected?.hash) throw new AppendConflict(state.head);
    const { owner, repo, branch } = this.at;
    const git = this.github.rest.git;
    const blob = await git.createBlob({
      owner,
      repo,
      content: state.text + entries.map(serialise).join(''),
      encoding: 'utf-8',
    });
    // Files go inline (`content`): GitHub makes their blobs with the tree, one request for them all.
    const tree = await git.createTree({
      owner,
      repo,
      ...(state.tree ? { base_tree: state.tree } : {}),
      tree: [
        { path: this.path, mode: '100644', type: 'blob', sha: blob.data.sha },
        ...files.map((f) => ({
          path: this.beside(f.path),
          mode: '100644' as const,
          type: 'blob' as const,
          content: f.content,
        })),
      ],
    });
    const [first, last] = [entries[0]!, entries.at(-1)!];
    const commit = await git.createCommit({
      owner,
      repo,
      message:
        entries.length === 1
          ? `audit: ${first.type}${first.subject.system ? ` ${first.subject.system}` : ''} (entry ${first.seq})`
          : `audit: ${last.type}${last.subject.system ? ` ${last.subject.system}` : ''} and ${entries.length - 1} more (entries ${first.seq}–${last.seq})`,
      tree: tree.data.sha,
      parents: state.commit ? [state.commit] : [],
    });
    try {
      if (state.commit)
        await git.updateRef({ owner, repo, ref: `heads/${branch}`, sha: commit.data.sha, force: false });
      else await git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha: commit.data.sha });
    } catch (error) {
      // Not a fast forward, or the branch was created meanwhile: another writer won.
      if ((error as { status?: number }).status === 422) throw new AppendConflict();
      throw error;
    }
    return { seq: last.seq, hash: last.hash };
  }

  async *lines(): AsyncIterable<LogLine[]> {
    // One GraphQL read of the log at the branch's head (a reader needs no commit to append to); a log past what
    // GraphQL gives as text is read through the Git Data API.
    const { owner, repo, branch } = this.at;
    const source = new GitHubSource(this.github, { owner, repo, commit: `refs/heads/${branch}` }, this.label);
    const read = await source.read(this.path, GRAPHQL_TEXT);
    const text =
      'bytes' in read
        ? new TextDecoder().decode(read.bytes)
        : 'missing' in read
          ? ''
          : (await this.read()).text;
    const lines: LogLine[] = text.split('\n');
    const last = lines.pop() as string;
    if (last) lines.push({ torn: last });
    yield lines;
  }

  /**
   * Refuses a branch that is not the log's alone: one git would not name, the default branch, a release
   * branch, or a protected one (a log there would be a commit onto what is deployed, or blocked).
   */
  private async checkDedicated(): Promise<void> {
    const { owner, repo, branch } = this.at;
    const format = refFormatProblem(branch);
    if (format) throw new AuditBranchRefused(branch, `${format}, which git refuses in a branch name`);
    if (isReleaseBranch(branch, this.at.reserved ?? []))
      throw new AuditBranchRefused(branch, 'is a release branch');
    const [repository, existing] = await Promise.all([
      this.github.rest.repos.get({ owner, repo }),
      this.github.rest.repos.getBranch({ owner, repo, branch }).catch((error: { status?: number }) => {
        if (error.status === 404) return undefined;
        throw error;
      }),
    ]);
    this.htmlUrl = repository.data.html_url;
    if (repository.data.default_branch.toLowerCase() === branch.toLowerCase())
      throw new AuditBranchRefused(branch, `is the default branch of ${owner}/${repo}`);
    if (existing?.data.protected) throw new AuditBranchRefused(branch, 'is a protected branch');
  }

  /** The branch's head commit and the log on it: ref, commit, tree, blob. A missing branch is an empty log. */
  private async read(): Promise<Snapshot> {
    const { owner, repo, branch } = this.at;
    const git = this.github.rest.git;
    let commit: string;
    try {
      commit = (await git.getRef({ owner, repo, ref: `heads/${branch}` })).data.object.sha;
    } catch (error) {
      if ((error as { status?: number }).status === 404) return { text: '' };
      throw error;
    }
    const tree = (await git.getCommit({ owner, repo, commit_sha: commit })).data.tree.sha;
    const entry = (await git.getTree({ owner, repo, tree_sha: tree })).data.tree.find(
      (item) => item.path === this.path,
    );
    if (!entry?.sha) return { commit, tree, text: '' };
    const blob = await git.getBlob({ owner, repo, file_sha: entry.sha });
    const text = Buffer.from(blob.data.content, 'base64').toString('utf8');
    const complete = text.endsWith('\n') ? text : text.slice(0, text.lastIndexOf('\n') + 1);
    const last = complete.slice(complete.lastIndexOf('\n', complete.length - 2) + 1, -1);
    return { commit, tree, text, head: last ? checkpointOfLine(last, this.label) : undefined };
  }
}
