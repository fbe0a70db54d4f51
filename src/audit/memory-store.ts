import { type AuditEntry, type Checkpoint, serialise } from './entry.js';
import { AppendConflict, type AuditStore, type LogLine } from './store.js';

/** An audit log in memory: for tests, and the reference behaviour of the interface. */
export class MemoryStore implements AuditStore {
  readonly label = 'memory';
  readonly text: string[] = [];
  private last: Checkpoint | undefined;

  async head(): Promise<Checkpoint | undefined> {
    return this.last;
  }

  async append(entry: AuditEntry, expected: Checkpoint | undefined): Promise<Checkpoint> {
    if (this.last?.hash !== expected?.hash) throw new AppendConflict(this.last);
    this.text.push(serialise(entry).trimEnd());
    this.last = { seq: entry.seq, hash: entry.hash };
    return this.last;
  }

  async *lines(): AsyncIterable<LogLine[]> {
    yield [...this.text];
  }
}
