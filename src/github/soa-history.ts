import type { SoaHistoryFacts } from '../soa.js';
import { pullRequestsOf } from './change-set.js';
import type { GitHub } from './octokit.js';
import { everyNode, REVIEW_FIELDS, type Repository, type ReviewNode } from './pull-request.js';

/**
 * The facts of the SoA's version and approval on GitHub: the last commit that changed the file on the
 * trusted (default) branch, the merged pull request that brought it there, and that pull request's reviews.
 * Only facts GitHub vouches for; src/soa.ts decides what they mean.
 */
export async function soaHistoryOnGitHub(
  github: GitHub,
  at: Repository,
  branch: string,
  path: string,
): Promise<SoaHistoryFacts> {
  const where = `${branch} on GitHub`;
  const { data } = await github.rest.repos.listCommits({ ...at, sha: branch, path, per_page: 1 });
  const last = data[0];
  if (!last) return { where };
  const commit = {
    sha: last.sha,
    ...(last.author?.login || last.commit?.author?.name
      ? { author: last.author?.login ?? last.commit!.author!.name! }
      : {}),
    ...(last.commit?.committer?.date ? { date: last.commit.committer.date } : {}),
  };
  const { byCommit, pulls } = await pullRequestsOf(github, at, [last.sha]);
  // On the default branch GitHub associates the merged pull request that brought the commit.
  const pr = (byCommit.get(last.sha) ?? [])
    .map((n) => pulls.get(n)!)
    .find((p) => p.state === 'MERGED' && p.baseRefName === branch);
  if (!pr) return { where, commit, pullRequest: null };
  const reviews =
    pr.reviews.totalCount > pr.reviews.nodes.length
      ? await everyNode<ReviewNode>(github, at, pr.number, 'reviews', REVIEW_FIELDS)
      : pr.reviews.nodes;
  return {
    where,
    commit,
    pullRequest: {
      number: pr.number,
      head: pr.headRefOid,
      ...(pr.author ? { author: pr.author.login } : {}),
      reviews: reviews
        .filter((r) => r.author)
        .map((r) => ({
          user: r.author!.login,
          state: r.state,
          ...(r.commit ? { commit: r.commit.oid } : {}),
        })),
    },
  };
}
