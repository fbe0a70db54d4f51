import Bottleneck from 'bottleneck';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry, EventDraft } from '../src/audit/entry.js';
import { signedBy, signerOf } from '../src/audit/signature.js';
import { record, recordAll, recordOnce } from '../src/audit/store.js';
import { verifyLog } from '../src/audit/verify.js';
import { BranchStore } from '../src/github/branch-store.js';
import { createGitHub } from '../src/github/octokit.js';
import { FakeGitHub } from './fake-github.js';
import { TEST_GATE } from './repository-history.js';

let github: FakeGitHub;
beforeEach(async () => {
  github = await new FakeGitHub().start();
});
afterEach(async () => {
  await github.stop();
});

/** A client as the Action builds one, with waits shortened and writes not spaced a second apart. */
function client(retries = 3) {
  return createGitHub({
    token: 'ghs_test',
    baseUrl: github.url,
    retries,
    retryAfterBaseValue: 1,
    throttle: { write: new Bottleneck.Group({ maxConcurrent: 100, minTime: 0 }) },
  });
}

const store = (retries?: number) =>
  new BranchStore(client(retries), { owner: 'acme', repo: 'ml-platform', branch: 'aims-audit-log' });
const draft = (n: number): EventDraft => ({
  type: 'evaluated',
  time: '2026-11-22T10:00:00.000Z',
  actor: { login: `writer-${n}` },
  subject: { repository: 'acme/ml-platform', system: 'credit-scoring' },
  details: { n },
  evidence: [],
});
const fast = {
  backoff: (attempt: number) =>
    new Promise<void>((r) => setTimeout(r, Math.random() * Math.min(200, 5 * 2 ** attempt))),
};

describe('the git-branch audit store, against a Git Data API on 127.0.0.1', () => {
  it('records a batch in one commit, chained and signed, and re-seals it all when another writer won', async () => {
    const log = store();
    await record(log, draft(0), fast);
    const writes = () => github.requests.filter((r) => r.startsWith('POST') || r.startsWith('PATCH')).length;
    const before = writes();
    // A second writer appends while the batch is being sealed: the batch's first try loses the race.
    let raced = false;
    const racing = {
      ...fast,
      signer: {
        publicKey: TEST_GATE.publicKey,
        sign: async (digest: string) => {
          if (!raced) {
            raced = true;
            await record(store(), draft(99), fast);
          }
          return TEST_GATE.sign(digest);
        },
      },
    };
    const checkpoint = await recordAll(log, [draft(1), draft(2), draft(3)], racing);
    expect(checkpoint?.seq).toBe(5);
    // The race's entry, then the batch's first try (3 writes, refused at the ref), then the batch in one commit.
    expect(github.history('aims-audit-log')).toBe(3);
    expect(writes() - before).toBe(4 + 4 + 4);
    const lines = (github.file('aims-audit-log', 'audit-log.jsonl') ?? '').trim().split('\n');
    const entries = lines.map((l) => JSON.parse(l));
    expect(entries.map((e) => e.details.n)).toEqual([0, 99, 1, 2, 3]);
    expect(
      entries.slice(2).map((e) => signerOf(e, [{ key: TEST_GATE.publicKey, role: 'gate' }]).status),
    ).toEqual(['signed', 'signed', 'signed']);
    expect((await verifyLog(log.lines())).ok).toBe(true);
  });

  it('creates the branch with the first entry and appends a commit per entry', async () => {
    const log = store();
    expect(await log.head()).toBeUndefined();
    await record(log, draft(1), fast);
    const { checkpoint } = await record(log, draft(2), fast);
    expect(github.history('aims-audit-log')).toBe(2);
    expect(github.file('aims-audit-log', 'audit-log.jsonl')?.trim().split('\n')).toHaveLength(2);
    expect(await verifyLog(log.lines(), checkpoint)).toMatchObject({
      ok: true,
      entries: 2,
      checkpoint: 'matched',
    });
    // head(), then the append's blob, tree, commit and ref update: nothing is read twice.
    github.requests.length = 0;
    await record(log, draft(3), fast);
    expect(github.requests.map((r) => r.replace(/[0-9a-f]{40}/, ':sha'))).toEqual([
      'GET /repos/acme/ml-platform/git/ref/heads/aims-audit-log',
      'GET /repos/acme/ml-platform/git/commits/:sha',
      'GET /repos/acme/ml-platform/git/trees/:sha',
      'GET /repos/acme/ml-platform/git/blobs/:sha',
      'POST /repos/acme/ml-platform/git/blobs',
      'POST /repos/acme/ml-platform/git/trees',
      'POST /repos/acme/ml-platform/git/commits',
      'PATCH /repos/acme/ml-platform/git/refs/heads/aims-audit-log',
    ]);
  });

  it('writes a task’s entries once: a retry finds them, and a copy made without the writer’s key is no stand-in', async () => {
    const signed = { ...fast, signer: TEST_GATE };
    const mine = (entry: AuditEntry) => entry.details.n === 7 && signedBy(entry, TEST_GATE);
    // Someone who can push to the branch copies the entry's content without the key, to keep it out of the log.
    await record(store(), draft(7), fast);
    const first = await recordOnce(store(), [draft(7)], mine, signed);
    expect(first.earlier).toBeUndefined();
    // The process died before it noted the write; the task's retry finds the entry and writes nothing.
    const before = github.history('aims-audit-log');
    const retried = await recordOnce(store(), [draft(7)], mine, signed);
    expect(retried.earlier?.seq).toBe(2);
    expect(retried.checkpoint).toEqual(first.checkpoint);
    expect(github.history('aims-audit-log')).toBe(before);
    // Two tries at once (a lock that expired while the first was still writing): one entry between them.
    const racing = await Promise.all(
      [1, 2].map(() => recordOnce(store(), [draft(8)], (e) => e.details.n === 8, fast)),
    );
    expect(racing.filter((r) => r.earlier)).toHaveLength(1);
    const lines = (github.file('aims-audit-log', 'audit-log.jsonl') ?? '').trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).details.n)).toEqual([7, 7, 8]);
  });

  it('loses nothing when 20 writers race on the same branch', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => record(store(), draft(i), fast)));
    const text = github.file('aims-audit-log', 'audit-log.jsonl')!;
    const entries = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { seq: number; details: { n: number } });
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(new Set(entries.map((e) => e.details.n)).size).toBe(20);
    expect(github.history('aims-audit-log')).toBe(20);
    const last = results.reduce((a, b) => (a.checkpoint.seq > b.checkpoint.seq ? a : b));
    expect(await verifyLog(store().lines(), last.checkpoint)).toMatchObject({ ok: true, entries: 20 });
    expect(github.requests.filter((r) => r.startsWith('PATCH')).length).toBeGreaterThan(19); // some lost the race and retried
    // Every round all the writers left try, and one wins: some 1,700 requests to the fake GitHub, 17-25 s on a
    // machine whose two cores are shared with other work, and past the default 30 s with another test file
    // running beside it. A bound for a hang, not a measure of speed.
  }, 90_000);

  it('retries a 500, a secondary rate limit and a dropped connection', async () => {
    const log = store();
    await record(log, draft(1), fast);
    github.fail('500', 'secondary-rate-limit', 'drop');
    const { entry } = await record(log, draft(2), fast);
    expect(github.pendingFaults).toBe(0);
    expect(entry.seq).toBe(2);
    expect(github.file('aims-audit-log', 'audit-log.jsonl')?.trim().split('\n')).toHaveLength(2);
  });

  it('gives up after its retries with the error, writing nothing', async () => {
    const log = store(1);
    await record(log, draft(1), fast);
    github.fail('500', '500', '500', '500');
    await expect(record(log, draft(2), fast)).rejects.toMatchObject({ status: 500 });
    expect(github.history('aims-audit-log')).toBe(1);
  });
});

describe('the audit branch is the log’s own', () => {
  const at = (branch: string, reserved: string[] = []) =>
    new BranchStore(client(), { owner: 'acme', repo: 'ml-platform', branch, reserved });

  it.each([
    ['main', [], 'is the default branch of acme/ml-platform'],
    ['Main', [], 'is the default branch of acme/ml-platform'],
    ['release/2.0', ['release/*'], 'is a release branch'],
    ['guarded', [], 'is a protected branch'],
    ['audit..log', [], 'has "..", "@{" or "//", which git refuses in a branch name'],
    [
      'audit-log.lock',
      [],
      'has a part that starts with "." or ends with ".lock", which git refuses in a branch name',
    ],
    ['-audit', [], 'starts with "-", which git refuses in a branch name'],
    [
      'audit log',
      [],
      'has a space, a control character or one of ~ ^ : ? * [ \\, which git refuses in a branch name',
    ],
  ])('refuses %s, and writes nothing', async (branch, reserved, why) => {
    const main = github.seed({ 'README.md': 'hi\n' });
    github.branch('main', main);
    github.branch('guarded', main);
    github.protectedBranches.add('guarded');
    await expect(record(at(branch, reserved), draft(1), fast)).rejects.toThrow(
      `the audit log cannot be written to branch ${JSON.stringify(branch)}: it ${why}. The log needs a branch of its own, e.g. audit-log: branch:aims-audit-log; nothing was written`,
    );
    expect(github.history('main')).toBe(1);
    expect(github.bodies).toEqual([]);
  });
});
