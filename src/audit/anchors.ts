import type { X509Certificate } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { printableText } from '../report/printable.js';
import { type Checkpoint, formatCheckpoint, HASH } from './entry.js';
import type { LogBatch } from './store.js';
import { checkpointDigest } from './timestamp.js';
import { TokenError, verifyToken } from './token.js';
import type { VerifyResult } from './verify.js';

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
  /**
   * verified: signed by the given TSA certificate, for the entry the log has at that seq; matched: the same
   * without a TSA certificate to check the signer against; failed: see reason; unchecked: the chain breaks
   * before the anchored entry (verify already fails there).
   */
  status: 'verified' | 'matched' | 'failed' | 'unchecked';
  reason?: string;
}

/**
 * Each anchor checked twice: its token (see verifyToken; against `trusted` when given) must timestamp its
 * checkpoint, and its checkpoint must be in the log (the entry at that seq has that hash). `verification` is
 * the log's, and `entries` the text of the lines at the anchored seqs that keepLines collected during it.
 */
export function checkAnchors(
  anchors: StoredAnchor[],
  verification: VerifyResult,
  entries: ReadonlyMap<number, string>,
  trusted?: X509Certificate[],
): AnchorReport[] {
  return anchors.map((anchor) => {
    if ('problem' in anchor) return { line: anchor.line, status: 'failed', reason: anchor.problem };
    const { checkpoint, line } = anchor;
    const report: AnchorReport = { line, ...checkpoint, tsa: anchor.tsa, status: 'failed' };
    try {
      const facts = verifyToken(anchor.token, trusted);
      report.genTime = facts.genTime.toISOString();
      report.authority = facts.tsa;
      if (!facts.imprint.equals(checkpointDigest(checkpoint)))
        return {
          ...report,
          reason: `imprint mismatch: the token timestamps another digest than that of checkpoint ${formatCheckpoint(checkpoint)} (the anchor line was edited, or holds another checkpoint's token)`,
        };
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      return { ...report, reason: error.message };
    }
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
