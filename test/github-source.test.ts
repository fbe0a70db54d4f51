import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { evaluate } from '../src/evaluate.js';
import { createGitHub } from '../src/github/octokit.js';
import { GitHubSource } from '../src/github/source.js';
import { MemorySource } from '../src/source.js';
import { FakeGitHub } from './fake-github.js';
import { EXAMPLE, readTree, TODAY } from './helpers.js';

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
    // The config, then the eight documents of three systems: one listing, two batched reads.
    expect(github.requests).toEqual([
      `GET /repos/acme/ml-platform/git/trees/${commit}`,
      'POST /graphql',
      'POST /graphql',
    ]);
  });

  it('never downloads a file over the limit, and reads binary files as bytes', async () => {
    const commit = github.seed({ 'big.yml': 'a'.repeat(2000), 'weights.bin': new Uint8Array([1, 0, 2]) });
    const source = new GitHubSource(client(), at(commit));
    expect(await source.read('big.yml', 1000)).toEqual({ tooLarge: 2000 });
    expect(await source.read('missing.yml', 1000)).toEqual({ missing: true });
    const binary = await source.read('weights.bin', 1000);
    expect('bytes' in binary && [...binary.bytes]).toEqual([1, 0, 2]);
    expect(github.requests.filter((r) => r === 'POST /graphql')).toHaveLength(1);
  });

  it('refuses a truncated tree instead of judging part of the repository', async () => {
    github.truncateTrees = true;
    const source = new GitHubSource(client(), at(github.seed({ 'a.yml': 'a: 1' })));
    await expect(source.list()).rejects.toThrow('too large for the API to list in one response');
  });
});
