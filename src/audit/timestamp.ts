import { createHash, randomBytes } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { MessageImprint, PKIStatus, TimeStampReq, TimeStampResp } from '@peculiar/asn1-tsp';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { type Checkpoint, formatCheckpoint } from './entry.js';
import { OID, type TokenFacts, verifyToken } from './token.js';

/**
 * Anchoring a checkpoint with an RFC 3161 timestamp authority (TSA): the authority signs that it saw the
 * checkpoint's digest at a time, and nobody who can write the log can sign in its name. This module makes
 * the query and reads the answer; carrying them over HTTP is the caller's (the CLI's).
 *
 * What is timestamped is the SHA-256 of the UTF-8 bytes `aims-gate checkpoint SEQ:HASH` (no line end; SEQ
 * in decimal, HASH the entry's 64 lower-case hex digits), e.g. `aims-gate checkpoint 14:5030…7d`. The prefix
 * says what was stamped: a token the same TSA gave for a bare entry hash, or for a file, cannot pass for one.
 */
export function checkpointMessage(checkpoint: Checkpoint): string {
  return `aims-gate checkpoint ${formatCheckpoint(checkpoint)}`;
}

export function checkpointDigest(checkpoint: Checkpoint): Buffer {
  return createHash('sha256').update(checkpointMessage(checkpoint), 'utf8').digest();
}

const STATUS_WORDS: Record<number, string> = {
  [PKIStatus.rejection]: 'rejected the request',
  [PKIStatus.waiting]: 'asked to wait',
  [PKIStatus.revocationWarning]: 'warned its certificate is about to be revoked',
  [PKIStatus.revocationNotification]: 'said its certificate was revoked',
};

/** A TimeStampReq for a checkpoint (DER, for `application/timestamp-query`), and what its answer must echo. */
export interface TimestampQuery {
  der: Buffer;
  digest: Buffer;
  nonce: Buffer;
}

/** Asks for a SHA-256 imprint of the checkpoint's message, with a fresh nonce, and the TSA's certificate. */
export function timestampQuery(checkpoint: Checkpoint): TimestampQuery {
  const digest = checkpointDigest(checkpoint);
  const nonce = randomBytes(8);
  nonce[0] = (nonce[0]! & 0x7f) | 0x40; // a positive INTEGER, encoded without a leading zero
  const request = new TimeStampReq({
    messageImprint: new MessageImprint({
      hashAlgorithm: new AlgorithmIdentifier({ algorithm: OID.sha256 }),
      hashedMessage: new OctetString(digest),
    }),
    nonce: new Uint8Array(nonce).buffer,
    certReq: true,
  });
  return { der: Buffer.from(AsnConvert.serialize(request)), digest, nonce };
}

/**
 * The token in a TSA's answer to `query`, once it holds: granted, over this digest, with this query's nonce
 * (not a replayed answer), and signed by the certificate it carries. Otherwise an error that says what the
 * TSA did, worded to follow its name ("rejected the request: …").
 */
export function tokenOfResponse(
  body: Buffer,
  query: TimestampQuery,
): { token: Uint8Array; facts: TokenFacts } {
  let answer: TimeStampResp;
  try {
    answer = AsnConvert.parse(body, TimeStampResp);
  } catch {
    throw new Error(`answered something that is not a timestamp response (${body.length} bytes)`);
  }
  const { status, statusString, failInfo } = answer.status;
  if (status !== PKIStatus.granted && status !== PKIStatus.grantedWithMods) {
    const why = [...(statusString ?? []), ...(failInfo ? [failInfo.toJSON().join(', ')] : [])].join('; ');
    throw new Error(`${STATUS_WORDS[status] ?? `answered status ${status}`}${why ? `: ${why}` : ''}`);
  }
  if (!answer.timeStampToken) throw new Error('granted the request but sent no token');
  const token = new Uint8Array(AsnConvert.serialize(answer.timeStampToken));
  let facts: TokenFacts;
  try {
    facts = verifyToken(token);
  } catch (error) {
    throw new Error(`sent a token that does not hold: ${(error as Error).message}`);
  }
  if (!facts.imprint.equals(query.digest)) throw new Error('timestamped another digest than the one asked');
  if (!facts.nonce?.equals(query.nonce))
    throw new Error("answered with another request's nonce (a replayed or mixed-up answer)");
  return { token, facts };
}
