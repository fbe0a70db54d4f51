import { createHash } from 'node:crypto';
import { type FileHandle, open, realpath } from 'node:fs/promises';
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

/**
 * Versions of one file kept: the latest cited, and every version a record cites (each must still be there). An
 * earlier document version, superseded, is counted, not kept.
 */
export const VERSIONS_KEPT = 10;

const SHA256_HEX = /^[0-9a-f]{64}$/;
const DIGEST = 32;

/**
 * The versions of one cited file, in numbers: a digest in hex as its 32 bytes in a buffer (one written as no
 * SHA-256 hex is kept as written), the first and last entries citing it, how many do, whether a record does,
 * and when it was cited last among them; and the latest version an evaluation or documentation change cites,
 * with that entry. A citation allocates nothing the heap would keep.
 */
class Versions {
  digests = Buffer.alloc(DIGEST);
  readonly written: (string | undefined)[] = [];
  readonly first: number[] = [];
  readonly last: number[] = [];
  readonly entries: number[] = [];
  readonly record: boolean[] = [];
  readonly tick: number[] = [];
  judged = -1;
  judgedBy?: Superseder;

  constructor(readonly path: string) {}

  /** The slot of the digest in `scratch` (hex) or `sha256` (not hex), or -1. */
  find(hex: boolean, scratch: Buffer, sha256: string): number {
    for (let i = 0; i < this.first.length; i++)
      if (
        hex
          ? this.written[i] === undefined &&
            scratch.compare(this.digests, i * DIGEST, (i + 1) * DIGEST, 0, DIGEST) === 0
          : this.written[i] === sha256
      )
        return i;
    return -1;
  }

  /**
   * A slot for a new version: a free one, or that of the document version cited least recently (returned as
   * `evicted`); a record's version and the latest judged are never evicted, so past VERSIONS_KEPT of those
   * the slots grow (records are people's acts: few).
   */
  slot(): { at: number; evicted: boolean } {
    const used = this.first.length;
    let oldest = -1;
    if (used >= VERSIONS_KEPT)
      for (let i = 0; i < used; i++)
        if (!this.record[i] && i !== this.judged && (oldest === -1 || this.tick[i]! < this.tick[oldest]!))
          oldest = i;
    if (oldest !== -1) return { at: oldest, evicted: true };
    if (this.digests.length < (used + 1) * DIGEST) {
      const grown = Buffer.alloc(Math.max(used + 1, used * 2) * DIGEST);
      this.digests.copy(grown);
      this.digests = grown;
    }
    return { at: used, evicted: false };
  }

  sha256(i: number): string {
    return this.written[i] ?? this.digests.toString('hex', i * DIGEST, (i + 1) * DIGEST);
  }
}

/**
 * Collects the cited files while entries stream past: per file, its VERSIONS_KEPT versions cited last (the
 * latest among them) and every version a record cites, so that memory grows with the files, not with the
 * entries (an evaluation per commit cites a new version of the same card each time). A document version cited
 * again after VERSIONS_KEPT others of its file is counted from there on.
 */
export class EvidenceIndex {
  private readonly paths = new Map<string, Versions>();
  private readonly scratch = Buffer.alloc(DIGEST);
  private ticks = 0;
  /** Document versions not kept: superseded, every one (the latest and records' are always kept). */
  omitted = 0;

  add(
    entry: Pick<AuditEntry, 'seq' | 'evidence'> & Partial<Pick<AuditEntry, 'type' | 'actor' | 'sig'>>,
  ): void {
    const judging = JUDGING_DOCUMENTS.has(entry.type ?? '');
    for (const { path, sha256 } of entry.evidence ?? []) {
      let versions = this.paths.get(path);
      if (!versions) {
        versions = new Versions(path);
        this.paths.set(path, versions);
      }
      const hex = SHA256_HEX.test(sha256);
      if (hex) this.scratch.write(sha256, 'hex');
      let i = versions.find(hex, this.scratch, sha256);
      if (i === -1) {
        const { at, evicted } = versions.slot();
        if (evicted) this.omitted++;
        i = at;
        if (hex) this.scratch.copy(versions.digests, i * DIGEST);
        versions.written[i] = hex ? undefined : sha256;
        versions.first[i] = entry.seq;
        versions.entries[i] = 0;
        versions.record[i] = false;
      }
      versions.last[i] = entry.seq;
      versions.entries[i]!++;
      versions.tick[i] = this.ticks++;
      if (!judging) versions.record[i] = true;
      else if (!versions.judgedBy || versions.judgedBy.seq <= entry.seq) {
        versions.judged = i;
        versions.judgedBy = {
          seq: entry.seq,
          type: entry.type ?? '',
          login: entry.actor?.login ?? 'unknown',
          signed: entry.sig !== undefined,
        };
      }
    }
  }

  /**
   * Every version kept, by path: a document's latest marked (the latest judged, or the one cited last where no
   * evaluation cites the file), an earlier document version with the entry superseding it.
   */
  files(): CitedFile[] {
    return [...this.paths.values()]
      .flatMap((versions) => {
        const latest =
          versions.judged !== -1 ? versions.judged : versions.tick.indexOf(Math.max(...versions.tick));
        return versions.first.map(
          (first, i): CitedFile => ({
            path: versions.path,
            sha256: versions.sha256(i),
            first,
            last: versions.last[i]!,
            entries: versions.entries[i]!,
            record: versions.record[i]!,
            latest: i === latest,
            ...(i !== latest && !versions.record[i] && versions.judgedBy
              ? { supersededBy: versions.judgedBy }
              : {}),
          }),
        );
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

/**
 * A file's SHA-256, read a block at a time into one buffer (evidence may be a large export, and the report
 * digests its log of a million entries: a stream's new buffer per chunk was 40 MiB of a report's peak);
 * undefined where there is no file.
 */
export async function fileDigest(path: string): Promise<string | undefined> {
  const hash = createHash('sha256');
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
    const block = Buffer.allocUnsafe(1 << 16);
    for (;;) {
      const { bytesRead } = await handle.read(block, 0, block.length, null);
      if (bytesRead === 0) break;
      hash.update(block.subarray(0, bytesRead));
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
    throw error;
  } finally {
    await handle?.close();
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
