import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { judgeApprovals } from '../src/approvals.js';
import { createGitHub } from '../src/github/octokit.js';
import { changedFiles, MAX_LISTED_FILES, reviewsOf, teamMembers } from '../src/github/pull-request.js';
import { webhook } from './webhooks.js';

const API = 'https://api.github.com';
const opened = webhook('pull_request', 'opened');
const submitted = webhook('pull_request_review', 'submitted');
const at = { owner: opened.repository.owner.login, repo: opened.repository.name };
const REPO = `/repos/${opened.repository.full_name}`;
const github = () => createGitHub({ token: 'ghs_test', retries: 1, retryAfterBaseValue: 1 });

beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  // Every request a test announced was made, and nothing else was.
  const pending = nock.pendingMocks();
  nock.cleanAll();
  nock.enableNetConnect();
  expect(pending).toEqual([]);
});

const files = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => ({ filename: `models/m${from + i}/train.py`, status: 'modified' }));
const link = (page: number, last: number) =>
  `<${API}${REPO}/pulls/2/files?per_page=100&page=${page}>; rel="next", <${API}${REPO}/pulls/2/files?per_page=100&page=${last}>; rel="last"`;

describe('pull-request adapters, against GitHub REST shapes (nock)', () => {
  it('lists changed files across pages, with both paths of a rename', async () => {
    nock(API)
      .get(`${REPO}/pulls/2/files`)
      .query({ per_page: 100 })
      .reply(200, files(0, 100), { link: link(2, 2) })
      .get(`${REPO}/pulls/2/files`)
      .query({ per_page: 100, page: 2 })
      .reply(200, [
        {
          filename: 'models/new/MODEL_CARD.md',
          previous_filename: 'models/old/MODEL_CARD.md',
          status: 'renamed',
        },
      ]);
    const { files: listed, complete } = await changedFiles(github(), at, opened.number);
    expect(listed).toHaveLength(102);
    expect(listed).toContain('models/old/MODEL_CARD.md');
    expect(complete).toBe(true);
  });

  it(`says when GitHub stopped listing at ${MAX_LISTED_FILES} files`, async () => {
    const scope = nock(API);
    for (let page = 1; page <= 30; page++) {
      scope
        .get(`${REPO}/pulls/2/files`)
        .query(page === 1 ? { per_page: 100 } : { per_page: 100, page })
        .reply(200, files((page - 1) * 100, 100), page < 30 ? { link: link(page + 1, 30) } : {});
    }
    expect(await changedFiles(github(), at, opened.number)).toMatchObject({ complete: false });
  });

  it('reads reviews as GitHub sends them, and the judge counts the real review', async () => {
    const review = {
      ...submitted.review,
      state: 'APPROVED',
      user: { ...submitted.review.user, login: 'gov-lead' },
    };
    nock(API).get(`${REPO}/pulls/2/reviews`).query({ per_page: 100 }).reply(200, [review]);
    const reviews = await reviewsOf(github(), at, opened.number);
    const facts = {
      author: opened.pull_request.user.login,
      headSha: review.commit_id,
      reviews,
      teams: {},
    };
    // REST does not say whether the reviewer can push: unknown, the approval does not count.
    expect(judgeApprovals([{ require: [{ count: 1 }] }], facts)).toMatchObject({
      satisfied: false,
      ignored: [{ login: 'gov-lead', reason: expect.stringContaining('can push') }],
    });
    const known = { ...facts, reviews: reviews.map((r) => ({ ...r, canPush: true })) };
    expect(judgeApprovals([{ require: [{ count: 1 }] }], known)).toMatchObject({
      satisfied: true,
      groups: [{ approvers: ['gov-lead'] }],
    });
  });

  it('reads team members; a team it may not read is undecidable, not empty', async () => {
    nock(API)
      .get('/orgs/acme/teams/ai-governance/members')
      .query({ per_page: 100 })
      .reply(200, [{ login: 'gov-lead', id: 1 }])
      .get('/orgs/acme/teams/secret/members')
      .query({ per_page: 100 })
      .reply(404, { message: 'Not Found' });
    expect(await teamMembers(github(), ['acme/ai-governance', 'ACME/ai-governance', 'acme/secret'])).toEqual({
      members: { 'acme/ai-governance': ['gov-lead'] },
      unreadable: ['acme/secret'],
    });
  });

  it('a team lookup that keeps failing is an error (the gate then fails closed)', async () => {
    nock(API).get('/orgs/acme/teams/ai-governance/members').query(true).times(2).reply(500, {});
    await expect(teamMembers(github(), ['acme/ai-governance'])).rejects.toMatchObject({ status: 500 });
  });
});
