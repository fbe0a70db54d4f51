import { isAscii } from 'node:buffer';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, readlinkSync, readSync } from 'node:fs';
import { access, appendFile, mkdir, open, readdir, rm, rmdir, stat, truncate } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { type AuditEntry, type Checkpoint, checkpointOfLine, serialise } from './entry.js';
import { AppendConflict, type AuditStore, type LogBatch, type LogLine } from './store.js';

export interface FileStoreOptions {
  /** How long to wait for another process's lock before giving up (ms). */
  lockTimeout?: number;
  /** A lock older than this is taken to be left by a crashed process (ms). */
  staleLock?: number;
  /** Bytes read at a time; tests make it small so that lines straddle blocks. */
  blockSize?: number;
}

/** Bytes read at a time: enough that a read costs little per line, little enough to keep memory flat. */
const BLOCK = 1 << 20;
/**
 * Bytes decoded into lines at a time (`lines`, `linesSync`): a string of them stays under V8's large-object
 * size (128 KiB), so it and the entries parsed from it die young; a 1 MiB string is a large object only a full
 * collection frees, and reading a million entries then peaked at 152 MiB instead of 59 (and was no faster).
 */
const DECODED = 1 << 16;
const LINE_FEED = 0x0a;

/**
 * A JSON Lines file. Appends hold an exclusive lock (`<log>.lock`: see lock), so processes on one machine
 * never interleave, and write each entry as one whole line with one write and an fsync.
 */
export class FileStore implements AuditStore {
  readonly lockPath: string;
  private readonly lockTimeout: number;
  private readonly staleLock: number;
  private readonly blockSize: number;

  constructor(
    readonly path: string,
    { lockTimeout = 15_000, staleLock = 60_000, blockSize = BLOCK }: FileStoreOptions = {},
  ) {
    this.lockPath = `${path}.lock`;
    this.lockTimeout = lockTimeout;
    this.staleLock = staleLock;
    this.blockSize = blockSize;
  }

  /** Whether the log file is there at all (an empty one is there). */
  exists(): Promise<boolean> {
    return access(this.path).then(
      () => true,
      () => false,
    );
  }

  get label(): string {
    return this.path;
  }

  async head(): Promise<Checkpoint | undefined> {
    return (await explained(`read the audit log ${this.path}`, () => this.tail())).head;
  }

  append(entry: AuditEntry, expected: Checkpoint | undefined): Promise<Checkpoint> {
    return explained(`write the audit log ${this.path}`, () => this.appendLocked(entry, expected));
  }

  private async appendLocked(entry: AuditEntry, expected: Checkpoint | undefined): Promise<Checkpoint> {
    await makeFolder(dirname(this.path));
    const release = await this.lock();
    try {
      const { head, torn, unended } = await this.tail();
      if (head?.hash !== expected?.hash) throw new AppendConflict(head);
      // A whole entry that lost only its line end (an editor's doing) is kept, and ended before the next.
      if (unended) await appendFile(this.path, '\n');
      if (torn) {
        // A writer crashed mid-line. The fragment was never acknowledged; keep it beside the log, not in it.
        await appendFile(`${this.path}.torn`, Buffer.concat([torn.bytes, Buffer.from('\n')]));
        await truncate(this.path, torn.offset);
      }
      const handle = await open(this.path, 'a');
      try {
        await handle.write(serialise(entry));
        await handle.sync();
      } finally {
        await handle.close();
      }
      return { seq: entry.seq, hash: entry.hash };
    } finally {
      await release();
    }
  }

  async *lines(): AsyncIterable<LogLine[]> {
    for await (const batch of this.blocks(Math.min(this.blockSize, DECODED)))
      yield Buffer.isBuffer(batch) ? linesOf(batch) : batch;
  }

  /**
   * The same lines, read without leaving the calling function: for a fold that is no async function (the
   * nonconformity register replays the log entry by entry), so that the log streams through it instead of
   * being held whole. A block at a time; the last line as `lines` gives it.
   */
  *linesSync(): Generator<LogLine[]> {
    const fd = openSync(this.path, 'r');
    try {
      const block = Buffer.allocUnsafe(Math.min(this.blockSize, DECODED));
      let kept = Buffer.alloc(0); // an unfinished line, copied out of the block it was read into
      for (;;) {
        const read = readSync(fd, block, 0, block.length, null);
        if (read === 0) {
          if (kept.length) yield [lastLine(kept.toString('utf8'))];
          return;
        }
        const data = kept.length ? Buffer.concat([kept, block.subarray(0, read)]) : block.subarray(0, read);
        const end = data.lastIndexOf(LINE_FEED) + 1;
        kept = Buffer.from(data.subarray(end));
        if (end > 0) yield linesOf(data.subarray(0, end));
      }
    } finally {
      closeSync(fd);
    }
  }

  /**
   * The log's whole lines as their bytes, each block ending with a line feed, then a last line with no line end:
   * `torn` when a write was cut off, as text when only its line end is missing. A block is only valid until the
   * next is asked for: its buffer is read into again. The next block is read while the caller works on this
   * one, so reading costs almost nothing beside hashing.
   */
  async *blocks(size = this.blockSize): AsyncIterable<LogBatch> {
    const handle = await open(this.path, 'r');
    let current = Buffer.allocUnsafe(size);
    let spare = Buffer.allocUnsafe(size);
    let position = 0;
    let kept = 0; // bytes of an unfinished line at the start of `current`
    let reading = handle.read(current, 0, current.length, position);
    try {
      for (;;) {
        const { bytesRead } = await reading;
        position += bytesRead;
        const filled = kept + bytesRead;
        if (bytesRead === 0) {
          if (kept) yield [lastLine(current.toString('utf8', 0, kept))];
          return;
        }
        const end = current.lastIndexOf(LINE_FEED, filled - 1) + 1;
        const carried = filled - end;
        // A line longer than the buffer: read on into a larger one before anything is handed out.
        if (spare.length < carried * 2) spare = Buffer.allocUnsafe(Math.max(spare.length * 2, carried * 2));
        current.copy(spare, 0, end, filled);
        reading = handle.read(spare, carried, spare.length - carried, position);
        if (end > 0) yield current.subarray(0, end);
        [current, spare] = [spare, current];
        kept = carried;
      }
    } finally {
      // A caller that stops early leaves a read in flight: it must end before its file does.
      await reading.catch(() => {});
      await handle.close();
    }
  }

  /** The head (last complete line) and any torn fragment after it, read from the end of the file. */
  private async tail(): Promise<{
    head?: Checkpoint;
    /** A write cut off: its bytes as they are (a character may be cut in two) and where they start. */
    torn?: { bytes: Buffer; offset: number };
    /** The last line is a whole entry without its line end. */
    unended?: boolean;
  }> {
    let size: number;
    try {
      size = (await stat(this.path)).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
    const handle = await open(this.path, 'r');
    try {
      for (let window = 64 * 1024; ; window *= 4) {
        const start = Math.max(0, size - window);
        const buffer = Buffer.alloc(size - start);
        await handle.read(buffer, 0, buffer.length, start);
        // In bytes, not text: a fragment cut inside a character decodes to more bytes than it has.
        const end = buffer.lastIndexOf(LINE_FEED);
        const begin = end <= 0 ? -1 : buffer.lastIndexOf(LINE_FEED, end - 1);
        // The last complete line may start before this window: read a larger one.
        if (begin === -1 && start > 0) continue;
        const fragment = buffer.subarray(end + 1);
        const last = fragment.length ? lastLine(fragment.toString('utf8')) : undefined;
        if (typeof last === 'string') return { head: checkpointOfLine(last, this.path), unended: true };
        const torn = last ? { bytes: fragment, offset: start + end + 1 } : undefined;
        if (end === -1) return { torn };
        return { head: checkpointOfLine(buffer.toString('utf8', begin + 1, end), this.path), torn };
      }
    } finally {
      await handle.close();
    }
  }

  /**
   * Takes the lock: a directory `<log>.lock` whose only entry is this append's own token. Returns its release.
   *
   * Why not a lock file, broken by removing it: two writers that judge the same stale lock at once both remove
   * "it", and the slower removes the lock the faster has just made; both then append (a forked chain). No file
   * call removes a path only if it is still the file that was judged, and `proper-lockfile` has this very race
   * (it breaks a stale lock with rmdir, then mkdir). Here nothing is removed by what a path held a moment ago:
   * a stale holder's token is removed by its own name, unique to that holder, so it can never name a fresh lock;
   * and an empty directory, the only thing removed by path, locks nothing: a writer holds the lock only once its
   * token is in the directory and alone there, so one whose directory was removed under it, or who finds
   * another's token beside its own, steps back and tries again. An empty directory (a writer killed between
   * mkdir and its token) is therefore removed at once, not after `staleLock`.
   */
  private async lock(): Promise<() => Promise<void>> {
    const token = `${process.pid}.${here()}.${randomBytes(6).toString('hex')}`;
    const deadline = Date.now() + this.lockTimeout;
    for (let attempt = 0; ; attempt++) {
      if (await this.tryLock(token)) return () => this.unlock(token);
      if (Date.now() > deadline) {
        throw new Error(
          `the audit log ${this.path} is locked by another process (${this.lockPath}); try again, or remove ${this.lockPath} if no aims-gate is running`,
        );
      }
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(100, 5 + Math.random() * 5 * (attempt + 1))),
      );
    }
  }

  /** One attempt: whether `token` now holds the lock. On the way, removes what crashed writers left. */
  private async tryLock(token: string): Promise<boolean> {
    const made = await mkdir(this.lockPath).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'EEXIST') return false;
        throw error;
      },
    );
    if (made) {
      try {
        await (await open(join(this.lockPath, token), 'wx')).close();
      } catch (error) {
        // Removed while empty, between our mkdir and our token: try again.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw error;
      }
    }
    let others: string[];
    try {
      others = (await readdir(this.lockPath)).filter((name) => name !== token);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // An older aims-gate's lock file, never broken here (its holder is judged by rules this one has not), or
      // a lock released since mkdir.
      if (code === 'ENOTDIR' || code === 'ENOENT') return false;
      throw error;
    }
    if (made && others.length === 0) return true;
    if (made) await rm(join(this.lockPath, token), { force: true });
    for (const name of others) {
      if (await this.isStale(name)) await rm(join(this.lockPath, name), { force: true });
    }
    await this.removeIfEmpty();
    return false;
  }

  private async unlock(token: string): Promise<void> {
    await rm(join(this.lockPath, token), { force: true });
    await this.removeIfEmpty();
  }

  /** Removes the lock directory if no token is in it: always safe, since an empty directory locks nothing. */
  private async removeIfEmpty(): Promise<void> {
    await rmdir(this.lockPath).catch((error: NodeJS.ErrnoException) => {
      if (!['ENOTEMPTY', 'EEXIST', 'ENOENT', 'ENOTDIR'].includes(error.code ?? '')) throw error;
    });
  }

  /**
   * Whether a token was left by a crash: older than `staleLock`, or naming a process that is gone. A pid is
   * judged only where it was written (the same host and pid namespace): a writer in another container sharing
   * the log's folder has pids this one cannot see, and is alive though `kill` says ESRCH.
   */
  private async isStale(name: string): Promise<boolean> {
    let modified: number;
    try {
      modified = (await stat(join(this.lockPath, name))).mtimeMs;
    } catch {
      return false; // released between our attempts
    }
    if (Date.now() - modified > this.staleLock) return true;
    const [pid, where] = name.split('.');
    if (where !== here() || !/^[1-9]\d*$/.test(pid ?? '')) return false;
    try {
      process.kill(Number(pid), 0);
      return false;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ESRCH';
    }
  }
}

/**
 * Where this process's pid means what it says: its host and, on Linux, its pid namespace (hashed, so that a
 * token is a plain file name).
 */
let where: string | undefined;
function here(): string {
  if (where === undefined) {
    let namespace = '';
    try {
      namespace = readlinkSync('/proc/self/ns/pid');
    } catch {
      // not Linux: the host alone
    }
    where = createHash('sha256').update(`${hostname()}\n${namespace}`).digest('hex').slice(0, 16);
  }
  return where;
}

/**
 * mkdir -p, one level at a time: Node 20's recursive mkdir never returns for a path it cannot create
 * under /proc, and a log path is user input.
 */
async function makeFolder(dir: string): Promise<void> {
  try {
    await mkdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code !== 'ENOENT' || dirname(dir) === dir) throw error;
    await makeFolder(dirname(dir));
    await mkdir(dir).catch((again: NodeJS.ErrnoException) => {
      if (again.code !== 'EEXIST') throw again;
    });
  }
}

/** A file-system error, said with what was being done (the message already names the path). */
async function explained<T>(doing: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!code) throw error;
    throw new Error(`cannot ${doing}: ${(error as Error).message.replace(/^\w+: /, '')}`, { cause: error });
  }
}

/** The lines of a block of whole lines (it ends with a line feed), decoded. */
function linesOf(batch: Buffer): string[] {
  // Whole lines only, so no character is split; most logs are ASCII, which decodes byte for byte.
  const text = isAscii(batch)
    ? batch.toString('latin1', 0, batch.length - 1)
    : batch.toString('utf8', 0, batch.length - 1);
  return text.split('\n');
}

/**
 * A last line with no line end: a write cut off (torn), or a whole entry whose line end alone is missing. JSON
 * tells them apart: no cut-off prefix of an object's JSON is itself JSON, since the object closes only at its end.
 */
function lastLine(text: string): LogLine {
  try {
    JSON.parse(text);
    return text;
  } catch {
    return { torn: text };
  }
}
