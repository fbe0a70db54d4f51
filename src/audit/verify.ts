import { isAscii } from 'node:buffer';
import type { ValidateFunction } from 'ajv';
import { readJsonAsset } from '../assets.js';
import { compileSchema, prepareSchemas } from '../schema.js';
import { AUDIT_FORMAT, type AuditEntry, type Checkpoint, entryHash, GENESIS, sha256 } from './entry.js';
import type { LogBatch } from './store.js';

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
const LINE_FEED = 0x0a;

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

const bytesOf = (text: string) => Buffer.from(text, 'latin1');
const HASH_BYTES = bytesOf(HASH_MEMBER);
const PREV_BYTES = bytesOf(PREV_MEMBER);
const SEQ_BYTES = bytesOf(SEQ_MEMBER);
const TIME_BYTES = bytesOf(TIME_MEMBER);
const END_BYTES = bytesOf(`,"v":${AUDIT_FORMAT}}`);
const QUOTE = 0x22;
const COMMA = 0x2c;
/** Where a line's bytes without its hash member are put together to be hashed; grown for a longer line. */
let unsealed = Buffer.allocUnsafe(1 << 12);

const bytesAt = (line: Buffer, at: number, expected: Buffer) => {
  if (at < 0 || at + expected.length > line.length) return false;
  for (let i = 0; i < expected.length; i++) if (line[at + i] !== expected[i]) return false;
  return true;
};

/**
 * line.lastIndexOf(member), as a loop the compiler keeps inline: the members sought lie a few dozen to a few
 * hundred bytes from the end, nearer than a native search pays for its call.
 */
function lastAt(line: Buffer, member: Buffer): number {
  const first = member[0];
  for (let at = line.length - member.length; at >= 0; at--) {
    if (line[at] !== first) continue;
    let i = 1;
    while (i < member.length && line[at + i] === member[i]) i++;
    if (i === member.length) return at;
  }
  return -1;
}

/**
 * sealedLink over the bytes of an ASCII line, where a byte is a character: the same checks at the same places,
 * without decoding the line into a string and encoding it back to hash it.
 */
function sealedBytes(line: Buffer): Link | undefined {
  const at = lastAt(line, HASH_BYTES);
  const prevAt = at + HASH_BYTES.length + 65;
  if (at === -1 || line[prevAt - 1] !== QUOTE || !bytesAt(line, prevAt, PREV_BYTES)) return undefined;
  const seqAt = prevAt + PREV_BYTES.length + 64;
  if (!bytesAt(line, seqAt, SEQ_BYTES) || !bytesAt(line, line.length - END_BYTES.length, END_BYTES))
    return undefined;
  const length = line.length - (prevAt - at);
  if (unsealed.length < line.length) unsealed = Buffer.allocUnsafe(line.length * 2);
  // Built-in typed-array copies: Buffer.copy costs more in its checks than in copying a few hundred bytes.
  unsealed.set(line);
  unsealed.copyWithin(at, prevAt, line.length);
  const hash = line.toString('latin1', at + HASH_BYTES.length, prevAt - 1);
  if (sha256(unsealed.subarray(0, length)) !== hash) return undefined;
  // The same number as Number() of the text before the next comma, read from the digits canonical JSON writes.
  const digitsAt = seqAt + SEQ_BYTES.length;
  let seqEnd = digitsAt;
  let seq = 0;
  let digits = true;
  for (; seqEnd < line.length && line[seqEnd] !== COMMA; seqEnd++) {
    const digit = line[seqEnd]! - 48;
    if (digit < 0 || digit > 9) digits = false;
    seq = seq * 10 + digit;
  }
  if (!digits) seq = Number(line.toString('latin1', digitsAt, seqEnd));
  if (!Number.isSafeInteger(seq) || seq < 1) return undefined;
  const timeAt = lastAt(line, TIME_BYTES);
  let time: string | undefined;
  if (timeAt !== -1) {
    const timeStart = timeAt + TIME_BYTES.length;
    let timeEnd = timeStart;
    // The line ends with END_BYTES, which holds a quote: the time's closing quote, or one after it, is there.
    while (timeEnd < line.length && line[timeEnd] !== QUOTE) timeEnd++;
    time = line.toString('latin1', timeStart, timeEnd);
  }
  return {
    seq,
    prev: line.toString('latin1', prevAt + PREV_BYTES.length, seqAt),
    hash,
    ...(time ? { time } : {}),
  };
}

/** Where each field of `YYYY-MM-DDTHH:MM:SS.sssZ` stops, with its largest value; the rest are digits. */
const FIELDS: [at: number, mark: number, max: number][] = [
  [4, 0x2d, 9999],
  [7, 0x2d, 12],
  [10, 0x54, 28],
  [13, 0x3a, 23],
  [16, 0x3a, 59],
  [19, 0x2e, 59],
  [23, 0x5a, 999],
];

/**
 * Whether a time's order as text is its order in time, so that two such times are compared without parsing:
 * fixed width, and no field that rolls over (Date.parse reads 30 February as 2 March, and 24:00 as the next
 * day). Any other time is parsed, as before.
 */
function inOrderAsText(time: string): boolean {
  if (time.length !== 24) return false;
  let from = 0;
  for (const [at, mark, max] of FIELDS) {
    if (time.charCodeAt(at) !== mark) return false;
    let value = 0;
    for (let i = from; i < at; i++) {
      const digit = time.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) return false;
      value = value * 10 + digit;
    }
    if (value > max || (value === 0 && (at === 7 || at === 10))) return false;
    from = at + 1;
  }
  return true;
}

/** The link of one line of a block, read from its bytes where it is ASCII, else as its text as ever. */
function blockLink(line: Buffer, ascii: boolean, number: number): Link | { problem: string; seq?: number } {
  if (ascii || isAscii(line)) return sealedBytes(line) ?? parsedLink(line.toString('latin1'), number);
  return readLink(line.toString('utf8'), number);
}

/**
 * Walks the chain line by line, keeping only the previous hash, so a log larger than memory verifies.
 * Detects edited entries (hash), deleted, inserted and reordered ones (sequence and prev), forged `prev`s,
 * and, against a checkpoint kept outside the log, rewrites and truncation. Stops at the first problem.
 */
export async function verifyLog(
  lines: AsyncIterable<LogBatch>,
  checkpoint?: Checkpoint,
): Promise<VerifyResult> {
  await prepareSchemas([readJsonAsset(ENTRY_SCHEMA)]);
  let line = 0;
  let head: Checkpoint | undefined;
  let checkpointSeen = false;
  let lastTime: string | undefined;
  let lastPlain = false;
  const warnings: string[] = [];
  const fail = (reason: string, seq = (head?.seq ?? 0) + 1): VerifyResult => ({
    ok: false,
    entries: head?.seq ?? 0,
    head,
    problem: { line, seq, reason },
    checkpoint: checkpoint ? 'failed' : 'not-given',
    warnings,
  });
  /** Chains the link of the line just read after the head; the failure, if it does not. */
  const chain = (read: Link | { problem: string; seq?: number }): VerifyResult | undefined => {
    if ('problem' in read) return fail(read.problem, read.seq);
    const entry = read;
    const expected = (head?.seq ?? 0) + 1;
    if (entry.seq > expected)
      return fail(
        `entry ${expected} is missing: entry ${entry.seq} follows entry ${expected - 1} (deleted, or moved)`,
        expected,
      );
    if (entry.seq < expected)
      return fail(`entry ${entry.seq} appears after entry ${expected - 1}: inserted or reordered`, entry.seq);
    if (entry.prev !== (head?.hash ?? GENESIS)) {
      return fail(
        head
          ? `entry ${entry.seq} does not chain to entry ${head.seq}: its prev is not that entry's hash (entry ${head.seq} was rewritten, or this prev forged)`
          : 'entry 1 does not start the chain: its prev is not 64 zeros',
        entry.seq,
      );
    }
    // Past the tenth warning no more are said, so no time need be read.
    if (entry.time && warnings.length < 10) {
      const plain = inOrderAsText(entry.time);
      const backwards =
        lastTime &&
        (plain && lastPlain ? entry.time < lastTime : Date.parse(entry.time) < Date.parse(lastTime));
      if (backwards)
        warnings.push(
          `entry ${entry.seq} is dated ${entry.time}, before entry ${entry.seq - 1} (${lastTime}): time runs backwards here (a clock set back, or a backdated entry)`,
        );
      lastTime = entry.time;
      lastPlain = plain;
    }
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
    return undefined;
  };

  for await (const batch of lines) {
    if (Buffer.isBuffer(batch)) {
      const ascii = isAscii(batch);
      for (let start = 0; start < batch.length; ) {
        const end = batch.indexOf(LINE_FEED, start);
        line++;
        const failed = chain(blockLink(batch.subarray(start, end), ascii, line));
        if (failed) return failed;
        start = end + 1;
      }
      continue;
    }
    for (const text of batch) {
      line++;
      const failed =
        typeof text === 'string'
          ? chain(readLink(text, line))
          : fail(`line ${line} is incomplete: a write was cut off before its end (a torn line)`);
      if (failed) return failed;
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
