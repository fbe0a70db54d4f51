import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitHub } from '../src/github/octokit.js';
import { soaHistoryOnGitHub } from '../src/github/soa-history.js';
import { soaApproval } from '../src/soa.js';
import { fileHistoryInGit } from '../src/sources/git.js';
import { FakeGitHub } from './fake-github.js';

const SOA = 'governance/statement-of-applicability.yml';

describe("the SoA's version and approval: a decision over the history's facts", () => {
  const commit = { sha: 'a'.repeat(40), author: 'gov-lead', date: '2026-11-20T10:00:00Z' };

  it('not known, honestly, where the history has no commit of it', () => {
    expect(soaApproval({ where: 'git log of HEAD' })).toMatchObject({
      approvedBy: [],
      summary: expect.stringContaining('Version and approval not known'),
    });
  });

  it('a git log: who changed it and when, and that its approval is not known', () => {
    expect(soaApproval({ where: 'git log of HEAD', commit }).summary).toBe(
      'Last changed in aaaaaaaaaaaa by gov-lead on 2026-11-20 (git log of HEAD); who approved it is not known (a git log does not record reviews).',
    );
  });

  it('approvals count on the merged head, latest decision of each reviewer, never the author', () => {
    const approval = soaApproval({
      where: 'main on GitHub',
      commit,
      pullRequest: {
        number: 12,
        head: 'h2',
        author: 'gov-lead',
        reviews: [
          { user: 'gov-lead', state: 'APPROVED', commit: 'h2' },
          { user: 'alice', state: 'APPROVED', commit: 'h2' },
          { user: 'bob', state: 'APPROVED', commit: 'h1' },
          { user: 'carol', state: 'APPROVED', commit: 'h2' },
          { user: 'carol', state: 'CHANGES_REQUESTED', commit: 'h2' },
          { user: 'dave', state: 'APPROVED', commit: 'h2' },
          { user: 'dave', state: 'COMMENTED', commit: 'h2' },
        ],
      },
    });
    expect(approval).toMatchObject({ pullRequest: 12, approvedBy: ['alice', 'dave'] });
    expect(approval.summary).toContain(
      'through pull request #12, approved by alice, dave (1 approval of an earlier commit not counted).',
    );
    expect(soaApproval({ where: 'main on GitHub', commit, pullRequest: null }).summary).toContain(
      'pushed without a pull request: no one approved it through review.',
    );
  });
});

describe('facts from a real git history', () => {
  it('the last commit that changed the file, and a working copy that differs from it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'soa-git-'));
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=Gov Lead', '-c', 'user.email=gov@example.com', ...args], {
        cwd: dir,
      });
    expect(await fileHistoryInGit(dir, SOA)).toEqual({ where: 'git log of HEAD' }); // not a repository
    git('init', '-q');
    mkdirSync(join(dir, 'governance'));
    writeFileSync(join(dir, SOA), 'version: "1.0"\n');
    git('add', '.');
    git('commit', '-qm', 'SoA 1.0');
    writeFileSync(join(dir, 'other.txt'), 'x');
    git('add', '.');
    git('commit', '-qm', 'something else');
    const sha = execFileSync('git', ['rev-parse', 'HEAD~1'], { cwd: dir, encoding: 'utf8' }).trim();
    const facts = await fileHistoryInGit(dir, SOA);
    expect(facts).toMatchObject({
      where: 'git log of HEAD',
      commit: { sha, author: 'Gov Lead' },
      versions: { committed: '1.0' },
    });
    expect(facts.modified).toBeUndefined();
    writeFileSync(join(dir, SOA), 'version: "1.1"\n');
    const edited = await fileHistoryInGit(dir, SOA);
    expect(edited.modified).toBe(true);
    expect(soaApproval(edited, '1.1').summary).toContain('The working copy differs from that commit');
    expect(soaApproval(edited, '1.1').summary).not.toContain('needs a new version');
    // A change that keeps the version, in the working copy or committed, is flagged (7.5.2).
    writeFileSync(join(dir, SOA), 'version: "1.0"\nscope: wider\n');
    expect(soaApproval(await fileHistoryInGit(dir, SOA), '1.0').summary).toContain(
      'and it still states version 1.0: a changed SoA needs a new version',
    );
    git('commit', '-qam', 'SoA wider, same version');
    expect(soaApproval(await fileHistoryInGit(dir, SOA), '1.0').summary).toContain(
      'That commit changed it without a new version (1.0, as before it)',
    );
    writeFileSync(join(dir, SOA), 'version: "1.1"\nscope: wider\n');
    git('commit', '-qam', 'SoA 1.1');
    expect(soaApproval(await fileHistoryInGit(dir, SOA), '1.1').summary).not.toContain('new version');
    expect(await fileHistoryInGit(dir, 'governance/none.yml')).toEqual({ where: 'git log of HEAD' });
  });
});

describe('facts from GitHub (a fake GitHub serving its API shapes)', () => {
  let fake: FakeGitHub;
  beforeAll(async () => {
    fake = await new FakeGitHub('acme/ml-platform').start();
  });
  afterAll(() => fake.stop());
  const github = () =>
    createGitHub({ token: 't', baseUrl: fake.url, retries: 0, throttle: { enabled: false } });
  const at = { owner: 'acme', repo: 'ml-platform' };
  let reviews = 0;
  const review = (login: string, commit: string, state = 'APPROVED') => ({
    id: ++reviews,
    user: { login, type: 'User' },
    state,
    commit_id: commit,
    submitted_at: '2026-11-20T10:00:00Z',
  });

  it('the merged pull request that last changed the SoA on the default branch, and who approved it', async () => {
    const base = fake.seed({ [SOA]: 'version: "1.0"\n', 'README.md': 'x' });
    const head = fake.seed({ [SOA]: 'version: "1.1"\n', 'README.md': 'x' }, undefined, [base], 'SoA 1.1');
    const merged = fake.seed(
      { [SOA]: 'version: "1.1"\n', 'README.md': 'x' },
      undefined,
      [base],
      'SoA 1.1 (#5)',
    );
    const later = fake.seed({ [SOA]: 'version: "1.1"\n', 'README.md': 'y' }, undefined, [merged], 'README');
    fake.branch('main', later);
    fake.pulls.set(5, {
      number: 5,
      state: 'merged',
      base: 'main',
      baseSha: base,
      head,
      author: 'gov-lead',
      reviews: [review('gov-lead', head), review('ciso', head)],
      commits: [head],
      files: [SOA],
      mergeCommit: merged,
      mergedOrder: 1,
    });
    const facts = await soaHistoryOnGitHub(github(), at, 'main', SOA);
    expect(facts).toMatchObject({
      where: 'main on GitHub',
      commit: { sha: merged },
      pullRequest: { number: 5, head, author: 'gov-lead' },
    });
    expect(soaApproval(facts)).toMatchObject({ pullRequest: 5, approvedBy: ['ciso'] });
  });

  it('a push without a pull request, and a file the branch never had', async () => {
    const pushed = fake.seed({ [SOA]: 'version: "9"\n' }, undefined, [], 'pushed');
    fake.branch('direct', pushed);
    const facts = await soaHistoryOnGitHub(github(), at, 'direct', SOA);
    expect(facts).toMatchObject({ commit: { sha: pushed }, pullRequest: null });
    expect(soaApproval(facts).summary).toContain('pushed without a pull request');
    expect(await soaHistoryOnGitHub(github(), at, 'direct', 'governance/none.yml')).toEqual({
      where: 'direct on GitHub',
    });
  });
});
