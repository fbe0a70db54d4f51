import { verify as verifyData } from 'node:crypto';
import { sameEnvironment } from '../approvals.js';
import { repeatedKey } from '../audit/entry.js';
import {
  describeKey,
  lastTrusted,
  parsePublicKey,
  type Signer,
  type TrustedKey,
} from '../audit/signature.js';
import { RISK_TIERS, type RiskTier } from '../types.js';
import { VERSION } from '../version.js';

/**
 * The gate's decision as a signed in-toto Statement v1 with an SLSA verification summary (VSA v1) predicate,
 * in a DSSE envelope signed with the gate's Ed25519 key: what a cluster admission policy (Kyverno,
 * sigstore policy-controller) can require before it runs a commit's models. The key's id is the fingerprint
 * `aims-gate verify` prints for it (`SHA256:…`, as ssh-keygen writes it) of the public key listed under
 * `signers`, so the same key list vouches for the audit log and for the attestation.
 */

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const VSA_TYPE = 'https://slsa.dev/verification_summary/v1';
export const PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const VERIFIER_ID = 'https://github.com/aims-gate/aims-gate';

/** The level a verification summary names for a tier: AIMS_GATE_TIER_HIGH (custom levels must not start SLSA_). */
export function tierLevel(tier: RiskTier): string {
  return `AIMS_GATE_TIER_${tier.toUpperCase()}`;
}

export interface SummaryInput {
  /** "owner/name" and its URL, where on GitHub. */
  repository: string;
  repositoryUrl?: string;
  commit: string;
  /** The BOM written beside the statement, by file name and SHA-256: a second subject. */
  bom?: { name: string; sha256: string };
  /** The tier the commit was judged at (the highest of its systems'); absent: no system states one. */
  tier?: RiskTier;
  passed: boolean;
  policy: { uri: string; sha256?: string };
  /** UTC, to the second. */
  time: string;
  /** The deployment environment the gate judged, where it judged one. */
  environment?: string;
}

export interface Statement {
  _type: string;
  subject: { name: string; digest: Record<string, string> }[];
  predicateType: string;
  predicate: {
    verifier: { id: string; version: Record<string, string> };
    timeVerified: string;
    resourceUri: string;
    policy: { uri: string; digest?: Record<string, string> };
    verificationResult: 'PASSED' | 'FAILED';
    verifiedLevels: string[];
    [extension: string]: unknown;
  };
}

export function verificationSummary(input: SummaryInput): Statement {
  const where = input.repositoryUrl ?? input.repository;
  return {
    _type: STATEMENT_TYPE,
    subject: [
      { name: `git+${where}`, digest: { gitCommit: input.commit } },
      ...(input.bom ? [{ name: input.bom.name, digest: { sha256: input.bom.sha256 } }] : []),
    ],
    predicateType: VSA_TYPE,
    predicate: {
      verifier: { id: VERIFIER_ID, version: { 'aims-gate': VERSION } },
      timeVerified: input.time,
      resourceUri: `git+${where}@${input.commit}`,
      policy: {
        uri: input.policy.uri,
        ...(input.policy.sha256 ? { digest: { sha256: input.policy.sha256 } } : {}),
      },
      verificationResult: input.passed ? 'PASSED' : 'FAILED',
      // The VSA's own rule: a failed verification names the level FAILED and no other.
      verifiedLevels: input.passed ? (input.tier ? [tierLevel(input.tier)] : []) : ['FAILED'],
      // Extension fields are URIs (VSA parsing rules); consumers ignore what they do not know.
      ...(input.environment ? { [`${VERIFIER_ID}#environment`]: input.environment } : {}),
    },
  };
}

export interface Envelope {
  payloadType: string;
  payload: string;
  signatures: { keyid: string; sig: string }[];
}

/** DSSE's pre-authentication encoding: what is signed, so the payload type cannot be swapped. */
export function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `),
    type,
    Buffer.from(` ${payload.length} `),
    payload,
  ]);
}

/** The statement in a DSSE envelope signed by the gate's key (a PEM key: `aims-gate keygen`). */
export function signStatement(statement: Statement, signer: Signer): Envelope {
  if (!signer.signBytes)
    throw new Error(
      "an attestation is signed with the gate's Ed25519 key in PKCS#8 PEM (aims-gate keygen), not with an SSH key",
    );
  const payload = Buffer.from(JSON.stringify(statement));
  return {
    payloadType: PAYLOAD_TYPE,
    payload: payload.toString('base64'),
    signatures: [
      {
        keyid: parsePublicKey(signer.publicKey).fingerprint,
        sig: signer.signBytes(pae(PAYLOAD_TYPE, payload)).toString('base64'),
      },
    ],
  };
}

export type AttestationCheck =
  | { ok: true; statement: Statement; signer: string; fingerprint: string }
  | { ok: false; reason: string; statement?: Statement };

/**
 * Whether `text` is a DSSE envelope signed by a gate or App key of `trusted`, trusted at the statement's own
 * time, over an in-toto verification summary. Never throws: each refusal says why.
 */
export function verifyAttestation(text: string, trusted: readonly TrustedKey[]): AttestationCheck {
  let envelope: Envelope;
  try {
    envelope = JSON.parse(text) as Envelope;
  } catch {
    return { ok: false, reason: 'it is not JSON: a DSSE envelope is one JSON object' };
  }
  const envelopeShape = repeated(text, 'envelope');
  if (envelopeShape) return { ok: false, reason: envelopeShape };
  if (
    typeof envelope !== 'object' ||
    envelope === null ||
    typeof envelope.payload !== 'string' ||
    typeof envelope.payloadType !== 'string' ||
    !Array.isArray(envelope.signatures)
  )
    return { ok: false, reason: 'it is not a DSSE envelope (payloadType, payload, signatures)' };
  if (envelope.payloadType !== PAYLOAD_TYPE)
    return {
      ok: false,
      reason: `its payloadType is ${JSON.stringify(envelope.payloadType)}, not ${PAYLOAD_TYPE}`,
    };
  // DSSE allows standard or URL-safe base64; Node reads both.
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(envelope.payload))
    return { ok: false, reason: 'its payload is not base64' };
  const payload = Buffer.from(envelope.payload, 'base64');
  let statement: Statement;
  try {
    statement = JSON.parse(payload.toString('utf8')) as Statement;
  } catch {
    return { ok: false, reason: 'its payload is not JSON' };
  }
  const payloadShape = repeated(payload.toString('utf8'), 'payload');
  if (payloadShape) return { ok: false, reason: payloadShape };
  const shape = statementProblem(statement);
  if (shape) return { ok: false, reason: shape };
  const signed = pae(envelope.payloadType, payload);
  const gateKeys = trusted
    .filter((k) => k.role === 'gate' || k.role === 'app')
    .flatMap((k) => {
      try {
        return [{ trusted: k, key: parsePublicKey(k.key) }];
      } catch {
        return [];
      }
    });
  const at = Date.parse(statement.predicate.timeVerified);
  const reasons: string[] = [];
  for (const signature of envelope.signatures) {
    if (typeof signature?.sig !== 'string' || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(signature.sig)) {
      reasons.push('a signature is not base64');
      continue;
    }
    const sig = Buffer.from(signature.sig, 'base64');
    // The keyid is a hint: every gate key is tried, so a wrong or missing keyid hides nothing.
    const match = gateKeys.find((k) => sig.length === 64 && verifyData(null, signed, k.key.object, sig));
    if (!match) {
      reasons.push(
        `the signature${typeof signature.keyid === 'string' ? ` by ${signature.keyid}` : ''} does not hold for any gate or app key the configuration lists under signers (a changed payload, or another key)`,
      );
      continue;
    }
    if (match.trusted.until !== undefined && !(at <= lastTrusted(match.trusted.until))) {
      reasons.push(
        `signed by ${match.key.fingerprint} (${describeKey(match.trusted)}), trusted only until ${match.trusted.until}; the statement is dated ${statement.predicate.timeVerified}`,
      );
      continue;
    }
    return { ok: true, statement, signer: describeKey(match.trusted), fingerprint: match.key.fingerprint };
  }
  if (!gateKeys.length)
    reasons.push('the configuration lists no gate or app key under signers (aims-gate keygen makes one)');
  return { ok: false, statement, reason: reasons.join('; ') || 'it has no signature' };
}

/**
 * Why JSON that JSON.parse read is still refused: a repeated key. JSON.parse keeps the last of a repeated key, as
 * Go does; serde_json refuses it and other parsers keep the first, so an envelope `{"payload": X, "signatures":
 * [sX], "payload": Y, "signatures": [sY]}` of two statements the gate signed is Y here (and, with --log,
 * "recorded" by Y's entry) and X to a policy engine downstream. One reading only: such a file is refused.
 */
function repeated(text: string, what: 'envelope' | 'payload'): string | undefined {
  const key = repeatedKey(text);
  return key === undefined
    ? undefined
    : `its ${what} repeats a key (${JSON.stringify(key)}): parsers differ on which value counts, so it has no one reading`;
}

function statementProblem(statement: Statement): string | undefined {
  if (statement?._type !== STATEMENT_TYPE) return `its statement's _type is not ${STATEMENT_TYPE}`;
  if (statement.predicateType !== VSA_TYPE) return `its predicateType is not ${VSA_TYPE}`;
  const p = statement.predicate;
  if (typeof p?.timeVerified !== 'string' || Number.isNaN(Date.parse(p.timeVerified)))
    return 'its predicate has no timeVerified';
  if (p.verificationResult !== 'PASSED' && p.verificationResult !== 'FAILED')
    return 'its verificationResult is neither PASSED nor FAILED';
  if (!Array.isArray(p.verifiedLevels)) return 'its predicate has no verifiedLevels';
  if (!Array.isArray(statement.subject) || !statement.subject.length) return 'its statement has no subject';
  return undefined;
}

/**
 * What an admission check asks of a verified statement: it passed, at `tier` or a higher one when given, for
 * `commit` and for the deployment `environment` when given. Undefined: it holds; else why not.
 */
export function requirementProblem(
  statement: Statement,
  require: { tier?: RiskTier; commit?: string; environment?: string },
): string | undefined {
  if (statement.predicate.verificationResult !== 'PASSED')
    return 'the gate judged it FAILED: it was not approved';
  // Each environment has its own approval rules (production's reviewers, not staging's): an approval for one
  // is no approval for another, and a statement that names none (export --format intoto) approved no deployment.
  const environment = statement.predicate[`${VERIFIER_ID}#environment`];
  // Compared as GitHub and the gate's approval rules compare names: without case, trimmed.
  if (
    require.environment !== undefined &&
    !(typeof environment === 'string' && sameEnvironment(environment, require.environment))
  )
    return `it was approved for ${typeof environment === 'string' ? environment : 'no environment'}, not for ${require.environment}`;
  if (require.commit && !statement.subject.some((s) => s.digest?.gitCommit === require.commit))
    return `it is about ${
      statement.subject
        .map((s) => s.digest?.gitCommit)
        .filter(Boolean)
        .join(', ') || 'no commit'
    }, not ${require.commit}`;
  if (require.tier) {
    const levels = statement.predicate.verifiedLevels;
    const judged = RISK_TIERS.find((t) => levels.includes(tierLevel(t)));
    if (!judged || RISK_TIERS.indexOf(judged) < RISK_TIERS.indexOf(require.tier))
      return `it was approved at ${judged ? `tier ${judged}` : 'no tier'}, not at tier ${require.tier} or above`;
  }
  return undefined;
}
