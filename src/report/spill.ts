import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';

/** Text kept in memory up to this size; past it, written to a temporary file. */
const IN_MEMORY = 1 << 16;

/**
 * Text put aside to be written later, in order, without holding it: an output that must give one part after
 * another made alongside it (the JSON's systems after its findings) writes that part here, and reads it back
 * once. Up to 64 KiB stays in memory; the rest goes to a temporary file, removed as soon as it is opened where
 * the system allows (POSIX), else when read.
 */
export class Spill {
  #pending = '';
  #file?: { fd: number; dir: string; removed: boolean; size: number };

  write(text: string): void {
    this.#pending += text;
    if (this.#pending.length >= IN_MEMORY) this.#flush();
  }

  #flush(): void {
    if (!this.#file) {
      const dir = mkdtempSync(join(tmpdir(), 'aims-gate-'));
      const fd = openSync(join(dir, 'spill'), 'w+', 0o600);
      let removed = true;
      try {
        rmSync(dir, { recursive: true });
      } catch {
        removed = false; // Windows keeps an open file: removed once read.
      }
      this.#file = { fd, dir, removed, size: 0 };
    }
    const bytes = Buffer.from(this.#pending);
    writeSync(this.#file.fd, bytes, 0, bytes.length, this.#file.size);
    this.#file.size += bytes.length;
    this.#pending = '';
  }

  /** What was written, in pieces of about 64 KiB; once. */
  *read(): Generator<string> {
    const file = this.#file;
    if (file) {
      this.#flush();
      try {
        const buffer = Buffer.alloc(IN_MEMORY);
        const decoder = new StringDecoder('utf8');
        for (let at = 0; at < file.size; ) {
          const n = readSync(file.fd, buffer, 0, buffer.length, at);
          if (n === 0) throw new Error('the temporary file of the output ended early');
          at += n;
          yield decoder.write(buffer.subarray(0, n));
        }
        yield decoder.end();
      } finally {
        closeSync(file.fd);
        if (!file.removed) rmSync(file.dir, { recursive: true, force: true });
        this.#file = undefined;
      }
    } else {
      yield this.#pending;
      this.#pending = '';
    }
  }
}
