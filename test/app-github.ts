import { FakeGitHub } from './fake-github.js';
import { webhook } from './webhooks.js';

/** The real `pull_request.opened` example (Codertocat/Hello-World #2), installed as installation 1. */
export const opened = { ...webhook('pull_request', 'opened'), installation: { id: 1, node_id: 'x' } };
export const PR = opened.pull_request;
export const REPO = `/repos/${opened.repository.full_name}`;

/**
 * The fake GitHub as the App meets it: installation 1's token, and the example's base commit holding `files`.
 * The App's tests and benchmarks start here.
 */
export async function appGitHub(files: Record<string, string>): Promise<FakeGitHub> {
  const fake = await new FakeGitHub(opened.repository.full_name).start();
  fake.answer('POST', '/app/installations/1/access_tokens', {
    token: 'ghs_installation',
    expires_at: '2099-01-01T00:00:00Z',
  });
  fake.seed(files, PR.base.sha);
  return fake;
}

/**
 * Pull request `n`, its head a commit of `files` (at `head`, or one of its own), as GitHub answers for it:
 * the pull request, its one changed model card, no reviews. Returns the head and the webhook that opened it.
 */
export function openPullRequest(
  fake: FakeGitHub,
  n: number,
  files: Record<string, string>,
  head = (0x100000 + n).toString(16).padStart(40, 'c'),
): { head: string; body: string } {
  fake.seed(files, head);
  const pull = { ...PR, number: n, head: { ...PR.head, sha: head } };
  fake.answer('GET', `${REPO}/pulls/${n}`, pull);
  fake.answer('GET', `${REPO}/pulls/${n}/files`, [{ filename: 'models/credit-scoring/MODEL_CARD.md' }]);
  fake.answer('GET', `${REPO}/pulls/${n}/reviews`, []);
  return { head, body: JSON.stringify({ ...opened, number: n, pull_request: pull }) };
}
