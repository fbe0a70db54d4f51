import { isAscii } from 'node:buffer';
import { access, appendFile, mkdir, open, readFile, rm, stat, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
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
const LINE_FEED = 0x0a;

/**
 * A JSON Lines file. Appends hold an exclusive lock file (`<log>.lock`, created with O_EXCL), so processes
 * on one machine never interleave, and write each entry as one whole line with one write and an fsync.
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
    for await (const batch of this.blocks()) {
      if (!Buffer.isBuffer(batch)) {
        yield batch;
        continue;
      }
      // Whole lines only, so no character is split; most logs are ASCII, which decodes byte for byte.
      const text = isAscii(batch)
        ? batch.toString('latin1', 0, batch.length - 1)
        : batch.toString('utf8', 0, batch.length - 1);
      yield text.split('\n');
    }
  }

  /**
   * The log's whole lines as their bytes, each block ending with a line feed, then a last line with no line end:
   * `torn` when a write was cut off, as text when only its line end is missing. A block is only valid until the
   * next is asked for: its buffer is read into again. The next block is read while the caller works on this
   * one, so reading costs almost nothing beside hashing.
   */
  async *blocks(): AsyncIterable<LogBatch> {
    const handle = await open(this.path, 'r');
    let current = Buffer.allocUnsafe(this.blockSize);
    let spare = Buffer.allocUnsafe(this.blockSize);
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

  private async lock(): Promise<() => Promise<void>> {
    const deadline = Date.now() + this.lockTimeout;
    for (let attempt = 0; ; attempt++) {
      try {
        const handle = await open(this.lockPath, 'wx');
        await handle.writeFile(`${process.pid}\n`);
        await handle.close();
        return () => rm(this.lockPath, { force: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      if (await this.lockIsStale()) {
        await rm(this.lockPath, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `the audit log ${this.path} is locked by another process (${this.lockPath}); try again, or remove the lock if no aims-gate is running`,
        );
      }
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(100, 5 + Math.random() * 5 * (attempt + 1))),
      );
    }
  }

  /** A lock whose process is gone, or that is older than `staleLock`, was left by a crash. */
  private async lockIsStale(): Promise<boolean> {
    try {
      const [info, text] = await Promise.all([stat(this.lockPath), readFile(this.lockPath, 'utf8')]);
      if (Date.now() - info.mtimeMs > this.staleLock) return true;
      const pid = Number(text.trim());
      if (!pid) return false; // being written right now
      try {
        process.kill(pid, 0);
        return false;
      } catch (error) {
        return (error as NodeJS.ErrnoException).code === 'ESRCH';
      }
    } catch {
      return false; // released between our attempts
    }
  }
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
