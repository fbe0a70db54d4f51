import { isAscii } from 'node:buffer';
import type { ValidateFunction } from 'ajv';
import { readJsonAsset } from '../assets.js';
import { groupBy } from '../group.js';
import { compileSchema, prepareSchemas } from '../schema.js';
import { type CanonicalEntries, canonicalEntryCheck } from './canonical.js';
import {
  AUDIT_FORMAT,
  type AuditEntry,
  type Checkpoint,
  entryHash,
  GENESIS,
  repeatedKey,
  sha256,
} from './entry.js';
import {
  checkSignature,
  claimsGate,
  describeKey,
  isGateKey,
  isGateOnly,
  type SignerCheck,
  signerOf,
  type TrustedKey,
} from './signature.js';
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
  /** Who signed the entries, when verifyLog was given the trusted keys. */
  signatures?: SignatureReport;
  /**
   * With anchors given: the entries dated before an anchor that precedes them in the log, which were
   * written after the TSA saw that anchor's entry, so their date cannot be true. The first MAX_DATED.
   */
  datedBeforeAnchor?: { count: number; entries: DatedBeforeAnchor[] };
}

/** An anchor whose token holds, as the chain needs it: the entry it timestamps, and when. */
export interface AnchorTime {
  seq: number;
  hash: string;
  /** The token's genTime (ISO 8601) and its accuracy in milliseconds, as the token states them. */
  genTime: string;
  accuracy?: number;
  authority: string;
}

/** An entry dated before the time of an anchor earlier in the chain. */
export interface DatedBeforeAnchor {
  seq: number;
  time: string;
  /** The anchor it follows: the entry it timestamps, when, and by whom. */
  anchor: number;
  genTime: string;
  authority: string;
}

const MAX_DATED = 100;

export interface VerifyOptions {
  /**
   * The trusted configuration's keys (`signers`, and an allowed_signers file's): with them, each entry's
   * signer is checked, and an entry that claims to be the gate's must be signed by a gate or app key.
   */
  trusted?: readonly TrustedKey[];
  /** Keep each entry's signer (verify --format json); otherwise only the counts per signer. */
  perEntry?: boolean;
  /**
   * The anchors whose tokens hold (anchors.ts, readTokens): once the chain reaches the entry an anchor
   * timestamps, with the hash it timestamps, every later entry dated before that anchor's time is flagged.
   */
  anchors?: readonly AnchorTime[];
}

/** One entry's signer, as verify reports it. */
export interface EntrySigner {
  seq: number;
  status: SignerCheck['status'];
  /** Whether the entry claims to be the gate's (signature.ts, claimsGate). */
  gate: boolean;
  fingerprint?: string;
  role?: TrustedKey['role'];
  name?: string;
  reason?: string;
}

export interface SignatureReport {
  /** No entry claims to be the gate's without a gate key's signature, and no signature fails. */
  ok: boolean;
  /** Entries per signer, in order of first appearance (`unsigned` for those with no signature). */
  signers: { signer: string; status: SignerCheck['status']; fingerprint?: string; entries: number }[];
  /** The first 100 failures: each names its entry and why. */
  failures: VerifyProblem[];
  /** How many entries failed in all. */
  failed: number;
  /** With perEntry: every entry's signer. */
  entries?: EntrySigner[];
  /** The signer of the entry the checkpoint names, when one was given and reached. */
  checkpoint?: EntrySigner;
}

const MAX_FAILURES = 100;

/** Why a checked entry fails, or undefined: a gate claim without a gate key, or a signature that does not hold. */
export function signatureProblem(
  seq: number,
  type: string,
  gate: boolean,
  check: SignerCheck,
): string | undefined {
  if (gate && !isGateKey(check)) {
    const what = isGateOnly(type) ? 'a gate decision' : "the gate's evaluation of a deployment";
    const why =
      check.status === 'signed'
        ? `signed by the ${describeKey(check.key)}, ${check.fingerprint}, which is no gate or app key`
        : check.status === 'untrusted'
          ? check.reason
          : check.status === 'invalid'
            ? check.reason
            : 'it is unsigned';
    return `entry ${seq} claims to be ${what} (${type}) but is not signed by a gate key (${why}): forged, or written by something other than the gate`;
  }
  if (check.status === 'invalid') return `entry ${seq} has a signature that does not hold: ${check.reason}`;
  return undefined;
}

const ENTRY_SCHEMA = 'schemas/audit-entry.schema.json';
let validateEntry: ValidateFunction | undefined;
let canonicalEntries: CanonicalEntries | undefined;
/** Canonical, with only the members an entry may have (the schema's): else parsed, and refused for the rest. */
function canonical(): CanonicalEntries {
  canonicalEntries ??= canonicalEntryCheck(
    Object.keys(readJsonAsset<{ properties: Record<string, unknown> }>(ENTRY_SCHEMA).properties),
  );
  return canonicalEntries;
}

/**
 * Whether the members a reader of bytes found by searching (at the offsets of their keys' opening quotes) are
 * the entry's own, top-level, and those it did not find are absent: a nested `"hash"`, `"time"` or `"type"` in
 * the subject or details would otherwise be read for the entry's.
 */
function topLevelAt(found: Record<string, number>): boolean {
  const entries = canonical();
  for (const name in found) if (entries.at(name) !== found[name]) return false;
  return true;
}

/** What the chain needs of one entry. */
interface Link {
  seq: number;
  prev: string;
  hash: string;
  time?: string;
  /** Read from the bytes (sealedBytes): where the hash member starts and the one after it, and seq ends. */
  at?: number;
  prevAt?: number;
  seqEnd?: number;
  /** Parsed (parsedLink): the entry itself. */
  type?: string;
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
  if (!canonical().check(Buffer.from(text, 'utf8'))) return undefined;
  const seqEnd = text.indexOf(',', seqAt + SEQ_MEMBER.length);
  const seq = Number(text.slice(seqAt + SEQ_MEMBER.length, seqEnd));
  if (!Number.isSafeInteger(seq) || seq < 1) return undefined;
  // Only type and v follow time, and no string can hold an unescaped quote: the last such member is the entry's.
  const timeAt = text.lastIndexOf(TIME_MEMBER);
  const byte = (i: number) => Buffer.byteLength(text.slice(0, i));
  const found = {
    hash: byte(at) + 1,
    prev: byte(prevAt) + 1,
    seq: byte(seqAt) + 2,
    time: timeAt === -1 ? -1 : byte(timeAt) + 1,
    v: Buffer.byteLength(text) - 6,
  };
  if (!topLevelAt(found)) return undefined;
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
  // Only here: a sealed line is canonical JSON, which has no repeated key.
  const repeated = repeatedKey(text);
  if (repeated !== undefined)
    return {
      problem: `line ${line} gives the key "${repeated}" twice: a reader that keeps the first value reads another entry than the one its hash and signature cover`,
      ...(Number.isSafeInteger(entry?.seq) ? { seq: entry.seq } : {}),
    };
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
  parsedEntries.set(entry, true);
  return entry;
}

/** Links that are whole parsed entries (parsedLink), whose signer is read from the object. */
const parsedEntries = new WeakMap<object, true>();

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
  // A hash anyone can compute says nothing of the bytes: only canonical bytes are read in place.
  if (!canonical().check(line)) return undefined;
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
  const found = {
    hash: at + 1,
    prev: prevAt + 1,
    seq: seqAt + 2,
    time: timeAt === -1 ? -1 : timeAt + 1,
    v: line.length - 6,
  };
  if (!topLevelAt(found)) return undefined;
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
    at,
    prevAt,
    seqEnd,
  };
}

const SIG_BYTES = bytesOf(',"sig":"');
const SUBJECT_BYTES = bytesOf(',"subject":{');
const TYPE_BYTES = bytesOf(',"type":"');
const ENVIRONMENT_BYTES = bytesOf('"environment":');
const BACKSLASH = 0x5c;

/** Where `member` first is in line[from, to), or -1. */
function firstAt(line: Buffer, member: Buffer, from: number, to: number): number {
  const at = line.indexOf(member, from);
  return at === -1 || at + member.length > to ? -1 : at;
}

/**
 * The signer of a line sealedBytes just read (its bytes without the hash member still in `unsealed`), from
 * its bytes: canonical JSON puts `sig` right after `seq`, then `subject`; only `time`, `type` and `v` follow.
 * The content digest is the line without its hash and sig members. Undefined where the line is not as
 * `serialise` writes it, or holds an escape where it is read: then it is parsed, so both ways agree.
 */
function bytesSigner(
  line: Buffer,
  link: Link,
  trusted: readonly TrustedKey[],
): { check: SignerCheck; gate: boolean; type: string } | undefined {
  const { at, prevAt, seqEnd } = link as Required<Link>;
  const typeAt = lastAt(line, TYPE_BYTES);
  if (typeAt === -1) return undefined;
  const typeStart = typeAt + TYPE_BYTES.length;
  let typeEnd = typeStart;
  while (typeEnd < line.length && line[typeEnd] !== QUOTE)
    if (line[typeEnd++] === BACKSLASH) return undefined;
  const type = line.toString('latin1', typeStart, typeEnd);
  let sig: string | undefined;
  let subjectAt = seqEnd;
  if (bytesAt(line, seqEnd, SIG_BYTES)) {
    const sigEnd = line.indexOf(QUOTE, seqEnd + SIG_BYTES.length);
    sig = line.toString('latin1', seqEnd + SIG_BYTES.length, sigEnd);
    subjectAt = sigEnd + 1;
  }
  if (!bytesAt(line, subjectAt, SUBJECT_BYTES)) return undefined;
  // Each found where a search finds it: it must be the entry's own member, as parsing reads it.
  if (!topLevelAt({ type: typeAt + 1, sig: sig === undefined ? -1 : seqEnd + 1, subject: subjectAt + 1 }))
    return undefined;
  const timeAt = lastAt(line, TIME_BYTES);
  const subjectEnd = timeAt === -1 ? typeAt : timeAt;
  // A key or value escaped in the subject could read otherwise when parsed: parsed instead.
  if (line.indexOf(BACKSLASH, subjectAt) !== -1 && line.indexOf(BACKSLASH, subjectAt) < subjectEnd)
    return undefined;
  // A subject's values are strings and numbers, where a quote is always escaped: these bytes are its key.
  const gate =
    isGateOnly(type) ||
    (type === 'evaluated' && firstAt(line, ENVIRONMENT_BYTES, subjectAt, subjectEnd) !== -1);
  if (sig === undefined)
    // Unsigned, as the bytes show it; a gate's claim without a signature is parsed, so that a sig moved
    // out of its canonical place is still judged as a reader of the entry would judge it.
    return gate ? undefined : { check: { status: 'unsigned' }, gate, type };
  // `unsealed` holds the line without its hash member: the sig member cut out too leaves the content.
  const shift = prevAt - at;
  const sigFrom = seqEnd - shift;
  const sigTo = subjectAt - shift;
  const length = line.length - shift;
  unsealed.copyWithin(sigFrom, sigTo, length);
  const digest = sha256(unsealed.subarray(0, length - (sigTo - sigFrom)));
  return { check: checkSignature(sig, digest, link.time, trusted), gate, type };
}

/** The signer of a parsed entry, or of a line as its text. */
function parsedSigner(
  entry: AuditEntry | string,
  trusted: readonly TrustedKey[],
): { check: SignerCheck; gate: boolean; type: string } {
  let parsed: AuditEntry;
  try {
    parsed = typeof entry === 'string' ? (JSON.parse(entry) as AuditEntry) : entry;
  } catch {
    return { check: { status: 'invalid', reason: 'the line is not JSON' }, gate: false, type: '' };
  }
  return { check: signerOf(parsed, trusted), gate: claimsGate(parsed), type: String(parsed.type) };
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

type Signed = { check: SignerCheck; gate: boolean; type: string };

/**
 * The link of one line of a block, read from its bytes where it is ASCII, else as its text as ever; with
 * trusted keys, its signer too.
 */
function blockLink(
  line: Buffer,
  ascii: boolean,
  number: number,
  trusted: readonly TrustedKey[] | undefined,
): { link: Link | { problem: string; seq?: number }; signed?: Signed } {
  if (ascii || isAscii(line)) {
    const fast = sealedBytes(line);
    if (fast)
      return trusted
        ? {
            link: fast,
            signed: bytesSigner(line, fast, trusted) ?? parsedSigner(line.toString('latin1'), trusted),
          }
        : { link: fast };
    return textLink(line.toString('latin1'), number, trusted, parsedLink);
  }
  return textLink(line.toString('utf8'), number, trusted, readLink);
}

function textLink(
  text: string,
  number: number,
  trusted: readonly TrustedKey[] | undefined,
  read: (text: string, line: number) => Link | { problem: string; seq?: number },
): { link: Link | { problem: string; seq?: number }; signed?: Signed } {
  const link = read(text, number);
  if (!trusted || 'problem' in link) return { link };
  return { link, signed: parsedSigner(parsedEntries.has(link) ? (link as AuditEntry) : text, trusted) };
}

/**
 * Walks the chain line by line, keeping only the previous hash, so a log larger than memory verifies.
 * Detects edited entries (hash), deleted, inserted and reordered ones (sequence and prev), forged `prev`s,
 * and, against a checkpoint kept outside the log, rewrites and truncation. Stops at the first problem.
 */
export async function verifyLog(
  lines: AsyncIterable<LogBatch>,
  checkpoint?: Checkpoint,
  { trusted, perEntry = false, anchors }: VerifyOptions = {},
): Promise<VerifyResult> {
  await prepareSchemas([readJsonAsset(ENTRY_SCHEMA)]);
  const signatures: SignatureReport | undefined = trusted
    ? { ok: true, signers: [], failures: [], failed: 0, ...(perEntry ? { entries: [] } : {}) }
    : undefined;
  const bySigner = new Map<string, SignatureReport['signers'][number]>();
  /** Counts the signer of the entry just chained, and keeps its failure. */
  const count = (seq: number, { check, gate, type }: Signed) => {
    const signer =
      check.status === 'signed'
        ? `${describeKey(check.key)} (${check.fingerprint})`
        : check.status === 'untrusted'
          ? `untrusted key ${check.fingerprint}`
          : check.status === 'invalid'
            ? 'bad signature'
            : 'unsigned';
    let counted = bySigner.get(signer);
    if (!counted) {
      counted = {
        signer,
        status: check.status,
        ...('fingerprint' in check ? { fingerprint: check.fingerprint } : {}),
        entries: 0,
      };
      bySigner.set(signer, counted);
      signatures!.signers.push(counted);
    }
    counted.entries++;
    const problem = signatureProblem(seq, type, gate, check);
    if (problem) {
      signatures!.ok = false;
      if (signatures!.failed++ < MAX_FAILURES) signatures!.failures.push({ line, seq, reason: problem });
    }
    if (!perEntry && checkpoint?.seq !== seq) return;
    const entry: EntrySigner = {
      seq,
      status: check.status,
      gate,
      ...('fingerprint' in check ? { fingerprint: check.fingerprint } : {}),
      ...(check.status === 'signed'
        ? { role: check.key.role, ...(check.key.name ? { name: check.key.name } : {}) }
        : {}),
      ...(check.status === 'invalid' || check.status === 'untrusted' ? { reason: check.reason } : {}),
    };
    signatures!.entries?.push(entry);
    if (checkpoint?.seq === seq) signatures!.checkpoint = entry;
  };
  let line = 0;
  let head: Checkpoint | undefined;
  let checkpointSeen = false;
  let lastTime: string | undefined;
  let lastPlain = false;
  const warnings: string[] = [];
  const anchored = anchors ? groupBy(anchors, (a) => a.seq) : undefined;
  const dated: NonNullable<VerifyResult['datedBeforeAnchor']> | undefined = anchors
    ? { count: 0, entries: [] }
    : undefined;
  /** The latest time an anchor the chain has reached proves, less its accuracy: no later entry is older. */
  let floor: { limit: number; anchor: AnchorTime } | undefined;
  const fail = (reason: string, seq = (head?.seq ?? 0) + 1): VerifyResult => ({
    ok: false,
    entries: head?.seq ?? 0,
    head,
    problem: { line, seq, reason },
    checkpoint: checkpoint ? 'failed' : 'not-given',
    warnings,
    ...(signatures ? { signatures } : {}),
    ...(dated ? { datedBeforeAnchor: dated } : {}),
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
    if (anchored) {
      if (floor && entry.time && Date.parse(entry.time) < floor.limit && dated!.count++ < MAX_DATED)
        dated!.entries.push({
          seq: entry.seq,
          time: entry.time,
          anchor: floor.anchor.seq,
          genTime: floor.anchor.genTime,
          authority: floor.anchor.authority,
        });
      // An anchor counts once the chain holds the very entry it timestamps (as checkAnchors requires).
      for (const anchor of anchored.get(entry.seq) ?? []) {
        const limit = Date.parse(anchor.genTime) - (anchor.accuracy ?? 0);
        if (anchor.hash === entry.hash && !(floor && floor.limit >= limit)) floor = { limit, anchor };
      }
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
        const read = blockLink(batch.subarray(start, end), ascii, line, trusted);
        const failed = chain(read.link);
        if (failed) return failed;
        if (read.signed) count((read.link as Link).seq, read.signed);
        start = end + 1;
      }
      continue;
    }
    for (const text of batch) {
      line++;
      if (typeof text !== 'string')
        return fail(`line ${line} is incomplete: a write was cut off before its end (a torn line)`);
      // With keys, a line is read as its bytes, as a file's are: a signed line is checked without parsing it.
      const read = trusted
        ? blockLink(Buffer.from(text), false, line, trusted)
        : textLink(text, line, trusted, readLink);
      const failed = chain(read.link);
      if (failed) return failed;
      if (read.signed) count((read.link as Link).seq, read.signed);
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
    ...(signatures ? { signatures } : {}),
    ...(dated ? { datedBeforeAnchor: dated } : {}),
  };
}
