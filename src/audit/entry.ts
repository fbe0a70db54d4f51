import crypto, { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/** Format version of an audit entry; `verify` refuses versions it does not know. */
export const AUDIT_FORMAT = 1;

/**
 * Life cycle events of an AI system (ISO/IEC 42001 A.6.2.8), events of the management system itself (clauses 4
 * to 10, no system), plus `custom.*` types recorded from pipelines.
 */
export const EVENT_TYPES = {
  'system.registered': 'AI system registered',
  'documents.changed': 'governance documents changed',
  evaluated: 'evaluated against policy',
  'approval.given': 'approval given',
  'approval.withdrawn': 'approval withdrawn',
  'deployment.approved': 'deployment approved',
  'deployment.rejected': 'deployment rejected',
  'waiver.applied': 'waiver applied',
  'waiver.expired': 'waiver expired',
  'model.retrained': 'model retrained',
  'monitoring.alert': 'monitoring alert',
  incident: 'incident',
  'system.retired': 'AI system retired',
  'nonconformity.opened': 'nonconformity opened',
  'nonconformity.updated': 'nonconformity updated',
  'nonconformity.regraded': 'nonconformity regraded',
  'nonconformity.reviewed': 'effectiveness of a correction reviewed',
  'nonconformity.linked': 'nonconformities linked',
  'nonconformity.closed': 'nonconformity closed',
  'corrective-action.planned': 'corrective action planned',
  'corrective-action.completed': 'corrective action completed',
  // The organisation's, about no one AI system (organisation.ts says what each needs).
  'management.review': 'management review',
  'audit.planned': 'internal audit planned',
  'audit.performed': 'internal audit performed',
  'objective.reviewed': 'AI objective reviewed',
  'policy.approved': 'AI policy approved',
} as const;

export type EventType = keyof typeof EVENT_TYPES | `custom.${string}`;

/**
 * Details an event of an AI system cannot be recorded without, each with what it says. An incident says who
 * was informed of it and when: communicating an incident (A.8.4) is informing people, which recording it is not.
 * (The organisation's events have theirs in organisation.ts.)
 */
export const REQUIRED_DETAILS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  incident: {
    informed: 'who was informed of it (users, customers, a regulator, ...)',
    informedAt: 'when they were informed: YYYY-MM-DD, or an ISO 8601 time',
  },
};

/** The required details an event lacks (REQUIRED_DETAILS): empty when it has them all. */
export function missingDetails(type: string, details: Details | null | undefined): string[] {
  const required = Object.hasOwn(REQUIRED_DETAILS, type) ? REQUIRED_DETAILS[type]! : {};
  return Object.keys(required).filter((key) => {
    const value = details?.[key];
    return typeof value !== 'string' || value.trim() === '';
  });
}

export const CUSTOM_TYPE = /^custom\.[a-z0-9][a-z0-9-]{0,62}$/;
export const DETAIL_KEY = /^[a-zA-Z][a-zA-Z0-9_.-]{0,63}$/;
export const HASH = /^[0-9a-f]{64}$/;
/** The `prev` of the first entry. */
export const GENESIS = '0'.repeat(64);

export interface Actor {
  login: string;
  id?: number;
  /**
   * How the login is known: `github` when GitHub said who (a workflow run's actor, a webhook's sender),
   * `typed` when it was given on a command line or is the machine's user, so that nobody vouched for it.
   */
  via?: 'github' | 'typed';
  /** With `via: github` from a workflow run: the run's URL, where an auditor checks who started it. */
  run?: string;
}

export interface Subject {
  repository?: string;
  system?: string;
  commit?: string;
  ref?: string;
  environment?: string;
  pullRequest?: number;
}

export interface Evidence {
  path: string;
  sha256: string;
}

export type Details = Record<string, string | number | boolean | null | string[] | Record<string, number>>;

/**
 * Details given as `key=value` pairs (a command line, a workflow input). Returns the first pair that has no
 * key instead, so the caller refuses it before anything is written.
 */
export function parseDetails(pairs: string[]): { details: Details } | { bad: string } {
  const details: Details = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return { bad: pair };
    details[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return { details };
}

/** What a caller records; the store adds the sequence number, `prev` and `hash`. */
export interface EventDraft {
  type: EventType;
  time: string;
  actor: Actor;
  subject: Subject;
  details: Details;
  evidence: Evidence[];
}

export interface AuditEntry extends EventDraft {
  v: typeof AUDIT_FORMAT;
  seq: number;
  prev: string;
  /**
   * The writer's signature of the entry's content digest (signature.ts): an SSHSIG blob in base64. Covered
   * by `hash`, so removing or swapping it breaks the chain.
   */
  sig?: string;
  hash: string;
}

/** The last entry of a chain, kept outside the log so that truncation and rewrites can be detected. */
export interface Checkpoint {
  seq: number;
  hash: string;
}

export function isEventType(type: string): type is EventType {
  return Object.hasOwn(EVENT_TYPES, type) || CUSTOM_TYPE.test(type);
}

/** SHA-256 over the RFC 8785 canonical JSON of the entry without its `hash`. */
export function entryHash(entry: Omit<AuditEntry, 'hash'> & { hash?: string }): string {
  const { hash: _ignored, ...rest } = entry;
  return sha256(canonicalize(rest) as string);
}

/** Node 20.12+ and 21.7+ have a one-shot `crypto.hash`, several times cheaper per small input than a Hash object. */
const oneShot = (
  crypto as { hash?: (algorithm: string, data: string | Uint8Array, encoding: 'hex') => string }
).hash;

export function sha256(data: string | Uint8Array): string {
  return oneShot ? oneShot('sha256', data, 'hex') : createHash('sha256').update(data).digest('hex');
}

/**
 * What a signature signs: SHA-256 over the canonical JSON of the entry without `hash` and `sig`, so it binds
 * the sequence number, `prev` and the content.
 */
export function contentDigest(
  entry: Omit<AuditEntry, 'hash' | 'sig'> & { hash?: string; sig?: string },
): string {
  const { hash: _hash, sig: _sig, ...rest } = entry;
  return sha256(canonicalize(rest) as string);
}

/** Chains a draft after `head` (undefined for an empty log): sequence number and `prev`, not yet hashed. */
function chained(draft: EventDraft, head: Checkpoint | undefined): Omit<AuditEntry, 'hash'> {
  return { v: AUDIT_FORMAT, seq: (head?.seq ?? 0) + 1, ...draft, prev: head?.hash ?? GENESIS };
}

/** Chains a draft after `head` (undefined for an empty log): sequence number, `prev`, then `hash`. */
export function seal(draft: EventDraft, head: Checkpoint | undefined): AuditEntry {
  const unsealed = chained(draft, head);
  return { ...unsealed, hash: entryHash(unsealed) };
}

/**
 * seal, signed: the entry is chained, its content digest signed, and only then hashed, so that `hash`
 * covers the signature.
 */
export async function sealSigned(
  draft: EventDraft,
  head: Checkpoint | undefined,
  signer: { sign(digest: string): Promise<string> },
): Promise<AuditEntry> {
  const unsealed = chained(draft, head);
  const signed = { ...unsealed, sig: await signer.sign(contentDigest(unsealed)) };
  return { ...signed, hash: entryHash(signed) };
}

/** One JSON line, canonical, so that the bytes on disk are the bytes that were hashed (plus `hash`). */
export function serialise(entry: AuditEntry): string {
  return `${canonicalize(entry)}\n`;
}

export function formatCheckpoint(checkpoint: Checkpoint): string {
  return `${checkpoint.seq}:${checkpoint.hash}`;
}

/** The checkpoint of a log whose last complete line is `line`; a line that is no entry is an error naming the log. */
export function checkpointOfLine(line: string, log: string): Checkpoint {
  try {
    const { seq, hash } = JSON.parse(line) as Checkpoint;
    if (Number.isInteger(seq) && typeof hash === 'string') return { seq, hash };
  } catch {
    // reported below
  }
  throw new Error(
    `the last line of the audit log ${log} is not an audit entry; run "aims-gate verify" on it to find what happened`,
  );
}

/** Parses "SEQ:HASH"; undefined when the text is not of that form. */
export function parseCheckpoint(text: string): Checkpoint | undefined {
  const match = /^(\d{1,15}):([0-9a-f]{64})$/.exec(text.trim());
  return match ? { seq: Number(match[1]), hash: match[2]! } : undefined;
}

/** Why a draft cannot be recorded, or undefined: checked before anything is written. */
export function draftProblem(draft: EventDraft): string | undefined {
  if (!isEventType(draft.type)) {
    return `"${draft.type}" is not an event type: use one of ${Object.keys(EVENT_TYPES).join(', ')}, or custom.<name> (lower case, digits, dashes)`;
  }
  if (!draft.actor.login) return 'the event has no actor';
  const missing = missingDetails(draft.type, draft.details);
  if (missing.length)
    return `${draft.type === 'incident' ? 'an incident must say who was informed of it, and when (A.8.4, Communication of incidents)' : `${draft.type} needs more details`}: add ${missing.map((key) => `--detail ${key}=… (${REQUIRED_DETAILS[draft.type]![key]})`).join(', ')}`;
  if (draft.type === 'incident') {
    const when = String(draft.details.informedAt).trim();
    if (!/^\d{4}-\d\d-\d\d([T ][\d:.]+(Z|[+-]\d\d:?\d\d)?)?$/.test(when) || Number.isNaN(Date.parse(when)))
      return `--detail informedAt must be a date (YYYY-MM-DD) or an ISO 8601 time, not "${when}"`;
    if (when.slice(0, 10) > draft.time.slice(0, 10))
      return `--detail informedAt=${when} is after the day this incident is recorded (${draft.time.slice(0, 10)}): record who was informed once they were`;
  }
  for (const key of Object.keys(draft.details)) {
    if (!DETAIL_KEY.test(key))
      return `detail key "${key}" must start with a letter and use only letters, digits, "_", "." and "-"`;
  }
  try {
    canonicalize(draft);
  } catch (error) {
    return `the event cannot be written as canonical JSON: ${(error as Error).message}`;
  }
  return undefined;
}

/**
 * The first key that one object of this JSON text repeats, or undefined. JSON.parse keeps a repeated key's last
 * value; other readers keep the first or refuse, so a log line (or an envelope) with one says different things
 * to different verifiers, and a signature over the parsed entry cannot tell. One linear pass over text that
 * JSON.parse has accepted.
 */
export function repeatedKey(text: string): string | undefined {
  /** For each open object its keys so far; undefined for an open array. */
  const open: (Set<string> | undefined)[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let end = i + 1;
      while (text.charCodeAt(end) !== 0x22) end += text.charCodeAt(end) === 0x5c /* \\ */ ? 2 : 1;
      const keys = open.at(-1);
      let next = end + 1;
      while (/\s/.test(text[next] ?? '')) next++;
      // A string followed by a colon is a key (a value is followed by a comma or a closing bracket).
      if (keys && text.charCodeAt(next) === 0x3a /* : */) {
        const key = JSON.parse(text.slice(i, end + 1)) as string; // "\u0061" and "a" are one key
        if (keys.has(key)) return key;
        keys.add(key);
      }
      i = end;
    } else if (c === 0x7b /* { */) open.push(new Set());
    else if (c === 0x5b /* [ */) open.push(undefined);
    else if (c === 0x7d /* } */ || c === 0x5d /* ] */) open.pop();
  }
  return undefined;
}
