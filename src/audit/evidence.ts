import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { isAbsolute, join, sep } from 'node:path';
import type { AuditEntry } from './entry.js';

/**
 * The files entries name as evidence (`record --evidence`, the documents an evaluation read), each as a path
 * relative to the repository with the SHA-256 it had when the entry was written. An auditor asks two things of
 * them: which files back the log, and are they still what the log says they were.
 */

/** One version of one file as the log cites it: the first and last entries citing it, and how many do. */
export interface CitedFile {
  path: string;
  sha256: string;
  first: number;
  last: number;
  entries: number;
  /** The version the log cited last for this path: the one the working tree should still hold. */
  latest: boolean;
}

/**
 * `matches`: the file has this digest; `superseded`: a later entry cites another version of the path (the file
 * was revised and the log says so); `changed` and `missing`: the version the log cited last is no longer there;
 * `refused`: the path leaves the repository (anyone who can write the log wrote it), so it is not read.
 */
export type EvidenceState = 'matches' | 'superseded' | 'changed' | 'missing' | 'refused';

export interface CheckedFile extends CitedFile {
  state: EvidenceState;
  /** The file's digest now, where it is there and differs. */
  now?: string;
}

/** Collects the cited files while entries stream past: memory grows with distinct versions, not with entries. */
export class EvidenceIndex {
  private readonly versions = new Map<string, CitedFile>();
  private readonly latest = new Map<string, CitedFile>();

  add(entry: Pick<AuditEntry, 'seq' | 'evidence'>): void {
    for (const { path, sha256 } of entry.evidence ?? []) {
      const key = `${sha256} ${path}`;
      let cited = this.versions.get(key);
      if (!cited) {
        cited = { path, sha256, first: entry.seq, last: entry.seq, entries: 0, latest: false };
        this.versions.set(key, cited);
      }
      cited.last = entry.seq;
      cited.entries++;
      const before = this.latest.get(path);
      if (!before || before.last <= entry.seq) this.latest.set(path, cited);
    }
  }

  /** Every version cited, by path, the latest of each marked. */
  files(): CitedFile[] {
    const latest = new Set(this.latest.values());
    return [...this.versions.values()]
      .map((cited) => ({ ...cited, latest: latest.has(cited) }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.first - b.first));
  }
}

export function citedFiles(entries: Iterable<Pick<AuditEntry, 'seq' | 'evidence'>>): CitedFile[] {
  const index = new EvidenceIndex();
  for (const entry of entries) index.add(entry);
  return index.files();
}

/** A file's SHA-256, read as a stream (evidence may be a large export); undefined where there is no file. */
export async function fileDigest(path: string): Promise<string | undefined> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
    throw error;
  }
  return hash.digest('hex');
}

/**
 * Each cited version against the working tree at `root`. A path from the log is read only inside the
 * repository: an absolute path, a `..`, or a link out of it is refused, never followed.
 */
export async function checkEvidence(root: string, cited: readonly CitedFile[]): Promise<CheckedFile[]> {
  const top = await realpath(root);
  const now = new Map<string, Promise<string | undefined | null>>();
  const digestOf = (path: string) => {
    let digest = now.get(path);
    if (!digest) {
      digest = inside(top, path).then((full) => (full === null ? null : full && fileDigest(full)));
      now.set(path, digest);
    }
    return digest;
  };
  return Promise.all(
    cited.map(async (file): Promise<CheckedFile> => {
      const digest = await digestOf(file.path);
      if (digest === null) return { ...file, state: 'refused' };
      if (digest === file.sha256) return { ...file, state: 'matches' };
      if (!file.latest) return { ...file, state: 'superseded' };
      if (digest === undefined) return { ...file, state: 'missing' };
      return { ...file, state: 'changed', now: digest };
    }),
  );
}

/** The real path of `path` under `top`; undefined where nothing is there, null where it leads out of `top`. */
async function inside(top: string, path: string): Promise<string | undefined | null> {
  if (!path || isAbsolute(path) || path.includes('\0') || path.split(/[\\/]/).includes('..')) return null;
  let full: string;
  try {
    full = await realpath(join(top, path));
  } catch {
    return undefined;
  }
  return full.startsWith(top + sep) ? full : null;
}

/** Problems only: the latest versions that are missing or changed, and the refused paths. */
export function evidenceProblems(checked: readonly CheckedFile[]): CheckedFile[] {
  return checked.filter((f) => f.state === 'missing' || f.state === 'changed' || f.state === 'refused');
}

/** "governance/x.md (entry 23): missing" — one line of verify and of the report. */
export function evidenceProblemWords(file: CheckedFile): string {
  const cited = file.entries === 1 ? `entry ${file.first}` : `entries ${file.first} to ${file.last}`;
  if (file.state === 'missing')
    return `${file.path} (${cited}): missing, where the log recorded SHA-256 ${file.sha256}`;
  if (file.state === 'changed')
    return `${file.path} (${cited}): changed, its SHA-256 is now ${file.now} where the log recorded ${file.sha256}`;
  return `${file.path} (${cited}): not read, the path leaves the repository`;
}
