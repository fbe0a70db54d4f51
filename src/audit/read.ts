import type { AuditEntry } from './entry.js';
import type { AuditStore, LogLine } from './store.js';

export interface EntryFilter {
  system?: string;
  type?: string;
  /** YYYY-MM-DD or an ISO time: entries at or after it. */
  since?: string;
  /**
   * Only the entries on these lines (from 1), the others not even parsed: a second pass fetching the few
   * entries a first pass chose to list.
   */
  lines?: ReadonlySet<number>;
}

/** Where a reader is: the line of the entry it yielded last (from 1), for a caller that notes it. */
export interface ReadPosition {
  line: number;
}

/** The entries of a log that match a filter; lines that are not entries are passed to `onBadLine`, not dropped silently. */
export async function* readEntries(
  store: Pick<AuditStore, 'lines'>,
  filter: EntryFilter = {},
  onBadLine: (line: number, text: string) => void = () => {},
  at: ReadPosition = { line: 0 },
): AsyncIterable<AuditEntry> {
  for await (const batch of store.lines()) yield* entriesOf(batch, at, filter, onBadLine);
}

/** The same, read synchronously (FileStore.linesSync): a log streamed through a fold that is no async function. */
export function* readEntriesSync(
  store: { linesSync(): Iterable<LogLine[]> },
  filter: EntryFilter = {},
  onBadLine: (line: number, text: string) => void = () => {},
): Generator<AuditEntry> {
  const at = { line: 0 };
  for (const batch of store.linesSync()) yield* entriesOf(batch, at, filter, onBadLine);
}

function* entriesOf(
  batch: LogLine[],
  at: { line: number },
  filter: EntryFilter,
  onBadLine: (line: number, text: string) => void,
): Generator<AuditEntry> {
  for (const text of batch) {
    const line = ++at.line;
    if (filter.lines && !filter.lines.has(line)) continue;
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

const optional = (value: unknown, type: 'string' | 'number') =>
  value === undefined || (type === 'number' ? Number.isSafeInteger(value) : typeof value === 'string');

/** An ISO 8601 UTC time a reader can compare and do date arithmetic with (no 30 February). */
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const isTime = (value: unknown) =>
  typeof value === 'string' &&
  ISO_TIME.test(value) &&
  new Date(value).toISOString().slice(0, 19) === value.slice(0, 19);

/**
 * Whether a parsed line has the fields, of the types, every reader relies on. `verify` proves the chain; a
 * line can chain and still be no entry (written by hand, sealed by a script), and it must not reach a report
 * that would trip on it: it is reported as a bad line instead.
 */
function isEntryShaped(entry: unknown): entry is AuditEntry {
  if (!isObject(entry)) return false;
  const { seq, type, time, actor, subject, details, evidence } = entry;
  return (
    Number.isSafeInteger(seq) &&
    typeof type === 'string' &&
    isTime(time) &&
    isObject(actor) &&
    typeof actor.login === 'string' &&
    optional(actor.id, 'number') &&
    isObject(subject) &&
    ['repository', 'system', 'commit', 'ref', 'environment'].every((k) => optional(subject[k], 'string')) &&
    optional(subject.pullRequest, 'number') &&
    isObject(details) &&
    Array.isArray(evidence) &&
    evidence.every((e) => isObject(e) && typeof e.path === 'string' && typeof e.sha256 === 'string')
  );
}
