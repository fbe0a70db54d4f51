import type { AuditEntry } from './entry.js';
import type { AuditStore } from './store.js';

export interface EntryFilter {
  system?: string;
  type?: string;
  /** YYYY-MM-DD or an ISO time: entries at or after it. */
  since?: string;
}

/** The entries of a log that match a filter; lines that are not entries are passed to `onBadLine`, not dropped silently. */
export async function* readEntries(
  store: Pick<AuditStore, 'lines'>,
  filter: EntryFilter = {},
  onBadLine: (line: number, text: string) => void = () => {},
): AsyncIterable<AuditEntry> {
  let line = 0;
  for await (const batch of store.lines())
    for (const text of batch) {
      line++;
      if (typeof text !== 'string') {
        onBadLine(line, text.torn);
        continue;
      }
      let entry: AuditEntry;
      try {
        entry = JSON.parse(text) as AuditEntry;
        if (!isEntryShaped(entry)) throw new Error('not an entry');
      } catch {
        onBadLine(line, text);
        continue;
      }
      if (filter.system && entry.subject?.system !== filter.system) continue;
      if (filter.type && entry.type !== filter.type) continue;
      if (filter.since && entry.time < filter.since) continue;
      yield entry;
    }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Whether a parsed line has the fields every reader relies on. The chain is checked by `verify`; this keeps a
 * line that parses but is no entry (a hand edit, a bad merge) from reaching a report that would trip on it.
 */
function isEntryShaped(entry: unknown): entry is AuditEntry {
  return (
    isObject(entry) &&
    Number.isSafeInteger(entry.seq) &&
    typeof entry.type === 'string' &&
    typeof entry.time === 'string' &&
    isObject(entry.actor) &&
    typeof entry.actor.login === 'string' &&
    isObject(entry.subject) &&
    isObject(entry.details) &&
    Array.isArray(entry.evidence)
  );
}
