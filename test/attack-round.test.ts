import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AuditEntry, type EventDraft, seal, sealSigned, serialise, sha256 } from '../src/audit/entry.js';
import { FileStore } from '../src/audit/file-store.js';
import { MemoryStore } from '../src/audit/memory-store.js';
import { ed25519Signer, type Signer } from '../src/audit/signature.js';
import { main, type Output } from '../src/cli/main.js';
import { signStatement, verificationSummary } from '../src/export/attestation.js';
import { type Attestation, envelopeFile } from '../src/export/gate.js';
import { trustedCheckpoint } from '../src/github/checkpoint-status.js';
import { gateDeployment, recordDeployment } from '../src/github/evaluate.js';
import { createGitHub } from '../src/github/octokit.js';
import { FakeGitHub } from './fake-github.js';
import { conformantRepo } from './helpers.js';
import { approvedInLog, GATE_CONFIG, RepositoryHistory } from './repository-history.js';
import { git as gitIn } from './temp-repo.js';

/**
 * Another round of attacks by someone with write access to the repository (push branches, push to the log
 * branch, post statuses), against the real CLI with real keys and log files. `it.fails` marks a hole still open:
 * the test asserts the secure behaviour, so it fails while the hole is there; drop `.fails` with the fix.
 */

const REPO = 'acme/ml-platform';
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
let dir: string;
const gate: Signer = ed25519Signer(
  generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
);

async function cli(...args: string[]) {
  const out: string[] = [];
  const output: Output = { out: (t) => out.push(t), err: (t) => out.push(t), color: false };
  // verify-attestation is told the repository, as a workflow's GITHUB_REPOSITORY tells it.
  const named = args[0] === 'verify-attestation' && !args.includes('--repository');
  const code = await main(named ? [...args, '--repository', REPO] : args, output);
  return { code, text: out.join('') };
}

/** The statement the gate attaches to an approval of `commit` in `repository` for production, signed with `signer`. */
function attest(commit = A, { repository = REPO, signer = gate } = {}): Attestation {
  const statement = verificationSummary({
    repository,
    repositoryUrl: `https://github.com/${repository}`,
    commit,
    tier: 'high',
    passed: true,
    policy: { uri: `https://github.com/${repository}/blob/main/.github/aims-gate.yml` },
    time: '2026-11-21T09:00:00Z',
    environment: 'production',
  });
  const envelope = signStatement(statement, signer);
  return { bom: '{}\n', statement, envelope, file: envelopeFile(envelope) };
}

/** The gate's decision on `commit` for production, as recordDeployment writes it, signed with the gate key. */
async function record(
  log: string,
  o: { approved: boolean; commit: string; time: string; made?: Attestation },
) {
  await recordDeployment(
    new FileStore(log),
    { approved: o.approved, reason: o.approved ? 'approved' : 'rejected' },
    {
      time: o.time,
      actor: { login: 'release-bot' },
      subject: { repository: REPO, commit: o.commit, environment: 'production' },
      writer: 'a test',
      signer: gate,
      ...(o.made ? { attestation: o.made } : {}),
    },
  );
}

const linesOf = (log: string) => readFileSync(log, 'utf8').trimEnd().split('\n');

/** A line as the attacker writes it: `body` is an entry's JSON without its hash member, sealed over its bytes. */
function sealBytes(body: string): string {
  return body.replace(',"prev":"', `,"hash":"${sha256(body)}","prev":"`);
}

/** The JSON of an entry line without its hash member. */
const withoutHash = (line: string) => line.replace(`"hash":"${(JSON.parse(line) as AuditEntry).hash}",`, '');

/**
 * A gate-signed line moved onto another chain. The chain is read from the line's bytes (verify's fast path:
 * the first `prev` member after `hash`), the signature is checked on the parsed entry (JSON.parse keeps the last
 * of a repeated key): a second `prev` before `v` holds the genuine one. One escaped character in the subject
 * makes verify's byte reader hand the line to the parser, so verify with keys calls it signed too.
 */
function rechain(line: string, prev: string): string {
  const entry = JSON.parse(line) as AuditEntry;
  return sealBytes(
    withoutHash(line)
      .replace(`"prev":"${entry.prev}"`, `"prev":"${prev}"`)
      .replace('"environment":"production"', '"environment":"pr\\u006fduction"')
      .replace(/,"v":1}$/, `,"prev":"${entry.prev}","v":1}`),
  );
}

const note = (time: string): EventDraft => ({
  type: 'custom.note',
  time,
  actor: { login: 'attacker' },
  subject: { repository: REPO },
  details: {},
  evidence: [],
});

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'aims-round-'));
  mkdirSync(join(dir, '.github'));
  writeFileSync(
    join(dir, '.github/aims-gate.yml'),
    `systems: [models/*]\nsigners:\n  - { key: ${gate.publicKey}, role: gate }\n`,
  );
  writeFileSync(join(dir, 'gate.pub'), `${gate.publicKey}\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the chain is read from the bytes, the signature from the parsed entry', () => {
  it('a gate rejection cut from the middle of the log, the gate-signed entries after it re-chained by a repeated prev: the overruled approval is admitted, verify says intact and signed', async () => {
    // The gate approved A (with its attestation), then rejected A (say, an approval was dismissed), then
    // approved B. A writer of the log branch replaces the rejection with an entry of their own, and moves the
    // gate's approval of B onto it: its bytes chain (prev = the new entry's hash), its parsed entry (the last
    // prev) is what the gate signed. "A signature covers the whole history before it (through prev)" no longer
    // holds: the latest gate-signed entry vouches for a history the gate never wrote.
    const log = join(dir, 'cut.jsonl');
    const made = attest();
    await record(log, { approved: true, commit: A, time: '2026-11-21T09:00:00Z', made });
    await record(log, { approved: false, commit: A, time: '2026-11-22T09:00:00Z' });
    await record(log, { approved: true, commit: B, time: '2026-11-23T09:00:00Z' });
    const envelope = join(dir, 'overruled.dsse.json');
    writeFileSync(envelope, made.file);
    const before = await cli('verify-attestation', envelope, '--key', join(dir, 'gate.pub'), '--log', log);
    expect(before.text).toContain('an approval it overruled');

    const [first, , third] = linesOf(log);
    const filler = seal(note('2026-11-22T09:00:00Z'), {
      seq: 1,
      hash: (JSON.parse(first!) as AuditEntry).hash,
    });
    const moved = rechain(third!, filler.hash);
    writeFileSync(log, `${first}\n${serialise(filler)}${moved}\n`);
    const head = `3:${(JSON.parse(moved) as AuditEntry).hash}`;
    // A checkpoint status naming the moved entry counts under trustedCheckpoint's second rule (the Action's
    // statuses are github-actions[bot]'s, as the attacker's are): the entry at that hash is "signed by a gate key".
    const entries = linesOf(log).map((l) => JSON.parse(l) as AuditEntry);
    const believed = trustedCheckpoint(
      [
        {
          checkpoint: { seq: 3, hash: entries[2]!.hash },
          creator: 'github-actions[bot]',
          createdAt: '2026-11-24T00:00:00Z',
        },
      ],
      { entryAt: (seq) => entries[seq - 1], trusted: [{ key: gate.publicKey, role: 'gate' }] },
    );

    const admitted = await cli('verify-attestation', envelope, '--key', join(dir, 'gate.pub'), '--log', log);
    const verified = await cli('verify', dir, '--log', log, '--checkpoint', head);
    expect({ admitted: admitted.code, verified: verified.code, believed }).toEqual({
      admitted: 1,
      verified: 1,
      believed: undefined,
    });
  });

  it('a repeated key in a gate-signed line, its hash recomputed over the bytes: verify-attestation --log records it (the refusal of repeated keys is skipped)', async () => {
    // attestation-attack.test.ts refuses this line when its hash is left alone (the parser path checks for
    // repeated keys); re-hashed over its bytes it takes verify's fast path, which never looks. A reader that keeps
    // the first value reads another digest than the one the gate signed.
    const log = join(dir, 'repeated.jsonl');
    const made = attest();
    await record(log, { approved: true, commit: A, time: '2026-11-21T09:00:00Z', made });
    const [line] = linesOf(log);
    const forged = sealBytes(
      withoutHash(line!).replace('"attestation":', `"attestation":"sha256:${'e'.repeat(64)}","attestation":`),
    );
    writeFileSync(log, `${forged}\n`);
    const envelope = join(dir, 'repeated.dsse.json');
    writeFileSync(envelope, made.file);
    const run = await cli('verify-attestation', envelope, '--key', join(dir, 'gate.pub'), '--log', log);
    expect(run.code).toBe(1);
    expect(run.text).toContain('twice');
  });

  it('an unsigned deployment.approved with a nested "type" member after its own: verify passes it, the report calls it FORGED', async () => {
    // verify's byte reader takes the entry's type from the last `,"type":"` of the line, which canonical JSON
    // puts last but one; a forged line adds an object after it holding a key "type". The bytes say custom.note
    // (no gate claim, unsigned is fine), JSON.parse says deployment.approved: verify exits 0 over a forgery.
    const log = join(dir, 'nested.jsonl');
    await record(log, { approved: true, commit: A, time: '2026-11-21T09:00:00Z' });
    const head = JSON.parse(linesOf(log)[0]!) as AuditEntry;
    const forgedEntry = seal(
      {
        type: 'deployment.approved',
        time: '2026-11-22T09:00:00Z',
        actor: { login: 'aims-gate' },
        subject: { repository: REPO, commit: B, environment: 'production' },
        details: { by: 'aims-gate', reason: 'approved' },
        evidence: [],
      },
      { seq: 1, hash: head.hash },
    );
    const forged = sealBytes(
      withoutHash(serialise(forgedEntry).trimEnd()).replace(
        /,"v":1}$/,
        ',"w":{"a":0,"type":"custom.note"},"v":1}',
      ),
    );
    writeFileSync(log, `${readFileSync(log, 'utf8')}${forged}\n`);
    const report = await cli('report', dir, '--log', log, '-f', 'markdown');
    expect(report.text).toContain('FORGED');
    const run = await cli('verify', dir, '--log', log);
    expect(run.code).toBe(1);
    // Its bytes are not canonical (a member the format does not have): parsed, it is refused as no entry.
    expect(run.text).toContain('line 2 is not a valid entry: the entry must NOT have additional properties');
  });
});

describe('members read from the bytes are the entry’s own', () => {
  it('a subject nesting its own hash, prev and seq: verify reads the top-level chain, as a parser does', async () => {
    // Canonical bytes, members entries have: but the subject holds `"hash"`, `"prev"` and `"seq"` after the
    // entry's own. A reader that finds the hash member by searching from the end found the subject's, a link that
    // chains, while the entry itself (as JSON.parse reads it) names another previous entry.
    const log = join(dir, 'nested-chain.jsonl');
    await record(log, { approved: true, commit: A, time: '2026-11-21T09:00:00Z' });
    const first = JSON.parse(linesOf(log)[0]!) as AuditEntry;
    const head = `{"actor":{"login":"dev"},"details":{},"evidence":[],"hash":"${'e'.repeat(64)}","prev":"${'f'.repeat(64)}","seq":2,"subject":{"commit":"${B}"`;
    const tail = `,"prev":"${first.hash}","seq":2,"system":"s"},"time":"2026-11-22T09:00:00Z","type":"custom.note","v":1}`;
    const inner = sha256(head + tail);
    writeFileSync(log, `${linesOf(log)[0]}\n${head},"hash":"${inner}"${tail}\n`);
    const run = await cli('verify', dir, '--log', log);
    expect(run.code).toBe(1);
    expect(run.text).toMatch(/line 2|entry 2/);
  });
});

describe('a statement is about one repository', () => {
  it('an approval the App signed for another repository of the organisation passes verify-attestation for this one', async () => {
    // The App signs every installation's decisions with its one key, listed (role app) in the organisation's
    // config that every repository extends. A writer who controls some other repository (a sandbox whose config
    // lists production with `require: []`, or one they created) deploys their commit there, the App approves it
    // and signs "PASSED, tier high, production" about git+https://github.com/acme/sandbox; they push the same
    // commit to a branch of acme/ml-platform. Nothing checks the statement's repository: the admission check of
    // ml-platform, run in its checkout as the docs say (--trusted-ref, --commit, --environment, --tier), admits it.
    const root = join(dir, 'ml-platform');
    mkdirSync(join(root, '.github'), { recursive: true });
    writeFileSync(
      join(root, '.github/aims-gate.yml'),
      `systems: [models/*]\nsigners:\n  - { key: ${gate.publicKey}, role: app, name: the App }\n`,
    );
    const git = (...args: string[]) => gitIn(root, ...args);
    git('init', '-q', '-b', 'main');
    git('remote', 'add', 'origin', 'https://github.com/acme/ml-platform.git');
    git('add', '-A');
    git('commit', '-qm', 'config');
    const envelope = join(dir, 'sandbox.dsse.json');
    writeFileSync(envelope, attest(A, { repository: 'acme/sandbox' }).file);
    const run = await cli(
      'verify-attestation',
      envelope,
      ...[
        '--dir',
        root,
        '--trusted-ref',
        'main',
        '--commit',
        A,
        '--environment',
        'production',
        '--tier',
        'high',
      ],
    );
    expect(run.code).toBe(1);
    expect(run.text).toContain('acme/sandbox');
  });
});

describe('the deployment gate: which keys anchor the config', () => {
  let fake: FakeGitHub;
  let repo: RepositoryHistory;
  let log: MemoryStore;
  const gateOf = (commit: string) =>
    gateDeployment(
      createGitHub({ token: 't', baseUrl: fake.url, retries: 0, throttle: { enabled: false } }),
      { owner: 'acme', repo: 'ml-platform' },
      { commit, environment: 'production' },
      { today: '2026-11-01', history: () => log },
    );
  beforeEach(async () => {
    fake = await new FakeGitHub('acme/ml-platform').start();
    fake.answer('GET', '/orgs/acme/teams/ai-governance/members', [{ login: 'gov-lead', id: 7 }]);
    repo = new RepositoryHistory(fake, { ...conformantRepo(), '.github/aims-gate.yml': GATE_CONFIG });
    log = new MemoryStore();
    repo.deployed(repo.head());
    await approvedInLog(log, 'acme/ml-platform', repo.head(), 'production', repo.head());
  });
  afterEach(() => fake.stop());

  it('a direct push to main that points _extends at the repository itself lists the attacker’s key as the organisation’s: their "nothing new" entry names that push as the judged config', async () => {
    // Only a key of the organisation's config (the `_extends` layer, floorSigners) anchors an entry's `config`,
    // because "the repository's writers cannot change" it. But which repository is the organisation's config is
    // itself the repository's config: `_extends: ml-platform` (or any repository the writer controls) makes the
    // repository's own `signers` the floor. One unreviewed push to main (the case the gate exists to catch)
    // carries the backdoor, `_extends: ml-platform` and the attacker's key; an entry signed by that key approves
    // the push and names it as the config that judged it, so no config change is left to judge: "nothing new".
    const attacker = ed25519Signer(
      generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    );
    const evil = repo.push(
      'main',
      (f) => ({
        ...f,
        'models/credit-scoring/train.py': `${f['models/credit-scoring/train.py'] ?? ''}# backdoor\n`,
        '.github/aims-gate.yml': `${f['.github/aims-gate.yml']!.replace('_extends: .github', '_extends: ml-platform')}signers:\n  - { key: ${attacker.publicKey}, role: gate, name: ci }\n`,
      }),
      'tidy up',
    );
    // GitHub reads `_extends` at the named repository's HEAD: here the same repository, whose HEAD is main.
    fake.branch('HEAD', evil);
    await approvedInLog(log, 'acme/ml-platform', evil, 'production', evil, attacker);
    const decision = await gateOf(evil);
    expect(decision.reason).not.toMatch(/^nothing new since/);
    expect(decision.approved).toBe(false);
  });
});

describe('the trusted revision is the one named', () => {
  it('a tag named origin/main, pushed by any writer, is what --trusted-ref origin/main reads: the attacker’s own key as gate', async () => {
    // git resolves a short name by refs/<name>, refs/tags/<name>, refs/heads/<name>, then refs/remotes/<name>: a
    // tag `origin/main` (or `main`, for --trusted-ref main) wins over the remote-tracking branch, with only a
    // warning on stderr that aims-gate does not read. Anyone who can push can push a tag; a checkout that fetches
    // tags (actions/checkout with fetch-depth: 0) has it. The tag names a commit whose config lists the attacker's
    // key with role gate, and they sign their own approval with it.
    const root = join(dir, 'tagged');
    mkdirSync(join(root, '.github'), { recursive: true });
    const git = (...args: string[]) => gitIn(root, ...args);
    const config = (key: Signer) =>
      writeFileSync(
        join(root, '.github/aims-gate.yml'),
        `systems: [models/*]\nsigners:\n  - { key: ${key.publicKey}, role: gate }\n`,
      );
    const attacker = ed25519Signer(
      generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    );
    git('init', '-q', '-b', 'main');
    config(gate);
    git('add', '-A');
    git('commit', '-qm', 'the gate key');
    // What a clone has after fetching: the default branch as a remote-tracking branch.
    git('update-ref', 'refs/remotes/origin/main', 'HEAD');
    git('checkout', '-qb', 'evil');
    config(attacker);
    git('commit', '-qam', 'my key');
    git('tag', 'origin/main');
    git('checkout', '-q', 'main');
    const envelope = join(dir, 'tagged.dsse.json');
    writeFileSync(envelope, attest(B, { signer: attacker }).file);
    const run = await cli(
      'verify-attestation',
      envelope,
      ...['--dir', root, '--trusted-ref', 'origin/main', '--commit', B, '--environment', 'production'],
    );
    expect(run.code).not.toBe(0);
  });
});

describe('a decision found in the log stands for the gate’s only when the gate signed it', () => {
  const COMMIT = 'a'.repeat(40);
  const subject = { repository: REPO, commit: COMMIT, environment: 'production' };
  /** Someone who can push to the log branch writes the App's approval of deployment 99 first. */
  async function forged(signer?: Signer) {
    const store = new MemoryStore();
    const draft: EventDraft = {
      type: 'deployment.approved',
      time: '2026-12-08T03:00:00.000Z',
      actor: { login: 'mallory' },
      subject,
      details: { reason: 'forged', by: 'aims-gate', workflowRun: 7, deployment: 99 },
      evidence: [],
    };
    const entry = signer ? await sealSigned(draft, undefined, signer) : seal(draft, undefined);
    await store.append(entry, undefined);
    return store;
  }
  const decide = (store: MemoryStore, signer: Signer | undefined) =>
    recordDeployment(
      store,
      { approved: false, reason: 'waiting for 1 more approval' },
      {
        time: '2026-12-08T03:01:00.000Z',
        actor: { login: 'release-bot' },
        subject,
        writer: 'aims-gate App, installation 1',
        workflowRun: 7,
        deployment: 99,
        ...(signer ? { signer } : {}),
      },
    );

  it('an unsigned copy does not stand in: the App records and posts its own rejection, with or without a key', async () => {
    for (const signer of [gate, undefined]) {
      const store = await forged();
      const recorded = await decide(store, signer);
      expect(recorded.decision).toMatchObject({ approved: false, reason: 'waiting for 1 more approval' });
      expect(recorded.earlier).toBeUndefined();
      expect(store.text.map((line) => JSON.parse(line).type)).toEqual([
        'deployment.approved',
        'deployment.rejected',
      ]);
    }
  });

  it('one signed by another key does not either; one signed by the App’s own key does (its earlier try)', async () => {
    const other = ed25519Signer(
      generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    );
    expect((await decide(await forged(other), gate)).decision.approved).toBe(false);
    const own = await decide(await forged(gate), gate);
    expect(own.decision).toMatchObject({ approved: true, reason: 'forged' });
    expect(own.earlier?.seq).toBe(1);
  });
});
