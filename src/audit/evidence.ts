import { createHash } from 'node:crypto';
import { type FileHandle, open, realpath } from 'node:fs/promises';
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

/** Versions of one file kept: the latest cited. An earlier one is counted as superseded, not kept. */
export const VERSIONS_KEPT = 10;

const SHA256_HEX = /^[0-9a-f]{64}$/;
const DIGEST = 32;

/**
 * The versions of one cited file, in numbers: a digest in hex as its 32 bytes in a buffer (one written as no
 * SHA-256 hex is kept as written), the first and last entries citing it, how many do, and when it was cited
 * last among them. A citation allocates nothing the heap would keep.
 */
class Versions {
  digests = Buffer.alloc(DIGEST);
  readonly written: (string | undefined)[] = [];
  readonly first: number[] = [];
  readonly last: number[] = [];
  readonly entries: number[] = [];
  readonly tick: number[] = [];

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

  /** A slot for a new version: a free one, or that of the version cited least recently (returned as `evicted`). */
  slot(): { at: number; evicted: boolean } {
    const used = this.first.length;
    if (used < VERSIONS_KEPT) {
      if (this.digests.length < (used + 1) * DIGEST) {
        const grown = Buffer.alloc(Math.min(VERSIONS_KEPT, used * 2) * DIGEST);
        this.digests.copy(grown);
        this.digests = grown;
      }
      return { at: used, evicted: false };
    }
    return { at: this.tick.indexOf(Math.min(...this.tick)), evicted: true };
  }

  sha256(i: number): string {
    return this.written[i] ?? this.digests.toString('hex', i * DIGEST, (i + 1) * DIGEST);
  }
}

/**
 * Collects the cited files while entries stream past: per file, its VERSIONS_KEPT versions cited last (the
 * latest among them), so that memory grows with the files, not with the entries (an evaluation per commit
 * cites a new version of the same card each time). A version cited again after VERSIONS_KEPT others of its
 * file is counted from there on.
 */
export class EvidenceIndex {
  private readonly paths = new Map<string, Versions>();
  private readonly scratch = Buffer.alloc(DIGEST);
  private ticks = 0;
  /** Versions not kept: superseded, every one (the latest is always kept). */
  omitted = 0;

  add(entry: Pick<AuditEntry, 'seq' | 'evidence'>): void {
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
      }
      versions.last[i] = entry.seq;
      versions.entries[i]!++;
      versions.tick[i] = this.ticks++;
    }
  }

  /** Every version kept, by path, the latest (the one cited last) of each marked. */
  files(): CitedFile[] {
    return [...this.paths.values()]
      .flatMap((versions) => {
        const latest = versions.tick.indexOf(Math.max(...versions.tick));
        return versions.first.map((first, i) => ({
          path: versions.path,
          sha256: versions.sha256(i),
          first,
          last: versions.last[i]!,
          entries: versions.entries[i]!,
          latest: i === latest,
        }));
      })
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.first - b.first));
  }
}

export function citedFiles(entries: Iterable<Pick<AuditEntry, 'seq' | 'evidence'>>): CitedFile[] {
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
