import type { X509Certificate } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { printableText } from '../report/printable.js';
import { plural } from '../report/words.js';
import { type Checkpoint, formatCheckpoint, HASH } from './entry.js';
import type { LogBatch } from './store.js';
import { checkpointDigest } from './timestamp.js';
import { TokenError, type TokenFacts, verifyToken } from './token.js';
import type { AnchorTime, DatedBeforeAnchor, VerifyResult } from './verify.js';

/**
 * Anchors: timestamp tokens for checkpoints, kept beside the log in `<log>.anchors`, one JSON line each:
 * `{"seq":14,"hash":"5030…","tsa":"https://tsa.example/","token":"<base64 DER of the RFC 3161 token>"}`.
 * The log itself is never written or read differently because of them: a damaged or forged anchor line
 * fails that anchor's check, nothing else. `seq` and `hash` say which checkpoint the token is for (the token
 * holds only its digest); `tsa` is where it came from, for people (the token names its signer).
 */
export interface AnchorRecord {
  seq: number;
  hash: string;
  tsa: string;
  token: string;
}

/** An anchor line as read: its checkpoint and token, or why the line is none. */
export type StoredAnchor = { line: number } & (
  | { checkpoint: Checkpoint; tsa: string; token: Buffer }
  | { problem: string }
);

export const anchorsPath = (log: string): string => `${log}.anchors`;

/** Every line of an anchors file; none when there is no file. */
export async function readAnchors(path: string): Promise<StoredAnchor[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`cannot read the anchors ${path}: ${(error as Error).message}`);
  }
  return text.split('\n').flatMap((raw, i) => (raw.trim() ? [anchorOfLine(raw, i + 1)] : []));
}

function anchorOfLine(text: string, line: number): StoredAnchor {
  let record: Partial<AnchorRecord>;
  try {
    record = JSON.parse(text);
  } catch {
    return { line, problem: 'the line is not JSON (a damaged anchor)' };
  }
  const { seq, hash, tsa, token } = record ?? {};
  if (!Number.isSafeInteger(seq) || seq! < 1 || typeof hash !== 'string' || !HASH.test(hash))
    return { line, problem: 'the line names no checkpoint (seq and a 64-hex-digit hash)' };
  if (typeof token !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(token))
    return { line, problem: 'the line holds no base64 token' };
  return {
    line,
    checkpoint: { seq: seq!, hash },
    tsa: typeof tsa === 'string' ? printableText(tsa) : '',
    token: Buffer.from(token, 'base64'),
  };
}

/**
 * Appends one anchor as one whole line (one write, then fsync). A line left torn by a crash is ended first,
 * so it spoils only itself.
 */
export async function appendAnchor(path: string, record: AnchorRecord): Promise<void> {
  const handle = await open(path, 'a+');
  try {
    const { size } = await handle.stat();
    const last = Buffer.alloc(1);
    if (size > 0) await handle.read(last, 0, 1, size - 1);
    const line = `${JSON.stringify(record)}\n`;
    await handle.write(size > 0 && last[0] !== 0x0a ? `\n${line}` : line);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Passes the log's lines through unchanged, keeping the text of the lines numbered `wanted`. On the part of a
 * log that verifies, line N is entry N: these are the entries the anchors name, read in the one pass
 * `verifyLog` makes instead of a second.
 */
export async function* keepLines(
  lines: AsyncIterable<LogBatch>,
  wanted: number[],
  kept: Map<number, string>,
): AsyncIterable<LogBatch> {
  const numbers = [...new Set(wanted)].sort((a, b) => a - b);
  let next = 0;
  let first = 1;
  for await (const batch of lines) {
    if (next === numbers.length) {
      yield batch;
      continue;
    }
    if (Buffer.isBuffer(batch)) {
      // Lines of bytes are counted, and only those wanted decoded (before the buffer is handed on and reused).
      for (let start = 0, number = first; start < batch.length; number++) {
        const end = batch.indexOf(0x0a, start);
        if (number === numbers[next]) {
          kept.set(number, batch.toString('utf8', start, end));
          next++;
        }
        start = end + 1;
        first = number + 1;
      }
    } else {
      const end = first + batch.length;
      for (; next < numbers.length && numbers[next]! < end; next++) {
        const text = batch[numbers[next]! - first];
        if (typeof text === 'string') kept.set(numbers[next]!, text);
      }
      first = end;
    }
    yield batch;
  }
}

export interface AnchorReport {
  /** Line of the anchors file. */
  line: number;
  seq?: number;
  hash?: string;
  /** Where the token came from, as recorded. */
  tsa?: string;
  /** The token's time and signer, once it reads. */
  genTime?: string;
  authority?: string;
  /** With a TSA certificate given: the signer's chain up to it (subjects, signer first), valid at genTime. */
  chain?: string[];
  /**
   * verified: signed by the given TSA certificate, for the entry the log has at that seq; matched: the same
   * without a TSA certificate to check the signer against; failed: see reason; unchecked: the chain breaks
   * before the anchored entry (verify already fails there).
   */
  status: 'verified' | 'matched' | 'failed' | 'unchecked';
  reason?: string;
}

/** An anchor line with its token checked (readTokens): what the token proves, or why it fails. */
export interface CheckedToken {
  report: AnchorReport;
  checkpoint?: Checkpoint;
  facts?: TokenFacts;
}

/**
 * Each anchor's token checked on its own (see verifyToken; against `trusted` when given): it must timestamp
 * its checkpoint. Done before the log is read, so that the log's one pass can hold its entries' dates
 * against the times of the tokens that hold (anchorTimes).
 */
export function readTokens(anchors: StoredAnchor[], trusted?: X509Certificate[]): CheckedToken[] {
  return anchors.map((anchor) => {
    if ('problem' in anchor)
      return { report: { line: anchor.line, status: 'failed', reason: anchor.problem } };
    const { checkpoint, line } = anchor;
    const report: AnchorReport = { line, ...checkpoint, tsa: anchor.tsa, status: 'failed' };
    try {
      const facts = verifyToken(anchor.token, trusted);
      report.genTime = facts.genTime.toISOString();
      report.authority = facts.tsa;
      if (facts.chain) report.chain = facts.chain;
      if (!facts.imprint.equals(checkpointDigest(checkpoint)))
        return {
          report: {
            ...report,
            reason: `imprint mismatch: the token timestamps another digest than that of checkpoint ${formatCheckpoint(checkpoint)} (the anchor line was edited, or holds another checkpoint's token)`,
          },
        };
      return { report, checkpoint, facts };
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      return { report: { ...report, reason: error.message } };
    }
  });
}

/** The tokens that hold, as verifyLog takes them to date the entries after them. */
export function anchorTimes(tokens: CheckedToken[]): AnchorTime[] {
  return tokens.flatMap(({ checkpoint, facts }) =>
    checkpoint && facts
      ? [
          {
            ...checkpoint,
            genTime: facts.genTime.toISOString(),
            ...(facts.accuracy ? { accuracy: facts.accuracy } : {}),
            authority: facts.tsa,
          },
        ]
      : [],
  );
}

/**
 * Each anchor whose token holds (readTokens) checked against the log: its checkpoint must be in it (the entry
 * at that seq has that hash). `verification` is the log's, and `entries` the text of the lines at the
 * anchored seqs that keepLines collected during it.
 */
export function checkAnchors(
  tokens: CheckedToken[],
  verification: VerifyResult,
  entries: ReadonlyMap<number, string>,
  trusted?: X509Certificate[],
): AnchorReport[] {
  return tokens.map(({ report, checkpoint, facts }) => {
    if (!checkpoint || !facts) return report;
    const problem = againstChain(checkpoint, verification, entries, report.genTime!);
    if (problem === 'unchecked')
      return {
        ...report,
        status: 'unchecked',
        reason: `not compared with the log: its verification stopped at entry ${verification.problem!.seq}, before the anchored entry`,
      };
    if (problem) return { ...report, reason: problem };
    return { ...report, status: trusted ? 'verified' : 'matched' };
  });
}

/** What the chain check of a verified anchor covers, and what it does not: said by verify and the report. */
export const TSA_CHAIN_WORDS = "TSA certificate chain checked at each token's time:";
export const REVOCATION_WORDS =
  "Revocation is not checked (offline: no CRL or OCSP is fetched), so a TSA certificate revoked before its token's time would still pass.";

/** How long, in the largest whole unit: "17 days", "3 hours", "40 s". */
function span(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
  ];
  for (const [size, unit] of units) if (ms >= size) return plural(Math.floor(ms / size), unit);
  return `${Math.max(1, Math.round(ms / 1000))} s`;
}

/** An entry dated before an anchor that precedes it, in words: what verify and the report say of it. */
export function datedBeforeAnchorWords(d: DatedBeforeAnchor): string {
  const gap = span(Date.parse(d.genTime) - Date.parse(d.time));
  return `entry ${d.seq} is dated ${d.time}, ${gap} before the anchor of entry ${d.anchor} (timestamped ${d.genTime} by ${d.authority}) that precedes it in the log: it was written after that anchor, so its date cannot be true (backdated, or the writer's clock was wrong)`;
}

/** Whether the log holds the anchored checkpoint; why not, or 'unchecked' where the chain broke first. */
function againstChain(
  checkpoint: Checkpoint,
  verification: VerifyResult,
  entries: ReadonlyMap<number, string>,
  time: string,
): string | undefined {
  // The first `entries` lines of the log chain to each other, line N being entry N.
  if (checkpoint.seq > verification.entries) {
    if (!verification.ok) return 'unchecked';
    return `log truncated: it ends at entry ${verification.entries}, but entry ${checkpoint.seq} was anchored at ${time} (entries were removed from its end, or, with the rest re-chained, from anywhere before it)`;
  }
  const hash = (JSON.parse(entries.get(checkpoint.seq)!) as { hash: string }).hash;
  if (hash === checkpoint.hash) return undefined;
  return `log rewritten: entry ${checkpoint.seq} is not the one anchored at ${time} (its hash is ${hash.slice(0, 12)}…, the anchor's ${checkpoint.hash.slice(0, 12)}…): the log was rewritten at or before entry ${checkpoint.seq} and re-hashed`;
}
