/** Files at one revision: the working tree, a git ref, or a commit read through the GitHub API. */
export interface Source {
  /** How messages name this revision, e.g. "working tree" or "origin/main". */
  readonly label: string;
  /**
   * The repository's name (its folder, or its name on GitHub): the id of an AI system at the repository's
   * root whose documents state none, as a Hub repository is one model.
   */
  readonly repository?: string;
  /** Every file path (POSIX, relative to the repository root). */
  list(): Promise<string[]>;
  /** One file; files larger than `maxBytes`, and what is not a regular file, are not read at all. */
  read(path: string, maxBytes: number): Promise<ReadResult>;
}

/**
 * What reading one path gave. `notFile` says what stands there instead of a regular file ("a symbolic
 * link", "a FIFO (named pipe)", …): a document's path must hold the document itself, never something that
 * points elsewhere or blocks the reader.
 */
export type ReadResult =
  | { bytes: Uint8Array }
  | { missing: true }
  | { tooLarge: number }
  | { notFile: string };

/** A Source over files held in memory: for tests, and for anything that already has the bytes. */
export class MemorySource implements Source {
  private readonly files: Map<string, Uint8Array>;

  constructor(
    files: Record<string, string | Uint8Array>,
    readonly label = 'memory',
  ) {
    this.files = new Map(
      Object.entries(files).map(([path, content]) => [
        path,
        typeof content === 'string' ? new TextEncoder().encode(content) : content,
      ]),
    );
  }

  async list(): Promise<string[]> {
    return [...this.files.keys()];
  }

  async read(path: string, maxBytes: number): Promise<ReadResult> {
    const bytes = this.files.get(path);
    if (!bytes) return { missing: true };
    return bytes.byteLength > maxBytes ? { tooLarge: bytes.byteLength } : { bytes };
  }
}
