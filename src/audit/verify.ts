import type { ValidateFunction } from 'ajv';
import { readJsonAsset } from '../assets.js';
import { compileSchema } from '../schema.js';
import { AUDIT_FORMAT, type AuditEntry, type Checkpoint, entryHash, GENESIS } from './entry.js';

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
}

let validateEntry: ValidateFunction | undefined;

/**
 * Walks the chain line by line, keeping only the previous hash, so a log larger than memory verifies.
 * Detects edited entries (hash), deleted, inserted and reordered ones (sequence and prev), forged `prev`s,
 * and, against a checkpoint kept outside the log, rewrites and truncation. Stops at the first problem.
 */
export async function verifyLog(
  lines: AsyncIterable<string | { torn: string }>,
  checkpoint?: Checkpoint,
): Promise<VerifyResult> {
  validateEntry ??= compileSchema(readJsonAsset('schemas/audit-entry.schema.json'));
  let line = 0;
  let head: Checkpoint | undefined;
  let checkpointSeen = false;
  const fail = (reason: string, seq = (head?.seq ?? 0) + 1): VerifyResult => ({
    ok: false,
    entries: head?.seq ?? 0,
    head,
    problem: { line, seq, reason },
    checkpoint: checkpoint ? 'failed' : 'not-given',
  });

  for await (const text of lines) {
    line++;
    const expected = (head?.seq ?? 0) + 1;
    if (typeof text !== 'string')
      return fail(`line ${line} is incomplete: a write was cut off before its end (a torn line)`);
    let entry: AuditEntry;
    try {
      entry = JSON.parse(text) as AuditEntry;
    } catch {
      return fail(`line ${line} is not JSON`);
    }
    if (entry === null || typeof entry !== 'object') return fail(`line ${line} is not an audit entry`);
    if (entry.v !== AUDIT_FORMAT)
      return fail(
        `line ${line} has format version ${JSON.stringify(entry.v)}; this aims-gate reads version ${AUDIT_FORMAT}`,
      );
    if (!validateEntry(entry)) {
      const error = validateEntry.errors![0]!;
      return fail(`line ${line} is not a valid entry: ${error.instancePath || 'the entry'} ${error.message}`);
    }
    if (entryHash(entry) !== entry.hash)
      return fail(
        `entry ${entry.seq} was changed after it was written: its content does not match its hash`,
        entry.seq,
      );
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
      `the log ends at entry ${head?.seq ?? 0} but the checkpoint records entry ${checkpoint.seq}: entries were removed from its end`,
    );
  }
  return { ok: true, entries: head?.seq ?? 0, head, checkpoint: checkpoint ? 'matched' : 'not-given' };
}
