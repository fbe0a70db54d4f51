import {
  type AuditEntry,
  type Checkpoint,
  draftProblem,
  type EventDraft,
  seal,
  sealSigned,
} from './entry.js';
import { readEntries } from './read.js';
import type { Signer } from './signature.js';

/** Another writer appended first: the caller re-reads the head, re-seals its entry and tries again. */
export type LogLine = string | { torn: string };

/**
 * Lines in a batch: decoded, or a store's own bytes of whole lines, each ended by a line feed (what verify
 * reads fastest: see FileStore.blocks).
 */
export type LogBatch = LogLine[] | Buffer;

export class AppendConflict extends Error {
  /** `actual`: the head another writer left, where the store knows it. */
  constructor(readonly actual?: Checkpoint) {
    super(
      `another writer appended to the audit log first${actual ? ` (its head is now entry ${actual.seq})` : ''}`,
    );
    this.name = 'AppendConflict';
  }
}

/**
 * An append-only audit log. Every store (a local file, memory, a git branch through the GitHub API) offers
 * compare-and-swap: `append` writes only if the log's head is still `expected`.
 */
export interface AuditStore {
  /** Where the log is, for messages. */
  readonly label: string;
  head(): Promise<Checkpoint | undefined>;
  /** Appends `entry` if the head is still `expected`; otherwise throws AppendConflict. */
  append(entry: AuditEntry, expected: Checkpoint | undefined): Promise<Checkpoint>;
  /**
   * Appends entries chained in order after `expected` in one step, where the store can (a branch: one commit
   * instead of one each, so a gate's decision and its evaluations cost four writes, not four each).
   */
  appendBatch?(
    entries: AuditEntry[],
    expected: Checkpoint | undefined,
    files?: readonly Attachment[],
  ): Promise<Checkpoint>;
  /**
   * Where a file kept beside the log is read (a branch log: the file on GitHub). Only a store that has it
   * keeps the `files` given to `appendBatch`, in the same write as the entries.
   */
  fileUrl?(path: string): string;
  /**
   * The log's lines, in order, without line ends, in batches (one per block read: a line at a time would
   * cost more than hashing it); a last line with no line end comes as `torn`.
   */
  lines(): AsyncIterable<LogLine[]>;
}

/** A file kept beside the log's entries (a deployment's BOM and attestation), by its path from the log's folder. */
export interface Attachment {
  path: string;
  content: string;
}

export interface AppendOptions {
  attempts?: number;
  /** Waits before a retry; jittered by the caller's choice. Tests pass a no-op. */
  backoff?: (attempt: number) => Promise<void>;
  /** Signs each entry (the gate's, the App's or a person's key); re-signed on every retry, as seq and prev change. */
  signer?: Signer;
  /** Kept beside the entries, in the same write, by a store that keeps files (`fileUrl`); others ignore them. */
  files?: readonly Attachment[];
}

/** What recordOnce did: appended the drafts, or found `earlier`, an entry standing for them, and wrote nothing. */
export interface Recorded {
  checkpoint?: Checkpoint;
  earlier?: AuditEntry;
}

const jittered = (attempt: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, Math.random() * Math.min(1000, 20 * 2 ** attempt)));

/**
 * Records one event: seals it after the current head and appends it, re-sealing from the new head when
 * another writer won the race. Refuses an invalid draft before anything is written.
 */
export async function record(
  store: AuditStore,
  draft: EventDraft,
  { attempts = 30, backoff = jittered, signer }: AppendOptions = {},
): Promise<{ entry: AuditEntry; checkpoint: Checkpoint }> {
  const problem = draftProblem(draft);
  if (problem) throw new Error(problem);
  for (let attempt = 1; ; attempt++) {
    const head = await store.head();
    const entry = signer ? await sealSigned(draft, head, signer) : seal(draft, head);
    try {
      return { entry, checkpoint: await store.append(entry, head) };
    } catch (error) {
      if (!(error instanceof AppendConflict) || attempt >= attempts) throw error;
      await backoff(attempt);
    }
  }
}

/**
 * Records events in order; returns the checkpoint after the last, if there was one. A store that appends a
 * batch gets them all in one step, sealed (and signed) again from the new head when another writer won.
 */
export async function recordAll(
  store: AuditStore,
  drafts: EventDraft[],
  options: AppendOptions = {},
): Promise<Checkpoint | undefined> {
  return (await appendDrafts(store, drafts, options)).checkpoint;
}

/**
 * recordAll for a task that may have run before: a process that died after its write, before it noted the
 * write, leaves its entries in the log and its task to another process. An entry `done` matches stands for the
 * drafts, and nothing is written. It is looked for after each read of the head, so that a writer that won the
 * race meanwhile is found too: the compare-and-swap then refuses the append, and the next look finds it.
 * Without `done`, recordAll.
 */
export function recordOnce(
  store: AuditStore,
  drafts: EventDraft[],
  done: ((entry: AuditEntry) => boolean) | undefined,
  options: AppendOptions = {},
): Promise<Recorded> {
  return appendDrafts(store, drafts, options, done);
}

async function appendDrafts(
  store: AuditStore,
  drafts: EventDraft[],
  options: AppendOptions,
  done?: (entry: AuditEntry) => boolean,
): Promise<Recorded> {
  if (!drafts.length) return {};
  for (const draft of drafts) {
    const problem = draftProblem(draft);
    if (problem) throw new Error(problem);
  }
  const files = store.fileUrl ? (options.files ?? []) : [];
  if (!store.appendBatch || (drafts.length < 2 && !files.length && !done)) {
    // One entry at a time, each its own compare-and-swap: a store with no batches (a file, memory), or one
    // entry with no earlier one to look for.
    const earlier = done && (await look(store, done, await store.head())).earlier;
    if (earlier) return { checkpoint: { seq: earlier.seq, hash: earlier.hash }, earlier };
    let checkpoint: Checkpoint | undefined;
    for (const draft of drafts) checkpoint = (await record(store, draft, options)).checkpoint;
    return checkpoint ? { checkpoint } : {};
  }
  const { attempts = 30, backoff = jittered, signer } = options;
  for (let attempt = 1; ; attempt++) {
    const head = await store.head();
    const seen = head && done ? await look(store, done, head) : undefined;
    if (seen?.earlier)
      return { checkpoint: { seq: seen.earlier.seq, hash: seen.earlier.hash }, earlier: seen.earlier };
    if (seen && !seen.reachedHead) {
      // The read behind the head it followed (a store whose reads are served by a replica): it may lack the
      // entry looked for, so it is read again rather than appended to.
      if (attempt >= attempts)
        throw new Error(`the audit log ${store.label} read does not reach its head (entry ${head!.seq})`);
      await backoff(attempt);
      continue;
    }
    const entries: AuditEntry[] = [];
    let at = head;
    for (const draft of drafts) {
      const entry = signer ? await sealSigned(draft, at, signer) : seal(draft, at);
      entries.push(entry);
      at = { seq: entry.seq, hash: entry.hash };
    }
    try {
      return { checkpoint: await store.appendBatch(entries, head, files) };
    } catch (error) {
      if (!(error instanceof AppendConflict) || attempt >= attempts) throw error;
      await backoff(attempt);
    }
  }
}

/**
 * The log's last entry that `matches`, read through; and whether the read reached `head` (what the append will
 * compare against): a read that did not may have missed the entry.
 */
async function look(
  store: AuditStore,
  matches: (entry: AuditEntry) => boolean,
  head: Checkpoint | undefined,
): Promise<{ earlier?: AuditEntry; reachedHead: boolean }> {
  let earlier: AuditEntry | undefined;
  let reachedHead = head === undefined;
  for await (const entry of readEntries(store)) {
    if (matches(entry)) earlier = entry;
    if (!reachedHead && entry.seq === head!.seq && entry.hash === head!.hash) reachedHead = true;
  }
  return { ...(earlier ? { earlier } : {}), reachedHead };
}
