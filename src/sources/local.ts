import { lstat, open, readdir } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { gate } from '../concurrency.js';
import type { ReadResult, Source } from '../source.js';

/** Files and folders open at once, across every LocalSource of the process: far below any `ulimit -n`. */
const FILES_AT_ONCE = 64;
const opening = gate(FILES_AT_ONCE);

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

  async read(path: string, maxBytes: number): Promise<ReadResult> {
    if (path.split('/').includes('..')) return { missing: true };
    const full = join(this.root, path);
    try {
      return await opening(async () => {
        const stat = await lstat(full);
        const special = specialFile(stat);
        if (special) return { notFile: special };
        if (!stat.isFile()) return { missing: true };
        if (stat.size > maxBytes) return { tooLarge: stat.size };
        const handle = await open(full, 'r');
        try {
          return { bytes: await handle.readFile() };
        } finally {
          await handle.close();
        }
      });
    } catch (error) {
      if (
        (error as NodeJS.ErrnoException).code === 'ENOENT' ||
        (error as NodeJS.ErrnoException).code === 'ENOTDIR'
      )
        return { missing: true };
      throw error;
    }
  }
}
