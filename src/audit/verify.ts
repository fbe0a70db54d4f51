import type { ValidateFunction } from 'ajv';
import { readJsonAsset } from '../assets.js';
import { compileSchema, prepareSchemas } from '../schema.js';
import { AUDIT_FORMAT, type AuditEntry, type Checkpoint, entryHash, GENESIS, sha256 } from './entry.js';
import type { LogLine } from './store.js';

export interface VerifyProblem {
  /** 1-based line of the log file. */
  line: number;
  /** The sequence number at which the chain breaks. */
  seq: number;
  reason: string;
}

export interface VerifyResult {
  ok: boolean;
  entries: number;
  head?: Checkpoint;
  problem?: VerifyProblem;
  /** Whether a checkpoint was given and the log reached it with the same hash. */
  checkpoint: 'matched' | 'not-given' | 'failed';
  /**
   * What the chain cannot prove wrong but an auditor should see: an entry dated before the one it follows
   * (a writer's clock set back, or an entry backdated before it was sealed). The first 10.
   */
  warnings: string[];
}

const ENTRY_SCHEMA = 'schemas/audit-entry.schema.json';
let validateEntry: ValidateFunction | undefined;

/** What the chain needs of one entry. */
interface Link {
  seq: number;
  prev: string;
  hash: string;
  time?: string;
}

/**
 * The link of one line, or why the line cannot be one. Lines as `serialise` writes them are checked by
 * their bytes alone: with the top-level `"hash"` member cut out, a sealed line is exactly the canonical JSON
 * that was hashed, so one SHA-256 authenticates it and its other fields can be read in place. Any other
 * line (edited, re-serialised, hand-written) is parsed, checked against the entry schema and re-hashed
 * from its canonical form, which also says precisely what is wrong with it.
 */
function readLink(text: string, line: number): Link | { problem: string; seq?: number } {
  return sealedLink(text) ?? parsedLink(text, line);
}

const HASH_MEMBER = ',"hash":"';
const PREV_MEMBER = ',"prev":"';
const SEQ_MEMBER = '","seq":';
const TIME_MEMBER = ',"time":"';

function sealedLink(text: string): Link | undefined {
  // Keys are sorted, so the top-level hash is the last "hash" member: after it come only prev, seq,
  // subject (fixed keys), time, type and v.
  const at = text.lastIndexOf(HASH_MEMBER);
  const prevAt = at + HASH_MEMBER.length + 65;
  if (at === -1 || text.charCodeAt(prevAt - 1) !== 34 || !text.startsWith(PREV_MEMBER, prevAt))
    return undefined;
  const seqAt = prevAt + PREV_MEMBER.length + 64;
  if (!text.startsWith(SEQ_MEMBER, seqAt) || !text.endsWith(`,"v":${AUDIT_FORMAT}}`)) return undefined;
  const hash = text.slice(at + HASH_MEMBER.length, prevAt - 1);
  if (sha256(text.slice(0, at) + text.slice(prevAt)) !== hash) return undefined;
  const seqEnd = text.indexOf(',', seqAt + SEQ_MEMBER.length);
  const seq = Number(text.slice(seqAt + SEQ_MEMBER.length, seqEnd));
  if (!Number.isSafeInteger(seq) || seq < 1) return undefined;
  // Only type and v follow time, and no string can hold an unescaped quote: the last such member is the entry's.
  const timeAt = text.lastIndexOf(TIME_MEMBER);
  const time =
    timeAt === -1
      ? undefined
      : text.slice(timeAt + TIME_MEMBER.length, text.indexOf('"', timeAt + TIME_MEMBER.length));
  return { seq, prev: text.slice(prevAt + PREV_MEMBER.length, seqAt), hash, ...(time ? { time } : {}) };
}

function parsedLink(text: string, line: number): Link | { problem: string; seq?: number } {
  let entry: AuditEntry;
  try {
    entry = JSON.parse(text) as AuditEntry;
  } catch {
    return { problem: `line ${line} is not JSON` };
  }
  if (entry === null || typeof entry !== 'object') return { problem: `line ${line} is not an audit entry` };
  if (entry.v !== AUDIT_FORMAT) {
    return {
      problem: `line ${line} has format version ${JSON.stringify(entry.v)}; this aims-gate reads version ${AUDIT_FORMAT}`,
    };
  }
  validateEntry ??= compileSchema(readJsonAsset(ENTRY_SCHEMA));
  if (!validateEntry(entry)) {
    const error = validateEntry.errors![0]!;
    return {
      problem: `line ${line} is not a valid entry: ${error.instancePath || 'the entry'} ${error.message}`,
    };
  }
  if (entryHash(entry) !== entry.hash) {
    return {
      problem: `entry ${entry.seq} was changed after it was written: its content does not match its hash`,
      seq: entry.seq,
    };
  }
  return entry;
}

/**
 * Walks the chain line by line, keeping only the previous hash, so a log larger than memory verifies.
 * Detects edited entries (hash), deleted, inserted and reordered ones (sequence and prev), forged `prev`s,
 * and, against a checkpoint kept outside the log, rewrites and truncation. Stops at the first problem.
 */
export async function verifyLog(
  lines: AsyncIterable<LogLine[]>,
  checkpoint?: Checkpoint,
): Promise<VerifyResult> {
  await prepareSchemas([readJsonAsset(ENTRY_SCHEMA)]);
  let line = 0;
  let head: Checkpoint | undefined;
  let checkpointSeen = false;
  let lastTime: string | undefined;
  const warnings: string[] = [];
  const fail = (reason: string, seq = (head?.seq ?? 0) + 1): VerifyResult => ({
    ok: false,
    entries: head?.seq ?? 0,
    head,
    problem: { line, seq, reason },
    checkpoint: checkpoint ? 'failed' : 'not-given',
    warnings,
  });

  for await (const batch of lines)
    for (const text of batch) {
      line++;
      const expected = (head?.seq ?? 0) + 1;
      if (typeof text !== 'string')
        return fail(`line ${line} is incomplete: a write was cut off before its end (a torn line)`);
      const read = readLink(text, line);
      if ('problem' in read) return fail(read.problem, read.seq);
      const entry = read;
      if (entry.seq > expected)
        return fail(
          `entry ${expected} is missing: entry ${entry.seq} follows entry ${expected - 1} (deleted, or moved)`,
          expected,
        );
      if (entry.seq < expected)
        return fail(
          `entry ${entry.seq} appears after entry ${expected - 1}: inserted or reordered`,
          entry.seq,
        );
      if (entry.prev !== (head?.hash ?? GENESIS)) {
        return fail(
          head
            ? `entry ${entry.seq} does not chain to entry ${head.seq}: its prev is not that entry's hash (entry ${head.seq} was rewritten, or this prev forged)`
            : 'entry 1 does not start the chain: its prev is not 64 zeros',
          entry.seq,
        );
      }
      if (entry.time && lastTime && Date.parse(entry.time) < Date.parse(lastTime) && warnings.length < 10)
        warnings.push(
          `entry ${entry.seq} is dated ${entry.time}, before entry ${entry.seq - 1} (${lastTime}): time runs backwards here (a clock set back, or a backdated entry)`,
        );
      if (entry.time) lastTime = entry.time;
      head = { seq: entry.seq, hash: entry.hash };
      if (checkpoint && entry.seq === checkpoint.seq) {
        if (entry.hash !== checkpoint.hash) {
          return fail(
            `entry ${entry.seq} is not the one the checkpoint recorded: the log was rewritten up to here`,
            entry.seq,
          );
        }
        checkpointSeen = true;
      }
    }
  if (checkpoint && !checkpointSeen) {
    line++;
    return fail(
      `the log ends at entry ${head?.seq ?? 0} but the checkpoint records entry ${checkpoint.seq}: ${checkpoint.seq - (head?.seq ?? 0)} entries were removed, from its end or, with the rest re-chained, from anywhere before it`,
    );
  }
  return {
    ok: true,
    entries: head?.seq ?? 0,
    head,
    checkpoint: checkpoint ? 'matched' : 'not-given',
    warnings,
  };
}
