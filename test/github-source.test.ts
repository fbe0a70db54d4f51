import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { evaluate } from '../src/evaluate.js';
import { createGitHub } from '../src/github/octokit.js';
import { GitHubSource } from '../src/github/source.js';
import { loadPolicy } from '../src/policy/load.js';
import { MemorySource } from '../src/source.js';
import { changeTiers } from '../src/tiers.js';
import { FakeGitHub } from './fake-github.js';
import { conformantRepo, EXAMPLE, readTree, TODAY } from './helpers.js';

let github: FakeGitHub;
beforeEach(async () => {
  github = await new FakeGitHub().start();
});
afterEach(async () => {
  await github.stop();
});

const client = () => createGitHub({ token: 'ghs_test', baseUrl: github.url, retryAfterBaseValue: 1 });
const at = (commit: string) => ({ owner: 'acme', repo: 'ml-platform', commit });

describe('a repository read through the API at one commit', () => {
  it('gives the same evaluation as the same files on disk, in one tree call and two GraphQL requests', async () => {
    const files = readTree(EXAMPLE);
    const commit = github.seed(files);
    const source = new GitHubSource(client(), at(commit));
    const overApi = await evaluate({ source, today: TODAY });
    const local = await evaluate({ source: new MemorySource(files), today: TODAY });
    expect({ ...overApi, policy: { ...overApi.policy, configSource: '' } }).toEqual({
      ...local,
      policy: { ...local.policy, configSource: '' },
    });
    // The config (no listing needed), the listing, then the eight documents of three systems in one read.
    expect(github.requests).toEqual([
      'POST /graphql',
      `GET /repos/acme/ml-platform/git/trees/${commit}`,
      'POST /graphql',
    ]);
  });

  it('once listed, never downloads a file over the limit, and reads binary files as bytes', async () => {
    const commit = github.seed({ 'big.yml': 'a'.repeat(2000), 'weights.bin': new Uint8Array([1, 0, 2]) });
    const source = new GitHubSource(client(), at(commit));
    await source.list();
    expect(await source.read('big.yml', 1000)).toEqual({ tooLarge: 2000 });
    expect(await source.read('missing.yml', 1000)).toEqual({ missing: true });
    const binary = await source.read('weights.bin', 1000);
    expect('bytes' in binary && [...binary.bytes]).toEqual([1, 0, 2]);
    expect(github.requests.filter((r) => r === 'POST /graphql')).toHaveLength(1);
  });

  it('before any listing, lets the blob size decide, and treats a folder as no file', async () => {
    const commit = github.seed({ 'big.yml': 'a'.repeat(600 * 1024), 'models/a/card.md': '# A' });
    const source = new GitHubSource(client(), at(commit));
    expect(await source.read('big.yml', 1024 * 1024)).toEqual({ tooLarge: 600 * 1024 }); // GitHub cut the text
    expect(await source.read('big.yml', 1000)).toEqual({ tooLarge: 600 * 1024 });
    expect(await source.read('models/a', 1000)).toEqual({ missing: true });
    expect(github.requests.every((r) => r === 'POST /graphql')).toBe(true);
  });

  it('reads two revisions of one repository in one request', async () => {
    const base = github.seed({ 'a.yml': 'base' });
    const head = github.seed({ 'a.yml': 'head', 'b.yml': 'new' });
    const gh = client();
    const [a, b, c] = await Promise.all([
      new GitHubSource(gh, at(base)).read('a.yml', 100),
      new GitHubSource(gh, at(head)).read('a.yml', 100),
      new GitHubSource(gh, at(head)).read('b.yml', 100),
    ]);
    const text = (r: typeof a) => ('bytes' in r ? Buffer.from(r.bytes).toString() : r);
    expect([text(a), text(b), text(c)]).toEqual(['base', 'head', 'new']);
    expect(github.requests).toEqual(['POST /graphql']);
  });

  it('refuses a truncated tree instead of judging part of the repository', async () => {
    github.truncateTrees = true;
    const source = new GitHubSource(client(), at(github.seed({ 'a.yml': 'a: 1' })));
    await expect(source.list()).rejects.toThrow('too large for the API to list in one response');
  });

  it('a read request that fails rejects the evaluation once, and leaves no rejection unhandled', async () => {
    // In the App's process an unhandled rejection ends the process (Node's default), every queued check
    // with it: CI once saw the governance.yml read, asked with the documents, rejected with nobody awaiting.
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      const files = { ...conformantRepo(), 'models/credit-scoring/governance.yml': 'owner: ml-platform\n' };
      const changed = Object.keys(files).filter((path) => path.startsWith('models/'));
      const trusted = new MemorySource(files); // the policy is read, so the documents' reads are what fails
      const policy = await loadPolicy(trusted);
      github.broken.push(/^POST \/graphql$/);
      // Judged as a pull request is, by its changed files, with no listing: every read is one GraphQL request.
      const source = new GitHubSource(client(), at(github.seed(files)));
      await expect(
        evaluate({ source, policySource: trusted, changedFiles: changed, today: TODAY }),
      ).rejects.toThrow('Server Error');
      const head = new GitHubSource(client(), at(github.seed(files)));
      await expect(changeTiers(trusted, head, changed, policy.systems)).rejects.toThrow('Server Error');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', record);
    }
  });
});
