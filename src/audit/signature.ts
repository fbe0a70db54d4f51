import { spawn } from 'node:child_process';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  sign as signData,
  verify as verifyData,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type AuditEntry, contentDigest } from './entry.js';

/**
 * Signed audit entries. A signature is an SSHSIG blob (OpenSSH's PROTOCOL.sshsig, what `ssh-keygen -Y sign`
 * writes) in base64 without its armour: namespace `aims-gate`, hash sha512, over the message made of the 64
 * hex digits of the entry's content digest (entry.ts). So a person signs with their own SSH key through
 * ssh-keygen, and an auditor checks any entry with `ssh-keygen -Y verify` and an allowed_signers file,
 * without trusting aims-gate. Only Ed25519 keys: one algorithm, in node:crypto, no dependency.
 */

/** The SSHSIG namespace of audit entries: a signature made for anything else (git, email) is not one. */
export const NAMESPACE = 'aims-gate';

/** A writer's key the trusted configuration names (`signers` in .github/aims-gate.yml). */
export interface TrustedKey {
  /** `ssh-ed25519 AAAA… [comment]`. */
  key: string;
  /** gate: the Action's key; app: the GitHub App's; person: someone who records from the CLI. */
  role: 'gate' | 'app' | 'person';
  name?: string;
  /** YYYY-MM-DD (through the end of that day, UTC) or an ISO time: rotated out; later entries are not trusted. */
  until?: string;
}

export interface Signer {
  /** `ssh-ed25519 AAAA…`: the line to list under `signers`. */
  publicKey: string;
  /** The `sig` of an entry whose content digest is `digest` (64 hex digits). */
  sign(digest: string): Promise<string>;
  /**
   * A plain Ed25519 signature of `data` (a DSSE envelope's PAE, src/export/attestation.ts). Only the gate's and
   * the App's PEM keys have one: ssh-keygen signs SSHSIG blobs alone.
   */
  signBytes?(data: Uint8Array): Buffer;
}

export type SignerCheck =
  | { status: 'signed'; key: TrustedKey; fingerprint: string }
  | { status: 'unsigned' }
  | { status: 'untrusted'; fingerprint: string; reason: string }
  | { status: 'invalid'; reason: string };

/** Entry types only the gate writes (the Action in deploy-gate mode, the App): `verify` fails them unsigned. */
export const GATE_ONLY_TYPES: readonly string[] = [
  'deployment.approved',
  'deployment.rejected',
  'approval.given',
  'approval.withdrawn',
];

export function isGateOnly(type: string): boolean {
  return GATE_ONLY_TYPES.includes(type);
}

/**
 * Whether an entry says the gate wrote it: a gate-only type, or an `evaluated` entry about an environment.
 * `check --record` and the Action's pr-check record evaluations too, unsigned, and never name an environment
 * (they judge a commit or a pull request); the gate's evaluation of a deployment always does.
 */
export function claimsGate(entry: Pick<AuditEntry, 'type' | 'subject'>): boolean {
  return isGateOnly(entry.type) || (entry.type === 'evaluated' && entry.subject?.environment !== undefined);
}

/** Signed by a trusted key of the gate (the Action) or the App. */
export function isGateKey(check: SignerCheck): boolean {
  return check.status === 'signed' && (check.key.role === 'gate' || check.key.role === 'app');
}

const KEY_TYPE = 'ssh-ed25519';
const MAGIC = Buffer.from('SSHSIG');
/** SubjectPublicKeyInfo of an Ed25519 key, before its 32 bytes. */
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

const string = (value: Buffer | string) => {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
};

/** The SSH wire blob of an Ed25519 public key: string "ssh-ed25519", string key. */
const keyBlob = (raw: Buffer) => Buffer.concat([string(KEY_TYPE), string(raw)]);

/** ssh-keygen's fingerprint of a key blob: `SHA256:` and the unpadded base64 of its SHA-256. */
export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Reads length-prefixed strings of an SSH wire blob; throws on anything short or left over. */
class Reader {
  private at = 0;
  constructor(private readonly bytes: Buffer) {}
  raw(length: number): Buffer {
    if (this.at + length > this.bytes.length) throw new Error('it ends early');
    const out = this.bytes.subarray(this.at, this.at + length);
    this.at += length;
    return out;
  }
  uint32(): number {
    return this.raw(4).readUInt32BE(0);
  }
  string(): Buffer {
    return this.raw(this.uint32());
  }
  end(): void {
    if (this.at !== this.bytes.length) throw new Error('it has bytes after its end');
  }
}

/** The 32 bytes of an Ed25519 key blob; throws a message fit for a user (never the key's bytes). */
function ed25519Raw(blob: Buffer): Buffer {
  const reader = new Reader(blob);
  const type = reader.string().toString('latin1');
  if (type !== KEY_TYPE)
    throw new Error(`it is a ${printableName(type)} key; aims-gate signs with ssh-ed25519 only`);
  const raw = reader.string();
  reader.end();
  if (raw.length !== 32) throw new Error('its Ed25519 key is not 32 bytes');
  return raw;
}

const printableName = (name: string) => JSON.stringify(name.slice(0, 40));

export interface PublicKey {
  blob: Buffer;
  fingerprint: string;
  object: KeyObject;
}

/** Parses `ssh-ed25519 AAAA… [comment]`; throws why it is not one (for a config error). */
export function parsePublicKey(line: string): PublicKey {
  const [type, data] = line.trim().split(/\s+/);
  if (type !== KEY_TYPE)
    throw new Error(
      `a signer's key must be an ssh-ed25519 public key ("ssh-ed25519 AAAA…", as in a .pub file), not one starting ${printableName(type ?? '')}`,
    );
  if (!data || !/^[A-Za-z0-9+/]+={0,2}$/.test(data))
    throw new Error('the key after ssh-ed25519 is not base64');
  const blob = Buffer.from(data, 'base64');
  try {
    return keyOf(blob, ed25519Raw(blob));
  } catch (error) {
    throw new Error(`the ssh-ed25519 key is damaged: ${(error as Error).message}`);
  }
}

const keyOf = (blob: Buffer, raw: Buffer): PublicKey => ({
  blob,
  fingerprint: fingerprintOf(blob),
  object: createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' }),
});

/** The bytes SSHSIG signs: the preamble, namespace, reserved, hash algorithm and the message's hash. */
function signedData(namespace: string, hashAlgorithm: string, message: string): Buffer {
  return Buffer.concat([
    MAGIC,
    string(namespace),
    string(''),
    string(hashAlgorithm),
    string(createHash(hashAlgorithm).update(message).digest()),
  ]);
}

/** The SSHSIG blob of a signature made by `publicBlob`'s key. */
function sshsig(publicBlob: Buffer, signature: Buffer): Buffer {
  const version = Buffer.alloc(4);
  version.writeUInt32BE(1);
  return Buffer.concat([
    MAGIC,
    version,
    string(publicBlob),
    string(NAMESPACE),
    string(''),
    string('sha512'),
    string(Buffer.concat([string(KEY_TYPE), string(signature)])),
  ]);
}

/**
 * The gate's and the App's signer: an Ed25519 private key in PKCS#8 PEM (`aims-gate keygen`, or `openssl
 * genpkey -algorithm ed25519`). Anything else is refused with what to use; no message holds key material.
 */
export function ed25519Signer(privateKeyPem: string): Signer {
  // A PEM pasted into a one-line environment variable often keeps its line ends as "\n".
  const pem = privateKeyPem.includes('\n') ? privateKeyPem : privateKeyPem.replace(/\\n/g, '\n');
  const kind = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(pem)?.[1];
  const use =
    'use an unencrypted Ed25519 key in PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"), as aims-gate keygen or openssl genpkey -algorithm ed25519 writes';
  if (kind === 'OPENSSH PRIVATE KEY')
    throw new Error(
      `the signing key is an OpenSSH private key: ${use} (people sign their own entries with an SSH key through aims-gate record --sign-with)`,
    );
  if (kind !== 'PRIVATE KEY')
    throw new Error(`the signing key is ${kind ? `a PEM "${kind}"` : 'not PEM'}: ${use}`);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new Error(`the signing key cannot be read: ${use}`);
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new Error(`the signing key is ${key.asymmetricKeyType ?? 'not an asymmetric'} key: ${use}`);
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  const blob = keyBlob(spki.subarray(SPKI_PREFIX.length));
  return {
    publicKey: `${KEY_TYPE} ${blob.toString('base64')}`,
    sign: async (digest) =>
      sshsig(blob, signData(null, signedData(NAMESPACE, 'sha512', digest), key)).toString('base64'),
    signBytes: (data) => signData(null, data, key),
  };
}

/** The body of an armoured SSH signature, as one base64 string. */
export function unarmour(text: string): string {
  const match = /-----BEGIN SSH SIGNATURE-----([\s\S]*?)-----END SSH SIGNATURE-----/.exec(text);
  if (!match) throw new Error('ssh-keygen wrote no SSH signature');
  return match[1]!.replace(/\s+/g, '');
}

/** The armoured form ssh-keygen -Y verify reads: base64 in lines of 70, between the markers. */
export function armour(sig: string): string {
  return `-----BEGIN SSH SIGNATURE-----\n${sig.match(/.{1,70}/g)!.join('\n')}\n-----END SSH SIGNATURE-----\n`;
}

/**
 * A person's signer: their own SSH key, through `ssh-keygen -Y sign -n aims-gate -f FILE` (which asks for
 * the passphrase, or uses the agent). FILE.pub beside it gives the public key.
 */
export function sshKeygenSigner(keyFile: string, command = 'ssh-keygen'): Signer {
  let pub: string;
  try {
    pub = readFileSync(`${keyFile}.pub`, 'utf8');
  } catch {
    throw new Error(`${keyFile}.pub: no such file; ssh-keygen -y -f ${keyFile} > ${keyFile}.pub writes it`);
  }
  try {
    parsePublicKey(pub);
  } catch (error) {
    throw new Error(`${keyFile}.pub: ${(error as Error).message}`);
  }
  const publicKey = pub.trim().split(/\s+/).slice(0, 2).join(' ');
  return {
    publicKey,
    sign: (digest) =>
      new Promise((resolve, reject) => {
        // The passphrase prompt goes to the terminal (ssh-keygen opens /dev/tty); errors to ours.
        const child = spawn(command, ['-Y', 'sign', '-n', NAMESPACE, '-f', keyFile], {
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          out += d;
        });
        child.stderr.setEncoding('utf8').on('data', (d: string) => {
          err += d;
        });
        child.on('error', (error) =>
          reject(
            new Error(
              (error as NodeJS.ErrnoException).code === 'ENOENT'
                ? `${command} is not installed: signing with an SSH key needs OpenSSH's ssh-keygen (8.1 or later)`
                : `${command} could not be started: ${error.message}`,
            ),
          ),
        );
        child.on('close', (code) => {
          if (code !== 0)
            return reject(
              new Error(`ssh-keygen could not sign with ${keyFile}: ${err.trim() || `exit code ${code}`}`),
            );
          try {
            resolve(unarmour(out));
          } catch (error) {
            reject(error);
          }
        });
        child.stdin.end(digest);
      }),
  };
}

/** Public keys already decoded, by their base64 blob: the same few keys sign a whole log. */
const decoded = new Map<string, PublicKey | Error>();

function publicKeyOfBlob(base64: string, blob: Buffer): PublicKey {
  let known = decoded.get(base64);
  if (!known) {
    try {
      known = keyOf(blob, ed25519Raw(blob));
    } catch (error) {
      known = error as Error;
    }
    // A log can carry any number of keys an attacker made up: the cache stays small.
    if (decoded.size > 256) decoded.clear();
    decoded.set(base64, known);
  }
  if (known instanceof Error) throw known;
  return known;
}

/** The trusted keys by the base64 of their blob, computed once per list (again if the list was changed since). */
const indexes = new WeakMap<
  readonly TrustedKey[],
  { keys: TrustedKey[]; index: Map<string, TrustedKey[]> }
>();

function indexOf(trusted: readonly TrustedKey[]): Map<string, TrustedKey[]> {
  const cached = indexes.get(trusted);
  if (cached && cached.keys.length === trusted.length && cached.keys.every((k, i) => k === trusted[i]))
    return cached.index;
  const index = new Map<string, TrustedKey[]>();
  for (const key of trusted) {
    const data = key.key.trim().split(/\s+/)[1] ?? '';
    // Canonical base64 of the decoded blob: the same key written with or without padding is one key.
    const blob = Buffer.from(data, 'base64').toString('base64');
    index.set(blob, [...(index.get(blob) ?? []), key]);
  }
  indexes.set(trusted, { keys: [...trusted], index });
  return index;
}

/** The last instant a key was trusted: a date means through the end of that day, UTC. */
export function lastTrusted(until: string): number {
  return /^\d{4}-\d\d-\d\d$/.test(until) ? Date.parse(`${until}T23:59:59.999Z`) : Date.parse(until);
}

/**
 * Who signed the entry whose content digest is `digest` with `sig`, dated `time`, as `trusted` judges it.
 * Never throws: a damaged signature is `invalid` with the reason.
 */
export function checkSignature(
  sig: string,
  digest: string,
  time: string | undefined,
  trusted: readonly TrustedKey[],
): SignerCheck {
  let key: PublicKey;
  let signature: Buffer;
  let namespace: string;
  let hashAlgorithm: string;
  let blob64: string;
  try {
    if (typeof sig !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(sig)) throw new Error('it is not base64');
    const reader = new Reader(Buffer.from(sig, 'base64'));
    if (!reader.raw(6).equals(MAGIC)) throw new Error('it is not an SSHSIG signature');
    const version = reader.uint32();
    if (version !== 1) throw new Error(`its SSHSIG version is ${version}, not 1`);
    const blob = reader.string();
    namespace = reader.string().toString('latin1');
    reader.string(); // reserved
    hashAlgorithm = reader.string().toString('latin1');
    const inner = new Reader(reader.string());
    reader.end();
    const type = inner.string().toString('latin1');
    signature = inner.string();
    inner.end();
    blob64 = blob.toString('base64');
    key = publicKeyOfBlob(blob64, blob);
    if (type !== KEY_TYPE) throw new Error(`its signature is of type ${printableName(type)}`);
    if (signature.length !== 64) throw new Error('its Ed25519 signature is not 64 bytes');
  } catch (error) {
    return { status: 'invalid', reason: `the signature is damaged: ${(error as Error).message}` };
  }
  if (namespace !== NAMESPACE)
    return {
      status: 'invalid',
      reason: `the signature was made for ${printableName(namespace)}, not for aims-gate entries (namespace ${NAMESPACE})`,
    };
  if (hashAlgorithm !== 'sha512' && hashAlgorithm !== 'sha256')
    return { status: 'invalid', reason: `the signature uses the hash ${printableName(hashAlgorithm)}` };
  if (!verifyData(null, signedData(namespace, hashAlgorithm, digest), key.object, signature))
    return {
      status: 'invalid',
      reason: `the signature by ${key.fingerprint} does not match the entry: it was changed after it was signed, or the signature was taken from another entry`,
    };
  const candidates = indexOf(trusted).get(blob64) ?? [];
  if (!candidates.length)
    return {
      status: 'untrusted',
      fingerprint: key.fingerprint,
      reason: `signed by ${key.fingerprint}, a key the trusted configuration does not list under signers`,
    };
  const at = time === undefined ? Number.NaN : Date.parse(time);
  const current = candidates.find((k) => k.until === undefined || at <= lastTrusted(k.until));
  if (!current)
    return {
      status: 'untrusted',
      fingerprint: key.fingerprint,
      reason: `signed by ${key.fingerprint} (${describeKey(candidates[0]!)}), which was trusted only until ${candidates.map((k) => k.until).join(', ')}; this entry is dated ${time ?? '(no time)'}`,
    };
  return { status: 'signed', key: current, fingerprint: key.fingerprint };
}

/** Who signed an entry, as `trusted` judges it (the entry's own time against each key's `until`). */
export function signerOf(entry: AuditEntry, trusted: readonly TrustedKey[]): SignerCheck {
  if (entry.sig === undefined) return { status: 'unsigned' };
  return checkSignature(entry.sig, contentDigest(entry), entry.time, trusted);
}

/**
 * Whether `signer` wrote the entry: signed by its key. What a writer looks for when it finds its own earlier
 * entries; the key is what keeps anyone else's copy from counting, so a writer with no key finds none.
 */
export function signedBy(entry: AuditEntry, signer: Pick<Signer, 'publicKey'> | undefined): boolean {
  return (
    signer !== undefined && signerOf(entry, [{ key: signer.publicKey, role: 'app' }]).status === 'signed'
  );
}

/** "gate key production deploy gate": a trusted key in words. */
export function describeKey(key: TrustedKey): string {
  return `${key.role} key${key.name ? ` ${key.name}` : ''}`;
}

/** A signer check in words, for verify and the report: who signed, or why nobody trusted did. */
export function signerWords(check: SignerCheck): string {
  switch (check.status) {
    case 'signed':
      return `signed by the ${describeKey(check.key)} (${check.fingerprint})`;
    case 'unsigned':
      return 'unsigned';
    case 'untrusted':
      return `signed by an untrusted key (${check.fingerprint})`;
    case 'invalid':
      return `bad signature (${check.reason})`;
  }
}

/**
 * Trusted keys from a git allowed_signers file (`principals [options] keytype key`, as `ssh-keygen -Y verify`
 * and git read it), each as a person named by its principals. Only ssh-ed25519 lines are read; options
 * other than namespaces are ignored; a line whose namespaces exclude aims-gate is left out.
 */
export function parseAllowedSigners(text: string, file: string): TrustedKey[] {
  const keys: TrustedKey[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const at = line.search(/(^|\s)ssh-ed25519\s/);
    if (at === -1) {
      if (/\s(ssh-|ecdsa-|sk-)/.test(line)) continue; // another key type: ssh-keygen's, not ours
      throw new Error(
        `${file}:${i + 1}: no public key on this line ("principals [options] ssh-ed25519 AAAA…")`,
      );
    }
    const head = line.slice(0, at).trim();
    const principals = head.split(/\s+/)[0] ?? '';
    const options = head.slice(principals.length);
    const namespaces = /namespaces="([^"]*)"/.exec(options)?.[1];
    if (namespaces && !namespaces.split(',').includes(NAMESPACE)) continue;
    const key = line.slice(at).trim();
    try {
      parsePublicKey(key);
    } catch (error) {
      throw new Error(`${file}:${i + 1}: ${(error as Error).message}`);
    }
    // valid-before="YYYYMMDD": trusted until the instant before that day starts (read as UTC).
    const before = /valid-before="?(\d{4})(\d\d)(\d\d)/.exec(options);
    const until = before
      ? new Date(Date.parse(`${before[1]}-${before[2]}-${before[3]}T00:00:00Z`) - 1).toISOString()
      : undefined;
    keys.push({ key, role: 'person', name: principals, ...(until ? { until } : {}) });
  }
  return keys;
}

/** The trusted keys as an allowed_signers file for `ssh-keygen -Y verify`: principal = role, or role:name. */
export function allowedSigners(trusted: readonly TrustedKey[]): string {
  return trusted
    .map(
      (k) =>
        `${k.role}${k.name ? `:${k.name.replace(/[\s,"]+/g, '-')}` : ''} namespaces="${NAMESPACE}" ${k.key.trim().split(/\s+/).slice(0, 2).join(' ')}\n`,
    )
    .join('');
}
