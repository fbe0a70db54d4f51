import {
  type ApprovalFacts,
  type ApprovalResult,
  type ApprovalRule,
  applicableRules,
  type Excluded,
  judgeApprovals,
  type Review,
} from '../approvals.js';
import { ownerTeams, readCodeowners } from '../codeowners.js';
import { limited } from '../concurrency.js';
import type { Source } from '../source.js';
import type { RiskTier } from '../types.js';
import type { GitHub } from './octokit.js';

export interface Repository {
  owner: string;
  repo: string;
}

/** GitHub lists at most this many files of a pull request. */
export const MAX_LISTED_FILES = 3000;

/**
 * The paths a pull request changes (a rename counts as both paths), 100 per page. GitHub stops listing at
 * 3,000 files: `complete` is false then, and the caller says so rather than pass silently.
 */
export async function changedFiles(
  github: GitHub,
  at: Repository,
  pullNumber: number,
): Promise<{ files: string[]; complete: boolean }> {
  const listed = await github.paginate(github.rest.pulls.listFiles, {
    ...at,
    pull_number: pullNumber,
    per_page: 100,
  });
  const files = new Set<string>();
  for (const file of listed) {
    files.add(file.filename);
    if (file.previous_filename) files.add(file.previous_filename);
  }
  return { files: [...files].sort(), complete: listed.length < MAX_LISTED_FILES };
}

/** Every review of a pull request, oldest first, as the REST API returns them. */
export async function reviewsOf(github: GitHub, at: Repository, pullNumber: number): Promise<Review[]> {
  return (await github.paginate(github.rest.pulls.listReviews, {
    ...at,
    pull_number: pullNumber,
    per_page: 100,
  })) as Review[];
}

/** A review's fields in GraphQL: the REST fields the judge reads, and whether its author can push. */
export const REVIEW_FIELDS =
  'databaseId state submittedAt authorCanPushToRepository author { __typename login } commit { oid }';

export interface ReviewNode {
  databaseId: number;
  state: string;
  submittedAt: string | null;
  authorCanPushToRepository: boolean;
  author: { __typename: string; login: string } | null;
  commit: { oid: string } | null;
}

/** A GraphQL review in the REST shape the approval judge reads. */
export function reviewOf(node: ReviewNode): Review {
  return {
    id: node.databaseId,
    user: node.author
      ? { login: node.author.login, id: 0, type: node.author.__typename === 'Bot' ? 'Bot' : 'User' }
      : null,
    state: node.state,
    commit_id: node.commit?.oid ?? null,
    submitted_at: node.submittedAt,
    canPush: node.authorCanPushToRepository,
  };
}

/** Every node of one of a pull request's connections, from its start, 100 per query. */
export async function everyNode<T>(
  github: GitHub,
  at: Repository,
  number: number,
  connection: string,
  fields: string,
): Promise<T[]> {
  const [name, args = ''] = connection.split(/(?=\()/) as [string, string?];
  const extra = args.replace(/^\(|\)$/g, '');
  const query = `query ($owner: String!, $repo: String!, $number: Int!, $after: String) {
    repository(owner: $owner, name: $repo) { pullRequest(number: $number) {
      page: ${name}(first: 100, after: $after${extra ? `, ${extra}` : ''}) { pageInfo { hasNextPage endCursor } nodes { ${fields} } }
    } }
  }`;
  type Answer = {
    repository: {
      pullRequest: {
        page: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: T[] };
      } | null;
    } | null;
  };
  const nodes: T[] = [];
  let after: string | null = null;
  do {
    const answer: Answer = await github.graphql<Answer>(query, { ...at, number, after });
    const page = answer.repository?.pullRequest?.page;
    if (!page) throw new Error(`#${number} of ${at.owner}/${at.repo} cannot be read`);
    nodes.push(...page.nodes);
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
  } while (after);
  return nodes;
}

/**
 * Who wrote and who pushed a pull request's commits. Git lets a pusher write any author and committer, so who
 * pushed is read from what GitHub itself recorded:
 * - the repository's activity (REST `GET /repos/{owner}/{repo}/activity`): every push, force push and branch
 *   creation of the head branch, with the authenticated `actor` who made it. The newest one that left the
 *   branch at the final head names who pushed last, for certain. When GitHub does not say (no such activity,
 *   or the head repository's activity cannot be read), who may not approve is unknown, and the approval judge
 *   fails closed: guessing the pusher from the head's committer is what an attacker who writes "Alice" there
 *   counts on.
 * - a force push's `actor` (HeadRefForcePushedEvent, in GraphQL), the same fact seen from the pull request;
 * - each commit's authors, `Co-authored-by` trailers included, and its committer, as GitHub users (matched by
 *   the e-mail addresses in the commit): they wrote the change, so they do not approve it either.
 */
const COMMIT_FIELDS =
  'commit { oid authors(first: 10) { totalCount nodes { user { login } } } committer { user { login } } }';
const FORCE_PUSH = `timelineItems(last: 1, itemTypes: [HEAD_REF_FORCE_PUSHED_EVENT]) {
    nodes { ... on HeadRefForcePushedEvent { actor { login } afterCommit { oid } } } }`;
const APPROVER_FIELDS = 'authorCanPushToRepository author { login }';

interface CommitNode {
  commit: {
    oid: string;
    authors: { totalCount: number; nodes: { user: { login: string } | null }[] };
    committer: { user: { login: string } | null } | null;
  };
}

interface PushNode {
  number: number;
  headRefOid: string;
  headRefName: string;
  /** Null when the fork it came from was deleted. */
  headRepository: { nameWithOwner: string } | null;
  commits: { totalCount: number; nodes: CommitNode[] };
  timelineItems: {
    nodes: ({ actor: { login: string } | null; afterCommit: { oid: string } | null } | null)[];
  };
  reviews?: {
    totalCount: number;
    nodes: { authorCanPushToRepository: boolean; author: { login: string } | null }[];
  };
}

/** What a pull request's commits say about who may not approve it: `excluded`, and what is `unknown`. */
export interface PushFacts {
  excluded: Excluded[];
  unknown: string[];
  /** With `approvers`: whether the author of each APPROVED review can push (by lower-case login). */
  canPush?: Map<string, boolean>;
}

/** Pull requests per query: 25 × 100 commits × 10 authors stays far inside GitHub's node and cost limits. */
const PULLS_PER_QUERY = 25;

/**
 * The push facts of these pull requests, 25 per GraphQL query (a pull request's commits past the first 100
 * in queries of their own). With `approvers`, also whether each approver can push.
 */
export async function pushFactsOf(
  github: GitHub,
  at: Repository,
  numbers: number[],
  { approvers = false } = {},
): Promise<Map<number, PushFacts>> {
  const facts = new Map<number, PushFacts>();
  const batches = Array.from({ length: Math.ceil(numbers.length / PULLS_PER_QUERY) }, (_, i) =>
    numbers.slice(i * PULLS_PER_QUERY, (i + 1) * PULLS_PER_QUERY),
  );
  const reviews = approvers
    ? `reviews(first: 100, states: [APPROVED]) { totalCount nodes { ${APPROVER_FIELDS} } }`
    : '';
  await limited(batches, async (batch) => {
    const variables: Record<string, string | number> = { owner: at.owner, repo: at.repo };
    const fields = batch.map((number, i) => {
      variables[`p${i}`] = number;
      return `p${i}: pullRequest(number: $p${i}) { number headRefOid headRefName headRepository { nameWithOwner }
        commits(first: 100) { totalCount nodes { ${COMMIT_FIELDS} } } ${FORCE_PUSH} ${reviews} }`;
    });
    const declarations = batch.map((_, i) => `$p${i}: Int!`).join(', ');
    const query = `query ($owner: String!, $repo: String!, ${declarations}) { repository(owner: $owner, name: $repo) { ${fields.join(' ')} } }`;
    const { repository } = await github.graphql<{ repository: Record<string, PushNode | null> | null }>(
      query,
      variables,
    );
    await Promise.all(
      batch.map(async (number, i) => {
        const node = repository?.[`p${i}`];
        if (!node) throw new Error(`#${number} of ${at.owner}/${at.repo} cannot be read`);
        const [commits, approvals, pusher] = await Promise.all([
          node.commits.totalCount > node.commits.nodes.length
            ? everyNode<CommitNode>(github, at, number, 'commits', COMMIT_FIELDS)
            : node.commits.nodes,
          node.reviews && node.reviews.totalCount > node.reviews.nodes.length
            ? everyNode<NonNullable<PushNode['reviews']>['nodes'][number]>(
                github,
                at,
                number,
                'reviews(states: [APPROVED])',
                APPROVER_FIELDS,
              )
            : node.reviews?.nodes,
          lastPusher(github, node),
        ]);
        facts.set(number, {
          ...pushFactsFrom(node, commits, pusher),
          ...(approvals
            ? {
                canPush: new Map(
                  approvals
                    .filter((r) => r.author)
                    .map((r) => [r.author!.login.toLowerCase(), r.authorCanPushToRepository]),
                ),
              }
            : {}),
        });
      }),
    );
  });
  return facts;
}

/** Activities read per head branch before giving up: 1,000 pushes to one pull request's branch. */
const ACTIVITY_PAGES = 10;

/**
 * Who made the newest push (or force push, or branch creation) that left the pull request's head branch at its
 * final head, as the head repository's activity records it; otherwise why that is unknown.
 */
async function lastPusher(github: GitHub, node: PushNode): Promise<{ login: string } | { unknown: string }> {
  const head = node.headRefOid;
  const where = node.headRepository?.nameWithOwner;
  const unknown = (why: string) => ({
    unknown: `GitHub ${why}, so who pushed the final head ${short(head)} of #${node.number}, who may not approve it, is unknown`,
  });
  if (!where) return unknown(`no longer has the repository #${node.number} came from`);
  const [owner, repo] = where.split('/') as [string, string];
  try {
    let page = 0;
    for await (const { data } of github.paginate.iterator(github.rest.repos.listActivities, {
      owner,
      repo,
      ref: `refs/heads/${node.headRefName}`,
      per_page: 100,
    })) {
      // Newest first: the first that left the branch at the head is the last push of it.
      const push = data.find((a) => a.after === head && a.activity_type !== 'branch_deletion');
      if (push)
        return push.actor
          ? { login: push.actor.login }
          : unknown(`names no actor for the push of ${short(head)}`);
      if (++page >= ACTIVITY_PAGES) break;
    }
    return unknown(`records no push of ${where}'s branch ${node.headRefName} that left it at ${short(head)}`);
  } catch (error) {
    return unknown(`did not show ${where}'s activity (${(error as Error).message})`);
  }
}

function pushFactsFrom(
  node: PushNode,
  commits: CommitNode[],
  pusher: { login: string } | { unknown: string },
): PushFacts {
  const excluded = new Map<string, Excluded>();
  const unknown: string[] = [];
  const exclude = (login: string, reason: string) => {
    if (!excluded.has(login.toLowerCase())) excluded.set(login.toLowerCase(), { login, reason });
  };
  const head = node.headRefOid;
  const last = node.timelineItems.nodes.at(-1);
  if (last?.actor && last.afterCommit?.oid === head)
    exclude(
      last.actor.login,
      `force-pushed the final head ${short(head)}: GitHub does not count an approval by whoever pushed last`,
    );
  if ('login' in pusher)
    exclude(
      pusher.login,
      `pushed the final head ${short(head)} (GitHub's repository activity): GitHub does not count an approval by whoever pushed last`,
    );
  else unknown.push(pusher.unknown);
  for (const { commit } of commits) {
    const sha = short(commit.oid);
    for (const author of commit.authors.nodes)
      if (author.user) exclude(author.user.login, `is an author or co-author of ${sha} in this pull request`);
    if (commit.committer?.user) exclude(commit.committer.user.login, `committed ${sha} in this pull request`);
    if (commit.authors.totalCount > commit.authors.nodes.length)
      unknown.push(
        `${sha} in #${node.number} names ${commit.authors.totalCount} authors, more than aims-gate reads, so who may not approve #${node.number} is unknown`,
      );
  }
  if (commits.length < node.commits.totalCount)
    unknown.push(
      `GitHub lists ${commits.length} of the ${node.commits.totalCount} commits of #${node.number}, so who wrote the others, who may not approve it, is unknown`,
    );
  return { excluded: [...excluded.values()], unknown };
}

const short = (sha: string) => sha.slice(0, 7);

/**
 * The members of each team ("org/slug"), read live, 10 teams at a time. A team that cannot be read (missing,
 * or no permission to read members) is left out, so the approval judge finds it undecidable and fails closed.
 */
export async function teamMembers(
  github: GitHub,
  teams: string[],
): Promise<{ members: Record<string, string[]>; unreadable: string[] }> {
  const members: Record<string, string[]> = {};
  const unreadable: string[] = [];
  await limited([...new Set(teams.map((t) => t.toLowerCase()))], async (team) => {
    const [org, slug] = team.split('/') as [string, string];
    try {
      const list = await github.paginate(github.rest.teams.listMembersInOrg, {
        org,
        team_slug: slug,
        per_page: 100,
      });
      members[team] = list.map((member) => member.login);
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status !== 404 && status !== 403) throw error;
      unreadable.push(team);
    }
  });
  return { members, unreadable };
}

/**
 * The approval requirements that apply here, judged against a pull request's reviews (REST) with what else
 * GitHub knows: when someone approved, one GraphQL query for whether each approver can push and who pushed
 * or wrote its commits; for a codeowners requirement, CODEOWNERS at the base; and the members of every
 * team the rules or the code owners of the changed paths name, read live (one request per team).
 */
export async function judgeReviews(
  github: GitHub,
  at: Repository,
  approvals: ApprovalRule[],
  where: { environment?: string; tier?: RiskTier },
  pr: Omit<ApprovalFacts, 'teams' | 'repository'> & {
    number: number;
    changes: { files: string[]; complete: boolean };
    /** The pull request's base: where CODEOWNERS is read. */
    base: Source;
  },
): Promise<ApprovalResult> {
  const rules = applicableRules(approvals, where);
  // With no rule to meet, or nobody approving, nothing more is needed to judge.
  const approved = rules.length > 0 && pr.reviews.some((r) => r.state === 'APPROVED' && r.user);
  const needsOwners = rules.some((rule) => rule.require.some((group) => group.codeowners));
  const [pushed, owners] = await Promise.all([
    approved ? pushFactsOf(github, at, [pr.number], { approvers: true }) : undefined,
    needsOwners ? readCodeowners(pr.base) : undefined,
  ]);
  const facts = pushed?.get(pr.number);
  const { members } = await teamMembers(github, [
    ...rules.flatMap((rule) => rule.require.flatMap((group) => group.teams ?? [])),
    ...(owners?.codeowners ? ownerTeams(owners.codeowners, pr.changes.files) : []),
  ]);
  return judgeApprovals(rules, {
    repository: `${at.owner}/${at.repo}`,
    author: pr.author,
    headSha: pr.headSha,
    reviews: pr.reviews.map((review) => {
      const canPush = review.user && facts?.canPush?.get(review.user.login.toLowerCase());
      return canPush === undefined || canPush === null ? review : { ...review, canPush };
    }),
    teams: members,
    ...(facts ? { excluded: facts.excluded, unknown: facts.unknown } : {}),
    ...(owners
      ? {
          codeowners: {
            ...(owners.codeowners ? { file: owners.codeowners } : { problem: owners.problem }),
            paths: pr.changes.files,
            complete: pr.changes.complete,
          },
        }
      : {}),
  });
}
