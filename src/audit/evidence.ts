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

/**
 * Entries that judge documents as they are (an evaluation, a documentation change): a later one citing another
 * version of a document supersedes the earlier. Every other entry is a record (minutes of a review, an audit's
 * report, what a closure rests on), and a record's evidence is kept as it was: a file it cites is never
 * superseded, whatever a later entry cites (7.5.3: records are protected from alteration; a revision is a new file).
 */
const JUDGING_DOCUMENTS = new Set(['evaluated', 'documents.changed']);

/** The entry that cites a later version of a document: which, and who wrote it. */
export interface Superseder {
  seq: number;
  type: string;
  login: string;
  signed: boolean;
}

/** One version of one file as the log cites it: the first and last entries citing it, and how many do. */
export interface CitedFile {
  path: string;
  sha256: string;
  first: number;
  last: number;
  entries: number;
  /** Cited by a record (any entry but an evaluation or a documentation change): it cannot be superseded. */
  record: boolean;
  /** The version the log cited last for this path: the one the working tree should still hold. */
  latest: boolean;
  /** Where a later evaluation or documentation change cites another version of this document: that entry. */
  supersededBy?: Superseder;
}

/**
 * `matches`: the file has this digest; `superseded`: a later evaluation or documentation change cites another
 * version of the document (it was revised and the log says so); `changed` and `missing`: the version a record
 * cites, or a document's latest, is no longer there; `refused`: the path leaves the repository (anyone who can
 * write the log wrote it), so it is not read.
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
  /** Per path, the latest version an evaluation or documentation change cites, and that entry. */
  private readonly judged = new Map<string, { cited: CitedFile; by: Superseder }>();

  add(
    entry: Pick<AuditEntry, 'seq' | 'evidence'> & Partial<Pick<AuditEntry, 'type' | 'actor' | 'sig'>>,
  ): void {
    const judging = JUDGING_DOCUMENTS.has(entry.type ?? '');
    for (const { path, sha256 } of entry.evidence ?? []) {
      const key = `${sha256} ${path}`;
      let cited = this.versions.get(key);
      if (!cited) {
        cited = { path, sha256, first: entry.seq, last: entry.seq, entries: 0, record: false, latest: false };
        this.versions.set(key, cited);
      }
      cited.last = entry.seq;
      cited.entries++;
      if (!judging) {
        cited.record = true;
        continue;
      }
      const before = this.judged.get(path);
      if (!before || before.by.seq <= entry.seq)
        this.judged.set(path, {
          cited,
          by: {
            seq: entry.seq,
            type: entry.type ?? '',
            login: entry.actor?.login ?? 'unknown',
            signed: entry.sig !== undefined,
          },
        });
    }
  }

  /** Every version cited, by path; a document's latest marked, an earlier one with the entry superseding it. */
  files(): CitedFile[] {
    return [...this.versions.values()]
      .map((cited): CitedFile => {
        const judged = this.judged.get(cited.path);
        const latest = !judged || judged.cited === cited;
        return {
          ...cited,
          latest,
          ...(latest || cited.record || !judged ? {} : { supersededBy: judged.by }),
        };
      })
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.first - b.first));
  }
}

export function citedFiles(
  entries: Iterable<Pick<AuditEntry, 'seq' | 'evidence'> & Partial<Pick<AuditEntry, 'type'>>>,
): CitedFile[] {
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
      if (file.supersededBy) return { ...file, state: 'superseded' };
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

/** Problems only: the versions records cite and documents' latest that are missing or changed, and the refused paths. */
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

/** "superseded by entry 29 (evaluated, written by the gate, signed)": which entry revised the document, and who. */
export function supersededWords(file: CitedFile): string {
  const by = file.supersededBy;
  return by
    ? `superseded by entry ${by.seq} (${by.type}, written by ${by.login}, ${by.signed ? 'signed' : 'unsigned'}), which cites a later version`
    : 'superseded';
}
