import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStore } from '../src/audit/file-store.js';
import { ed25519Signer, type Signer } from '../src/audit/signature.js';
import { main, type Output } from '../src/cli/main.js';
import { signStatement, verificationSummary } from '../src/export/attestation.js';
import { type Attestation, envelopeFile } from '../src/export/gate.js';
import { recordDeployment } from '../src/github/evaluate.js';
import type { RiskTier } from '../src/types.js';
import { git } from './temp-repo.js';

/**
 * What verify-attestation (and an admission policy after it) believes, tried by someone with write access to
 * the repository: real keys from `aims-gate keygen`, real log files, the CLI as a job would run it. Tests marked
 * `it.fails` show a hole still open (they pass while the check wrongly accepts); drop `.fails` with the fix.
 */

const REPO = 'acme/ml-platform';
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
let dir: string;
const keys: Record<string, { file: string; signer: Signer }> = {};

const io = () => {
  const out: string[] = [];
  const err: string[] = [];
  const output: Output = { out: (t) => out.push(t), err: (t) => err.push(t), color: false };
  return { output, out, err, text: () => out.join('') + err.join('') };
};

async function keygen(name: string): Promise<{ file: string; signer: Signer }> {
  const file = join(dir, `${name}.pem`);
  expect(await main(['keygen', '-o', file], io().output)).toBe(0);
  return { file, signer: ed25519Signer(readFileSync(file, 'utf8')) };
}

/** What the gate attaches to a decision, made as attestDecision makes it, with any key. */
function attest(
  signer: Signer,
  o: { commit?: string; environment?: string; tier?: RiskTier; passed?: boolean; time?: string } = {},
): Attestation {
  const bom = `{"bomFormat":"CycloneDX","commit":"${o.commit ?? A}"}\n`;
  const statement = verificationSummary({
    repository: REPO,
    repositoryUrl: `https://github.com/${REPO}`,
    commit: o.commit ?? A,
    tier: o.tier ?? 'high',
    passed: o.passed ?? true,
    policy: { uri: `https://github.com/${REPO}/blob/main/.github/aims-gate.yml` },
    time: o.time ?? '2026-11-21T09:00:00Z',
    ...(o.environment === '' ? {} : { environment: o.environment ?? 'production' }),
  });
  const envelope = signStatement(statement, signer);
  return { bom, statement, envelope, file: envelopeFile(envelope) };
}

/** The gate's entry for a decision, as recordDeployment writes it, appended to a log file. */
async function record(
  log: string,
  made: Attestation | undefined,
  o: { signer?: Signer; approved?: boolean; commit?: string; environment?: string; time?: string } = {},
) {
  await recordDeployment(
    new FileStore(log),
    { approved: o.approved ?? true, reason: o.approved === false ? 'rejected' : 'approved' },
    {
      time: o.time ?? '2026-11-21T09:00:00Z',
      actor: { login: 'release-bot' },
      subject: { repository: REPO, commit: o.commit ?? A, environment: o.environment ?? 'production' },
      writer: 'a test',
      ...(o.signer ? { signer: o.signer } : {}),
      ...(made ? { attestation: made } : {}),
    },
  );
}

/** A repository folder whose config lists `signers` (YAML lines). */
/** A git repository whose main branch commits a configuration listing these signers. */
function repoWith(name: string, signers: string): string {
  const root = join(dir, name);
  mkdirSync(join(root, '.github'), { recursive: true });
  writeFileSync(join(root, '.github/aims-gate.yml'), `systems: [models/*]\nsigners:\n${signers}`);
  git(root, 'init', '-q', '-b', 'main');
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'signers');
  return root;
}

async function verify(file: string, ...args: string[]) {
  const run = io();
  // The repository every statement here is about, as a workflow's GITHUB_REPOSITORY would give it.
  const repository = args.includes('--repository') ? [] : ['--repository', REPO];
  const code = await main(['verify-attestation', file, ...repository, ...args], run.output);
  return { code, text: run.text() };
}

function write(name: string, text: string | Buffer): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aims-attack-'));
  for (const name of ['gate', 'oldGate', 'attacker', 'person']) keys[name] = await keygen(name);
  write('gate.pub', `${keys.gate!.signer.publicKey}\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const gatePub = () => join(dir, 'gate.pub');

describe('what held', () => {
  it('another commit: --commit B refuses an approval of A, with or without the log', async () => {
    const made = attest(keys.gate!.signer, { commit: A });
    const log = join(dir, 'commit.jsonl');
    await record(log, made, { signer: keys.gate!.signer });
    const file = write('commit-a.intoto.jsonl', made.file);
    expect((await verify(file, '--key', gatePub(), '--log', log, '--commit', A)).code).toBe(0);
    const other = await verify(file, '--key', gatePub(), '--log', log, '--commit', B);
    expect(other.code).toBe(1);
    expect(other.text).toMatch(/not bbbb/);
  });

  it('a tier that rose since: --tier high refuses an approval made at tier limited', async () => {
    const made = attest(keys.gate!.signer, { tier: 'limited' });
    const log = join(dir, 'tier.jsonl');
    await record(log, made, { signer: keys.gate!.signer });
    const run = await verify(
      write('limited.json', made.file),
      '--key',
      gatePub(),
      '--log',
      log,
      '--tier',
      'high',
    );
    expect(run.code).toBe(1);
    expect(run.text).toMatch(/approved at tier limited, not at tier high/);
  });

  it("a person's key, an unlisted key: the envelope's signature holds for no gate or app key", async () => {
    const root = repoWith(
      'person',
      `  - { key: ${keys.gate!.signer.publicKey}, role: gate }\n  - { key: ${keys.person!.signer.publicKey}, role: person, name: alice }\n`,
    );
    for (const who of ['person', 'attacker']) {
      const run = await verify(
        write(`${who}.json`, attest(keys[who]!.signer).file),
        '--dir',
        root,
        '--trusted-ref',
        'main',
      );
      expect(run.code).toBe(1);
      expect(run.text).toMatch(/does not hold for any gate or app key/);
    }
  });

  it('an entry that names the digest, signed by a key the verifying config does not list, is refused', async () => {
    const made = attest(keys.gate!.signer);
    const log = join(dir, 'forged-entry.jsonl');
    // The attacker cannot sign an envelope with the gate's key, but takes a real one the gate signed in a
    // pipeline (never a decision) and records it with their own key.
    await record(log, made, { signer: keys.attacker!.signer });
    const run = await verify(write('forged-entry.json', made.file), '--key', gatePub(), '--log', log);
    expect(run.code).toBe(1);
    expect(run.text).toMatch(/no gate or app key the configuration lists signed that entry/);
    await record(log, made, {});
    expect((await verify(join(dir, 'forged-entry.json'), '--key', gatePub(), '--log', log)).text).toMatch(
      /unsigned/,
    );
  });

  it('the PR check BOM, and a non-DSSE payload type, are not attestations', async () => {
    const bom = write('pr.cdx.json', '{"bomFormat":"CycloneDX","specVersion":"1.6"}\n');
    expect((await verify(bom, '--key', gatePub())).text).toMatch(/not a DSSE envelope/);
    const made = attest(keys.gate!.signer);
    const retyped = write(
      'retyped.json',
      JSON.stringify({ ...made.envelope, payloadType: 'application/json' }),
    );
    expect((await verify(retyped, '--key', gatePub())).text).toMatch(/payloadType is "application\/json"/);
  });

  it('malformed and giant files: a clear error naming the file, no stack trace', async () => {
    for (const [name, text] of [
      ['empty.json', ''],
      ['garbage.json', '\u0000\u00ff{{{'],
      ['array.json', '[]'],
      ['nullsig.json', '{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[null]}'],
    ] as const) {
      const run = await verify(write(name, text), '--key', gatePub());
      expect(run.code, name).toBe(1);
      expect(run.text, name).not.toMatch(/\n\s+at /);
    }
    // 16 MiB of payload: refused for its statement, without a stack trace.
    const giant = write(
      'giant.json',
      `{"payloadType":"application/vnd.in-toto+json","payload":"${'A'.repeat(16 * 1024 * 1024)}","signatures":[]}`,
    );
    const big = await verify(giant, '--key', gatePub());
    expect(big.code).toBe(2);
    expect(big.text).toMatch(/giant\.json is 16,777,\d+ bytes: a DSSE envelope is a few kilobytes/);
    const folder = await verify(dir, '--key', gatePub());
    expect(folder.text).toMatch(/is a folder: pass the DSSE envelope file/);
  });
});

describe('what broke', () => {
  it('another environment: an approval for staging is refused where production is required (--environment)', async () => {
    const made = attest(keys.gate!.signer, { environment: 'staging' });
    const log = join(dir, 'env.jsonl');
    await record(log, made, { signer: keys.gate!.signer, environment: 'staging' });
    const file = write('staging.json', made.file);
    expect((await verify(file, '--key', gatePub(), '--log', log, '--environment', 'staging')).code).toBe(0);
    const run = await verify(file, '--key', gatePub(), '--log', log, '--environment', 'production');
    expect(run.code).toBe(1);
    expect(run.text).toMatch(/approved for staging, not for production/);
    // Names compare as GitHub compares environments (and the gate's rules): without case, trimmed.
    expect((await verify(file, '--key', gatePub(), '--log', log, '--environment', 'Staging')).code).toBe(0);
    // A statement that names no environment (export --format intoto in a pipeline) is no deployment approval.
    const none = await verify(
      write('no-env.json', attest(keys.gate!.signer, { environment: '' }).file),
      '--key',
      gatePub(),
      '--environment',
      'production',
    );
    expect(none.code).toBe(1);
    expect(none.text).toMatch(/approved for no environment/);
  });

  it('duplicate keys in the envelope: a parser that keeps the first reads another statement than ours', async () => {
    // Two envelopes the gate signed: one recorded decision (production) and one it never recorded.
    const recorded = attest(keys.gate!.signer, { environment: 'production', commit: A });
    const other = attest(keys.gate!.signer, { environment: 'staging', commit: B, tier: 'minimal' });
    const log = join(dir, 'duplicate.jsonl');
    await record(log, recorded, { signer: keys.gate!.signer });
    // JSON.parse (and Go) keep the last of each key; serde_json refuses, others keep the first.
    const polyglot = `{"payloadType":"application/vnd.in-toto+json","payload":"${other.envelope.payload}","signatures":${JSON.stringify(other.envelope.signatures)},"payload":"${recorded.envelope.payload}","signatures":${JSON.stringify(recorded.envelope.signatures)}}\n`;
    const run = await verify(write('polyglot.json', polyglot), '--key', gatePub(), '--log', log);
    expect(run.code).toBe(1);
    expect(run.text).toMatch(/its envelope repeats a key/);
    // Inside the signed payload too (only the key holder could write it, but it is refused the same way).
    const payload = `{"_type":"https://in-toto.io/Statement/v1","_type":"https://in-toto.io/Statement/v1"}`;
    const twice = signStatement(JSON.parse(payload), keys.gate!.signer);
    const inside = await verify(
      write('dup-payload.json', envelopeFile({ ...twice, payload: Buffer.from(payload).toString('base64') })),
      '--key',
      gatePub(),
    );
    expect(inside.code).toBe(1);
    expect(inside.text).toMatch(/its payload repeats a key/);
  });

  it("the trust root is never the working tree: a writer's branch lists their own key as gate and signs both", async () => {
    // The protected branch lists the gate's key; the writer's checkout adds their own, with role gate.
    const root = repoWith(
      'writer-lists-own-key',
      `  - { key: ${keys.gate!.signer.publicKey}, role: gate }\n`,
    );
    writeFileSync(
      join(root, '.github/aims-gate.yml'),
      `systems: [models/*]\nsigners:\n  - { key: ${keys.gate!.signer.publicKey}, role: gate }\n  - { key: ${keys.attacker!.signer.publicKey}, role: gate, name: release automation }\n`,
    );
    git(root, 'commit', '-qam', 'release automation key', '--no-verify');
    const made = attest(keys.attacker!.signer, { commit: B, tier: 'high' });
    const log = join(root, 'audit-log.jsonl');
    await record(log, made, { signer: keys.attacker!.signer, commit: B });
    const file = write('self-signed.json', made.file);
    const checks = ['--log', log, '--tier', 'high', '--commit', B];
    // The configuration as the protected branch has it: the writer's key is not there.
    const protectedTip = git(root, 'rev-parse', 'main~1').trim();
    const pinned = await verify(file, '--dir', root, '--trusted-ref', protectedTip, ...checks);
    expect(pinned.code).toBe(1);
    expect(pinned.text).toMatch(/does not hold for any gate or app key/);
    // Without a trust root the check refuses to choose one, rather than read the checkout's.
    const unpinned = await verify(file, '--dir', root, ...checks);
    expect(unpinned.code).toBe(2);
    expect(unpinned.text).toMatch(
      /--trusted-ref REF reads the signers of the configuration committed at REF/,
    );
    // A revision that is not there is said so, and nothing is trusted; nor is what the checkout can move.
    const missing = await verify(file, '--dir', root, '--trusted-ref', 'origin/main', ...checks);
    expect(missing.code).toBe(2);
    expect(missing.text).toMatch(/"origin\/main" is no branch here/);
    for (const movable of ['HEAD', 'main~1', 'refs/tags/v1']) {
      const run = await verify(file, '--dir', root, '--trusted-ref', movable, ...checks);
      expect(run.code, movable).toBe(2);
    }
  });

  it('a gate-signed log line with a repeated key: a first-wins reader would see another digest, so the log does not verify', async () => {
    // The entry's signature and hash are over the parsed entry (last value wins), not its bytes: a writer of the
    // log branch inserts a second "attestation" before the real one. aims-gate (and Go, jq, Python) read the
    // real digest; a reader that keeps the first (or refuses, as serde_json does) reads the inserted one.
    const made = attest(keys.gate!.signer);
    const log = join(dir, 'repeated-entry.jsonl');
    await record(log, made, { signer: keys.gate!.signer });
    const line = readFileSync(log, 'utf8');
    writeFileSync(
      log,
      line.replace('"attestation":', `"attestation":"sha256:${'e'.repeat(64)}","attestation":`),
    );
    expect(readFileSync(log, 'utf8')).toContain(`sha256:${'e'.repeat(64)}`);
    const run = await verify(write('repeated-entry.json', made.file), '--key', gatePub(), '--log', log);
    expect(run.code).toBe(1);
    expect(run.text).toContain('does not verify (line 1 gives the key "attestation" twice');
  });

  it('a rotated-out key signs a statement and an entry dated before its until, appended today: the entry it follows dates it', async () => {
    // The old key was rotated out (until 2026-06-30), for example because it leaked. Its holder dates both the
    // statement and the entry before the until; --log checks that one entry, not where it stands in the chain.
    const root = repoWith(
      'rotated',
      `  - { key: ${keys.oldGate!.signer.publicKey}, role: gate, until: 2026-06-30 }\n  - { key: ${keys.gate!.signer.publicKey}, role: gate }\n`,
    );
    const log = join(root, 'audit-log.jsonl');
    await record(log, attest(keys.gate!.signer), { signer: keys.gate!.signer, time: '2026-11-21T09:00:00Z' });
    const made = attest(keys.oldGate!.signer, { commit: B, time: '2026-06-01T00:00:00Z' });
    await record(log, made, { signer: keys.oldGate!.signer, commit: B, time: '2026-06-01T00:00:00Z' });
    const run = await verify(
      write('backdated.json', made.file),
      ...['--dir', root, '--trusted-ref', 'main', '--log', log, '--commit', B],
    );
    expect(run.code).toBe(1);
    expect(run.text).toContain('is dated 2026-06-01T00:00:00Z, before entries it follows');
  });

  it('an approval replayed after the gate later rejected the same commit for the same environment', async () => {
    const made = attest(keys.gate!.signer);
    const log = join(dir, 'replay.jsonl');
    await record(log, made, { signer: keys.gate!.signer, time: '2026-11-21T09:00:00Z' });
    const file = write('replayed.json', made.file);
    // A rejection anyone could write (unsigned), or one for another environment, overrules nothing.
    await record(log, undefined, { approved: false, time: '2026-11-22T09:00:00Z' });
    await record(log, undefined, { signer: keys.gate!.signer, approved: false, environment: 'staging' });
    expect((await verify(file, '--key', gatePub(), '--log', log)).code).toBe(0);
    // The gate's own, for the same commit and environment (named as GitHub names it, in any case): its last word.
    await record(log, undefined, {
      signer: keys.gate!.signer,
      approved: false,
      environment: 'Production',
      time: '2026-11-22T09:00:00Z',
    });
    const run = await verify(file, '--key', gatePub(), '--log', log);
    expect(run.code).toBe(1);
    expect(run.text).toMatch(/then rejected a{12} for production in entry 4 .*an approval it overruled/);
  });
});
