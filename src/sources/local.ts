import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { gate } from '../concurrency.js';
import type { ReadResult, Source } from '../source.js';

/** Files and folders open at once, across every LocalSource of the process: far below any `ulimit -n`. */
const FILES_AT_ONCE = 64;
const opening = gate(FILES_AT_ONCE);
/** Where the platform has them (not Windows, which then checks for a link with lstat first). */
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;
const NON_BLOCKING = constants.O_NONBLOCK ?? 0;

const SKIPPED = new Set([
  '.git',
  'node_modules',
  '.venv',
  'venv',
  '__pycache__',
  '.mypy_cache',
  '.pytest_cache',
  '.tox',
]);

/**
 * What stands at a path instead of a regular file, in words for a message; undefined for a file or folder.
 * Such paths are listed (a document's name holding one is then refused by name), never read or followed.
 */
export function specialFile(entry: {
  isSymbolicLink(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isBlockDevice(): boolean;
  isCharacterDevice(): boolean;
}): string | undefined {
  if (entry.isSymbolicLink()) return 'a symbolic link';
  if (entry.isFIFO()) return 'a FIFO (named pipe)';
  if (entry.isSocket()) return 'a socket';
  if (entry.isBlockDevice() || entry.isCharacterDevice()) return 'a device';
  return undefined;
}

/** The files of a folder on disk: the working tree, for `aims-gate check`. Symlinks are not followed. */
export class LocalSource implements Source {
  readonly label: string;
  readonly repository: string;

  constructor(
    readonly root: string,
    label = 'working tree',
  ) {
    this.label = label;
    this.repository = basename(resolve(root));
  }

  async list(): Promise<string[]> {
    const files: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      const entries = await opening(() => readdir(dir, { withFileTypes: true }));
      await Promise.all(
        entries.map(async (entry) => {
          const full = join(dir, entry.name);
          if (entry.isDirectory() && !SKIPPED.has(entry.name)) await walk(full);
          else if (entry.isFile() || specialFile(entry))
            files.push(relative(this.root, full).split(sep).join('/'));
        }),
      );
    };
    await walk(this.root);
    return files.sort();
  }

  /**
   * One document, in four system calls (open, fstat, read, close) made synchronously: a check has nothing else
   * to do meanwhile, and each asynchronous call was a trip through libuv's thread pool (five a file with an
   * lstat first, a tenth of a check of 2,000 cards). O_NOFOLLOW refuses a symbolic link where lstat found it, and
   * O_NONBLOCK opens a FIFO without waiting for a writer, so fstat can name it before anything is read.
   */
  async read(path: string, maxBytes: number): Promise<ReadResult> {
    if (path.split('/').includes('..')) return { missing: true };
    const full = join(this.root, path);
    let fd: number;
    try {
      if (!NO_FOLLOW && lstatSync(full).isSymbolicLink()) return { notFile: 'a symbolic link' };
      fd = openSync(full, constants.O_RDONLY | NO_FOLLOW | NON_BLOCKING);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ELOOP') return { notFile: 'a symbolic link' };
      if (code === 'ENXIO') return { notFile: 'a socket' };
      if (code === 'ENOENT' || code === 'ENOTDIR') return { missing: true };
      throw error;
    }
    try {
      const stat = fstatSync(fd);
      const special = specialFile(stat);
      if (special) return { notFile: special };
      if (!stat.isFile()) return { missing: true };
      if (stat.size > maxBytes) return { tooLarge: stat.size };
      const bytes = Buffer.allocUnsafe(stat.size);
      let read = 0;
      for (let n = 1; read < bytes.length && n > 0; read += n)
        n = readSync(fd, bytes, read, bytes.length - read, read);
      return { bytes: read === bytes.length ? bytes : bytes.subarray(0, read) };
    } finally {
      closeSync(fd);
    }
  }
}
