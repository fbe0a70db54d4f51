import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { signerFromEnvironment } from '../app/signing.js';
import {
  type AuditEntry,
  contentDigest,
  type EventDraft,
  entryHash,
  seal,
  sealSigned,
} from '../src/audit/entry.js';
import {
  allowedSigners,
  armour,
  claimsGate,
  ed25519Signer,
  isGateKey,
  isGateOnly,
  parseAllowedSigners,
  parsePublicKey,
  type Signer,
  signerOf,
  sshKeygenSigner,
  type TrustedKey,
} from '../src/audit/signature.js';

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'aims-sig-'));
  temps.push(dir);
  return dir;
};

const pem = () =>
  generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const gate = ed25519Signer(pem());
const other = ed25519Signer(pem());
const trusted: TrustedKey[] = [{ key: `${gate.publicKey} ci`, role: 'gate', name: 'deploy gate' }];

const draft = (overrides: Partial<EventDraft> = {}): EventDraft => ({
  type: 'deployment.approved',
  time: '2026-11-02T10:00:00.000Z',
  actor: { login: 'octocat', via: 'github' },
  subject: { repository: 'acme/ml', commit: 'a'.repeat(40), environment: 'production' },
  details: { by: 'aims-gate', reason: 'all approvals given' },
  evidence: [],
  ...overrides,
});

const signed = (signer: Signer = gate, d = draft()) =>
  sealSigned(d, { seq: 4, hash: 'c'.repeat(64) }, signer);

/** The entry with one field changed and re-hashed, as a writer who can push would do it. */
const rehashed = (entry: AuditEntry, change: Partial<AuditEntry>): AuditEntry => {
  const { hash: _hash, ...rest } = { ...entry, ...change };
  return { ...rest, hash: entryHash(rest) };
};

const hasSshKeygen = spawnSync('ssh-keygen', ['-?']).error === undefined;

describe('signed entries', () => {
  it('signs the content digest, and the hash covers the signature', async () => {
    const entry = await signed();
    expect(entry.sig).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(entry.hash).toBe(entryHash(entry));
    // Taking the signature away changes the hash: the chain breaks where it is removed.
    const { sig: _sig, ...unsigned } = entry;
    expect(entryHash(unsigned)).not.toBe(entry.hash);
    expect(contentDigest(entry)).toBe(contentDigest(unsigned));
    const check = signerOf(entry, trusted);
    expect(check).toMatchObject({ status: 'signed', key: { role: 'gate', name: 'deploy gate' } });
    expect(isGateKey(check)).toBe(true);
    expect(check.status === 'signed' && check.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('an entry without sig is unsigned', () => {
    const entry = seal(draft(), undefined);
    expect(signerOf(entry, trusted)).toEqual({ status: 'unsigned' });
    expect(isGateKey(signerOf(entry, trusted))).toBe(false);
  });

  it.each<[string, Partial<AuditEntry>]>([
    ['seq', { seq: 6 }],
    ['prev', { prev: 'd'.repeat(64) }],
    ['time', { time: '2026-11-03T10:00:00.000Z' }],
    ['type', { type: 'deployment.rejected' }],
    ['actor', { actor: { login: 'mallory', via: 'github' } }],
    ['subject', { subject: { repository: 'acme/ml', commit: 'b'.repeat(40), environment: 'production' } }],
    ['details', { details: { by: 'aims-gate', reason: 'forged' } }],
    ['evidence', { evidence: [{ path: 'x', sha256: 'e'.repeat(64) }] }],
  ])('a changed %s makes the signature invalid, even re-hashed', async (_field, change) => {
    const entry = rehashed(await signed(), change);
    const check = signerOf(entry, trusted);
    expect(check.status).toBe('invalid');
    expect(check.status === 'invalid' && check.reason).toMatch(/does not match the entry/);
  });

  it('a signature moved onto another entry is invalid', async () => {
    const a = await signed();
    const b = seal(
      draft({ subject: { repository: 'acme/ml', commit: 'f'.repeat(40), environment: 'production' } }),
      {
        seq: 4,
        hash: 'c'.repeat(64),
      },
    );
    expect(signerOf(rehashed(b, { sig: a.sig! }), trusted).status).toBe('invalid');
  });

  it('a key the config does not list is untrusted, with its fingerprint', async () => {
    const check = signerOf(await signed(other), trusted);
    expect(check).toMatchObject({ status: 'untrusted', fingerprint: expect.stringMatching(/^SHA256:/) });
    expect(check.status === 'untrusted' && check.reason).toMatch(/does not list under signers/);
  });

  it('a list of keys changed after use is read again', async () => {
    const entry = await signed();
    const keys: TrustedKey[] = [];
    expect(signerOf(entry, keys).status).toBe('untrusted');
    keys.push(trusted[0]!);
    expect(signerOf(entry, keys).status).toBe('signed');
    keys[0] = { key: other.publicKey, role: 'gate' };
    expect(signerOf(entry, keys).status).toBe('untrusted');
  });

  it('a rotated key signs until its day, not after', async () => {
    const rotated: TrustedKey[] = [{ key: gate.publicKey, role: 'gate', until: '2026-11-02' }];
    expect(signerOf(await signed(), rotated).status).toBe('signed');
    const late = await signed(gate, draft({ time: '2026-11-03T00:00:00.000Z' }));
    const check = signerOf(late, rotated);
    expect(check.status).toBe('untrusted');
    expect(check.status === 'untrusted' && check.reason).toMatch(/trusted only until 2026-11-02/);
    // Listed again with another role and no end: the current listing wins.
    expect(signerOf(late, [...rotated, { key: gate.publicKey, role: 'person' }])).toMatchObject({
      status: 'signed',
      key: { role: 'person' },
    });
  });

  it('a person key is signed, but no gate key', async () => {
    const check = signerOf(await signed(other), [{ key: other.publicKey, role: 'person', name: 'li' }]);
    expect(check.status).toBe('signed');
    expect(isGateKey(check)).toBe(false);
  });

  it.each([
    ['not base64', 'not base64!'],
    ['empty after decoding', 'AAAA'],
    ['another magic', Buffer.from('SSHSIX\0\0\0\x01').toString('base64')],
    ['cut short', ''],
  ])('a malformed signature (%s) is invalid, not a crash', async (_what, sig) => {
    const entry = await signed();
    const broken = { ...entry, sig: sig || entry.sig!.slice(0, 100) };
    const check = signerOf(broken, trusted);
    expect(check.status).toBe('invalid');
    expect(check.status === 'invalid' && check.reason).toMatch(/damaged/);
  });

  it('refuses a signature made for another namespace', async () => {
    const entry = await signed();
    const blob = Buffer.from(entry.sig!, 'base64');
    // namespace "aims-gate" -> "aims-gatx": same length, another namespace.
    const at = blob.indexOf('aims-gate');
    blob.write('x', at + 8);
    const check = signerOf({ ...entry, sig: blob.toString('base64') }, trusted);
    expect(check.status === 'invalid' && check.reason).toMatch(/made for "aims-gatx"/);
  });

  it('the gate-only types, and evaluations that claim to be the gate', () => {
    expect(
      ['deployment.approved', 'deployment.rejected', 'approval.given', 'approval.withdrawn'].every(
        isGateOnly,
      ),
    ).toBe(true);
    expect(isGateOnly('evaluated')).toBe(false);
    expect(claimsGate({ type: 'evaluated', subject: { environment: 'production' } })).toBe(true);
    expect(claimsGate({ type: 'evaluated', subject: { pullRequest: 3 } })).toBe(false);
    expect(claimsGate({ type: 'custom.review', subject: { environment: 'production' } })).toBe(false);
  });
});

describe('keys', () => {
  it('refuses what is not an unencrypted Ed25519 PKCS#8 key, and never shows the key', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString();
    expect(() => ed25519Signer(rsa)).toThrow(/is rsa key: use an unencrypted Ed25519 key in PKCS#8/);
    expect(() =>
      ed25519Signer(
        '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n-----END OPENSSH PRIVATE KEY-----\n',
      ),
    ).toThrow(/OpenSSH private key/);
    expect(() => ed25519Signer('hunter2')).toThrow(/not PEM/);
    const secret = pem();
    const damaged = secret.replace(/\n([A-Za-z0-9+/]{10})/, '\n$1$1');
    try {
      ed25519Signer(damaged);
      expect.unreachable();
    } catch (error) {
      const body = secret.split('\n')[1]!;
      expect((error as Error).message).not.toContain(body.slice(0, 16));
    }
    // A PEM squeezed onto one line with "\n" escapes, as environment variables often hold it.
    expect(ed25519Signer(secret.replace(/\n/g, '\\n')).publicKey).toMatch(
      /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI/,
    );
  });

  it('parses ssh-ed25519 public keys, and says what is wrong with others', () => {
    expect(parsePublicKey(`${gate.publicKey} me@host`).fingerprint).toMatch(/^SHA256:/);
    expect(() => parsePublicKey('ssh-rsa AAAAB3NzaC1yc2E')).toThrow(/ssh-ed25519 public key/);
    expect(() => parsePublicKey('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA')).toThrow(/damaged/);
    expect(() => parsePublicKey('ssh-ed25519 !!')).toThrow(/not base64/);
  });

  it('reads allowed_signers: principals, namespaces, valid-before', () => {
    const text = [
      '# people',
      `li@example.com ${other.publicKey}`,
      `gitonly namespaces="git" ${gate.publicKey}`,
      `old@example.com namespaces="git,aims-gate",valid-before="20261201" ${gate.publicKey}`,
      'rsa@example.com ssh-rsa AAAAB3NzaC1yc2E',
    ].join('\n');
    const keys = parseAllowedSigners(text, 'allowed_signers');
    expect(keys).toEqual([
      { key: other.publicKey, role: 'person', name: 'li@example.com' },
      { key: gate.publicKey, role: 'person', name: 'old@example.com', until: '2026-11-30T23:59:59.999Z' },
    ]);
    expect(() => parseAllowedSigners('who ssh-ed25519 AAAA', 'f')).toThrow(/^f:1: /);
  });
});

describe("the App's key from its environment", () => {
  it('AIMS_GATE_SIGNING_KEY, or a file named by AIMS_GATE_SIGNING_KEY_FILE; neither: unsigned', () => {
    const key = pem();
    expect(signerFromEnvironment({ AIMS_GATE_SIGNING_KEY: key })?.publicKey).toBe(
      ed25519Signer(key).publicKey,
    );
    const file = join(tempDir(), 'app.pem');
    writeFileSync(file, key, { mode: 0o600 });
    expect(signerFromEnvironment({ AIMS_GATE_SIGNING_KEY_FILE: file })?.publicKey).toBe(
      ed25519Signer(key).publicKey,
    );
    expect(signerFromEnvironment({})).toBeUndefined();
    expect(() =>
      signerFromEnvironment({ AIMS_GATE_SIGNING_KEY: key, AIMS_GATE_SIGNING_KEY_FILE: file }),
    ).toThrow(/not both/);
    expect(() => signerFromEnvironment({ AIMS_GATE_SIGNING_KEY_FILE: `${file}.missing` })).toThrow(
      /cannot be read \(ENOENT\)/,
    );
    expect(() => signerFromEnvironment({ AIMS_GATE_SIGNING_KEY: 'oops' })).toThrow(
      /^AIMS_GATE_SIGNING_KEY: the signing key is not PEM/,
    );
  });
});

describe.runIf(hasSshKeygen)('interoperates with ssh-keygen', () => {
  it('ssh-keygen -Y verify accepts what node signed', async () => {
    const dir = tempDir();
    const entry = await signed();
    writeFileSync(join(dir, 'entry.sig'), armour(entry.sig!));
    writeFileSync(join(dir, 'allowed_signers'), allowedSigners(trusted));
    const principal = allowedSigners(trusted).split(' ')[0]!;
    const out = execFileSync(
      'ssh-keygen',
      [
        '-Y',
        'verify',
        '-f',
        join(dir, 'allowed_signers'),
        '-I',
        principal,
        '-n',
        'aims-gate',
        '-s',
        join(dir, 'entry.sig'),
      ],
      { input: contentDigest(entry), encoding: 'utf8' },
    );
    expect(out).toMatch(/Good "aims-gate" signature for gate:deploy-gate with ED25519 key SHA256:/);
    expect(out).toContain((signerOf(entry, trusted) as { fingerprint: string }).fingerprint);
    // Another entry's digest: refused.
    const bad = spawnSync(
      'ssh-keygen',
      [
        '-Y',
        'verify',
        '-f',
        join(dir, 'allowed_signers'),
        '-I',
        principal,
        '-n',
        'aims-gate',
        '-s',
        join(dir, 'entry.sig'),
      ],
      { input: 'f'.repeat(64), encoding: 'utf8' },
    );
    expect(bad.status).not.toBe(0);
  });

  it("node verifies what ssh-keygen signed with a person's key", async () => {
    const dir = tempDir();
    const key = join(dir, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'li@example.com', '-f', key]);
    const person = sshKeygenSigner(key);
    expect(person.publicKey).toMatch(/^ssh-ed25519 AAAA/);
    const entry = await sealSigned(draft({ type: 'custom.review' }), undefined, person);
    const check = signerOf(entry, [{ key: person.publicKey, role: 'person', name: 'li' }]);
    expect(check).toMatchObject({ status: 'signed', key: { name: 'li' } });
    const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', `${key}.pub`], { encoding: 'utf8' }).split(
      ' ',
    )[1];
    expect(check.status === 'signed' && check.fingerprint).toBe(fingerprint);
  });

  it.runIf(spawnSync('jq', ['--version']).error === undefined)(
    "the README's recipe checks an entry of the example's log with jq, sha256sum and ssh-keygen alone",
    () => {
      const dir = tempDir();
      const example = join(import.meta.dirname, '..', 'examples', 'ml-platform');
      const config = readFileSync(join(example, '.github', 'aims-gate.yml'), 'utf8');
      const key = /key: (ssh-ed25519 \S+) EXAMPLE-ONLY\n {4}role: gate/.exec(config)![1];
      const log = join(example, '.aims-gate', 'audit-log.jsonl');
      const seq =
        readFileSync(log, 'utf8')
          .split('\n')
          .findIndex((l) => l.includes('"deployment.approved"')) + 1;
      const recipe = `
        line=$(sed -n ${seq}p "${log}")
        echo 'gate namespaces="aims-gate" ${key}' > allowed_signers
        { echo '-----BEGIN SSH SIGNATURE-----'; printf %s "$line" | jq -r .sig | fold -w 70;
          echo '-----END SSH SIGNATURE-----'; } > entry.sig
        printf %s "$line" | jq -cjS 'del(.hash, .sig)' | sha256sum | cut -c1-64 | tr -d '\\n' |
          ssh-keygen -Y verify -f allowed_signers -I gate -n aims-gate -s entry.sig`;
      const out = execFileSync('bash', ['-c', recipe], { cwd: dir, encoding: 'utf8' });
      expect(out).toMatch(/^Good "aims-gate" signature for gate with ED25519 key SHA256:/);
    },
  );

  it('says plainly when the key cannot sign', async () => {
    const dir = tempDir();
    expect(() => sshKeygenSigner(join(dir, 'missing'))).toThrow(/missing.pub: no such file/);
    writeFileSync(join(dir, 'k.pub'), `${gate.publicKey}\n`);
    writeFileSync(join(dir, 'k'), 'not a key\n', { mode: 0o600 });
    const signer = sshKeygenSigner(join(dir, 'k'));
    await expect(signer.sign('a'.repeat(64))).rejects.toThrow(/ssh-keygen could not sign with/);
  });
});
