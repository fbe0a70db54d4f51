import type { Review } from '../approvals.js';
import { readEntries } from '../audit/read.js';
import type { AuditStore } from '../audit/store.js';
import { verifyLog } from '../audit/verify.js';
import {
  type ChangeSet,
  isReleaseBranch,
  MAX_CHANGE_SET,
  type ShippedCommit,
  type ShippedPullRequest,
} from '../deployment.js';
import type { Policy } from '../policy/load.js';
import { changeTiers, highestTier } from '../tiers.js';
import type { GitHub } from './octokit.js';
import { changedFiles, type Repository, teamMembers } from './pull-request.js';
import { GitHubSource } from './source.js';

/**
 * Gathers what the deployment gate judges (src/deployment.ts), batched: one GraphQL query for the default
 * branch and recent deployments, a compare per candidate release branch and for the change set, one
 * GraphQL query per 50 commits for the pull requests that brought them with their reviews, then per pull
 * request its files (REST, for renames' old paths) and its documents at base and head (GraphQL, batched).
 */

export interface RepositoryFacts {
  defaultBranch: string;
  /** The default branch's head: where the trusted config is read. */
  defaultHead: string;
  /** Recent deployments to the environment, newest first, as GitHub records them. */
  deployments: { commit: string; environment: string; state: string }[];
}

const REPOSITORY_QUERY = `query ($owner: String!, $repo: String!, $environments: [String!]) {
  repository(owner: $owner, name: $repo) {
    defaultBranchRef { name target { oid } }
    deployments(first: 20, environments: $environments, orderBy: { field: CREATED_AT, direction: DESC }) {
      nodes { commitOid environment state }
    }
  }
}`;

export async function repositoryFacts(
  github: GitHub,
  at: Repository,
  environment: string,
): Promise<RepositoryFacts> {
  type Answer = {
    repository: {
      defaultBranchRef: { name: string; target: { oid: string } } | null;
      deployments: { nodes: { commitOid: string; environment: string | null; state: string }[] };
    } | null;
  };
  const { repository } = await github.graphql<Answer>(REPOSITORY_QUERY, {
    ...at,
    environments: [environment],
  });
  if (!repository?.defaultBranchRef)
    throw new Error(`${at.owner}/${at.repo} has no default branch to read the trusted configuration from`);
  return {
    defaultBranch: repository.defaultBranchRef.name,
    defaultHead: repository.defaultBranchRef.target.oid,
    deployments: repository.deployments.nodes.map((d) => ({
      commit: d.commitOid,
      environment: d.environment ?? '',
      state: d.state,
    })),
  };
}

/**
 * Candidates for the last approved deployment to `environment`, newest first: the gate's own approvals in
 * the audit log where it keeps one (its chain must verify, or nothing in it is trusted), else the
 * deployments GitHub records as having succeeded (ACTIVE, or INACTIVE once a newer one replaced them).
 */
export async function lastDeployments(
  facts: RepositoryFacts,
  environment: string,
  repository: string,
  log: AuditStore | undefined,
): Promise<{ commit: string; what: string }[]> {
  const same = (name: string | undefined) => name?.toLowerCase() === environment.toLowerCase();
  if (log) {
    const verified = await verifyLog(log.lines());
    if (!verified.ok)
      throw new Error(
        `the audit log ${log.label} does not verify (line ${verified.problem!.line}: ${verified.problem!.reason}), so what was deployed last cannot be trusted`,
      );
    const approved: { commit: string; what: string }[] = [];
    for await (const entry of readEntries(log, { type: 'deployment.approved' })) {
      const { subject, details } = entry;
      if (details.by !== 'aims-gate' || subject.repository !== repository || !same(subject.environment))
        continue;
      if (subject.commit)
        approved.unshift({
          commit: subject.commit,
          what: `the last approved deployment to ${environment} (${subject.commit.slice(0, 7)}, audit log entry ${entry.seq})`,
        });
    }
    if (approved.length) return approved;
  }
  return facts.deployments
    .filter((d) => same(d.environment) && (d.state === 'ACTIVE' || d.state === 'INACTIVE'))
    .map((d) => ({
      commit: d.commit,
      what: `the last deployment to ${environment} (${d.commit.slice(0, 7)}, GitHub deployments)`,
    }));
}

type Comparison = 'ahead' | 'behind' | 'identical' | 'diverged';

async function compare(github: GitHub, at: Repository, base: string, head: string, page = 1, perPage = 1) {
  const { data } = await github.rest.repos.compareCommitsWithBasehead({
    ...at,
    basehead: `${base}...${head}`,
    per_page: perPage,
    page,
  });
  return data;
}

/** Release branches that exist, candidates first (the branches the deployed commit's pull requests merged into). */
async function releaseBranches(
  github: GitHub,
  at: Repository,
  patterns: string[],
  hints: string[],
): Promise<string[]> {
  const names = new Set(hints.filter((b) => isReleaseBranch(b, patterns)));
  for (const pattern of patterns) {
    if (!/[*?[{]/.test(pattern)) {
      names.add(pattern);
      continue;
    }
    const prefix = pattern.slice(0, pattern.search(/[*?[{]/));
    const refs = await github.paginate(github.rest.git.listMatchingRefs, {
      ...at,
      ref: `heads/${prefix}`,
      per_page: 100,
    });
    for (const ref of refs) {
      const name = ref.ref.replace(/^refs\/heads\//, '');
      if (isReleaseBranch(name, [pattern])) names.add(name);
    }
  }
  return [...names];
}

/** At most this many release branches are compared with the deployed commit; past that the gate fails closed. */
const MAX_BRANCHES = 10;

/** The release branch whose history holds `commit`, if any. */
async function branchOf(github: GitHub, at: Repository, commit: string, candidates: string[]) {
  for (const branch of candidates.slice(0, MAX_BRANCHES)) {
    try {
      const { status } = await compare(github, at, branch, commit);
      if ((status as Comparison) === 'behind' || status === 'identical') return branch;
    } catch (error) {
      if ((error as { status?: number }).status !== 404) throw error;
    }
  }
  if (candidates.length > MAX_BRANCHES)
    throw new Error(
      `${candidates.length} release branches match; aims-gate compares at most ${MAX_BRANCHES} (name the release branches more narrowly)`,
    );
  return undefined;
}

/** The commits after `since` up to `commit` (or its whole history), at most MAX_CHANGE_SET, with the total. */
async function commitsSince(
  github: GitHub,
  at: Repository,
  since: string | undefined,
  commit: string,
): Promise<{ commits: { sha: string; message: string }[]; total: number } | 'not-ancestor'> {
  const pages = Math.ceil(MAX_CHANGE_SET / 100);
  const commits: { sha: string; message: string }[] = [];
  if (since) {
    let total = 0;
    for (let page = 1; page <= pages; page++) {
      const data = await compare(github, at, since, commit, page, 100);
      if (data.status !== 'ahead' && data.status !== 'identical') return 'not-ancestor';
      total = data.total_commits;
      commits.push(...data.commits.map((c) => ({ sha: c.sha, message: c.commit.message })));
      if (commits.length >= total || data.commits.length < 100) break;
    }
    return { commits: commits.slice(0, MAX_CHANGE_SET), total };
  }
  for (let page = 1; page <= pages; page++) {
    const { data } = await github.rest.repos.listCommits({ ...at, sha: commit, per_page: 100, page });
    commits.push(...data.map((c) => ({ sha: c.sha, message: c.commit.message })));
    if (data.length < 100) return { commits: commits.reverse(), total: commits.length };
  }
  // The history goes on past the bound: how far does not matter, only that it is too long.
  return { commits: commits.slice(0, MAX_CHANGE_SET).reverse(), total: commits.length + 1 };
}

/** Commits per GraphQL query: 50 commits × 10 pull requests × 200 reviews and commits stays well inside GitHub's node limit. */
const COMMITS_PER_QUERY = 50;

const PULL_FIELDS = `number state baseRefName baseRefOid headRefOid mergeCommit { oid } author { login }
  reviews(first: 100) { totalCount nodes { databaseId state submittedAt author { __typename login } commit { oid } } }
  commits(first: 100) { totalCount nodes { commit { oid } } }`;

interface PullNode {
  number: number;
  state: 'OPEN' | 'CLOSED' | 'MERGED';
  baseRefName: string;
  baseRefOid: string;
  headRefOid: string;
  mergeCommit: { oid: string } | null;
  author: { login: string } | null;
  reviews: {
    totalCount: number;
    nodes: {
      databaseId: number;
      state: string;
      submittedAt: string | null;
      author: { __typename: string; login: string } | null;
      commit: { oid: string } | null;
    }[];
  };
  commits: { totalCount: number; nodes: { commit: { oid: string } }[] };
}

/** The pull requests GitHub associates with each commit, with their reviews and own commits, batched. */
async function pullRequestsOf(
  github: GitHub,
  at: Repository,
  shas: string[],
): Promise<{ byCommit: Map<string, number[]>; pulls: Map<number, PullNode> }> {
  const byCommit = new Map<string, number[]>();
  const pulls = new Map<number, PullNode>();
  const batches = Array.from({ length: Math.ceil(shas.length / COMMITS_PER_QUERY) }, (_, i) =>
    shas.slice(i * COMMITS_PER_QUERY, (i + 1) * COMMITS_PER_QUERY),
  );
  await Promise.all(
    batches.map(async (batch) => {
      const variables: Record<string, string> = { owner: at.owner, repo: at.repo };
      const fields = batch.map((sha, i) => {
        variables[`c${i}`] = sha;
        return `c${i}: object(oid: $c${i}) { ... on Commit { associatedPullRequests(first: 10) { nodes { ${PULL_FIELDS} } } } }`;
      });
      const declarations = batch.map((_, i) => `$c${i}: GitObjectID!`).join(', ');
      const query = `query ($owner: String!, $repo: String!, ${declarations}) { repository(owner: $owner, name: $repo) { ${fields.join(' ')} } }`;
      type Answer = {
        repository: Record<string, { associatedPullRequests: { nodes: PullNode[] } } | null> | null;
      };
      const { repository } = await github.graphql<Answer>(query, variables);
      batch.forEach((sha, i) => {
        const nodes = repository?.[`c${i}`]?.associatedPullRequests.nodes ?? [];
        byCommit.set(
          sha,
          nodes.map((pr) => pr.number),
        );
        for (const pr of nodes) pulls.set(pr.number, pr);
      });
    }),
  );
  return { byCommit, pulls };
}

/** A pull request's reviews as the REST API shapes them, which is what the approval judge reads. */
function reviewsOf(node: PullNode): Review[] {
  return node.reviews.nodes.map((r) => ({
    id: r.databaseId,
    user: r.author
      ? { login: r.author.login, id: 0, type: r.author.__typename === 'Bot' ? 'Bot' : 'User' }
      : null,
    state: r.state,
    commit_id: r.commit?.oid ?? null,
    submitted_at: r.submittedAt,
  }));
}

export interface ChangeSetRequest {
  commit: string;
  environment: string;
  /** The trusted policy: release branches, baseline, systems and approval rules. */
  policy: Policy;
  defaultBranch: string;
  /** Candidates for the last approved deployment, newest first. */
  deployed: { commit: string; what: string }[];
}

export async function changeSetOf(
  github: GitHub,
  at: Repository,
  request: ChangeSetRequest,
): Promise<ChangeSet> {
  const { commit, environment, policy } = request;
  const patterns = policy.release.branches ?? [request.defaultBranch];
  const own = await pullRequestsOf(github, at, [commit]);
  const hints = [...own.pulls.values()]
    .filter((pr) => pr.mergeCommit?.oid === commit)
    .map((pr) => pr.baseRefName);
  const branch = await branchOf(github, at, commit, await releaseBranches(github, at, patterns, hints));
  const base: ChangeSet = {
    environment,
    commit,
    releaseBranches: patterns,
    ...(branch ? { branch } : {}),
    commits: [],
    total: 0,
    pullRequests: [],
    teams: {},
  };
  if (!branch) return base;

  // The newest recorded deployment that is an ancestor of this commit; else the baseline; else the whole history.
  let since: ChangeSet['since'];
  let range: Exclude<Awaited<ReturnType<typeof commitsSince>>, 'not-ancestor'> | undefined;
  const baseline = policy.release.baseline
    ? [
        {
          commit: policy.release.baseline,
          what: `the baseline ${policy.release.baseline.slice(0, 7)} (release.baseline)`,
        },
      ]
    : [];
  for (const candidate of [...request.deployed.slice(0, 5), ...baseline]) {
    if (candidate.commit === commit) return { ...base, since: candidate };
    const found = await commitsSince(github, at, candidate.commit, commit);
    if (found !== 'not-ancestor') {
      since = candidate;
      range = found;
      break;
    }
  }
  range ??= (await commitsSince(github, at, undefined, commit)) as Exclude<typeof range, undefined>;
  if (range.commits.length < range.total)
    return {
      ...base,
      ...(since ? { since } : {}),
      commits: range.commits.map((c) => ({ ...c, pullRequests: [] })),
      total: range.total,
    };

  const { byCommit, pulls } = await pullRequestsOf(
    github,
    at,
    range.commits.map((c) => c.sha).filter((sha) => sha !== commit),
  );
  byCommit.set(commit, own.byCommit.get(commit) ?? []);
  for (const [n, pr] of own.pulls) pulls.set(n, pr);
  const commits: ShippedCommit[] = range.commits.map((c) => ({
    sha: c.sha,
    message: c.message,
    pullRequests: byCommit.get(c.sha) ?? [],
  }));

  const teams = policy.approvals.flatMap((rule) => rule.require.flatMap((group) => group.teams ?? []));
  const nodes = [...pulls.values()];
  const [members, files] = await Promise.all([
    teamMembers(github, teams),
    Promise.all(nodes.map((node) => (node.state === 'MERGED' ? filesOf(github, at, node.number) : []))),
  ]);
  // Every pull request's documents are asked for in one turn, so they travel in as few queries as they fit.
  const pullRequests = await Promise.all(
    nodes.map((node, i) => shippedPullRequest(github, at, node, files[i]!, policy)),
  );
  return {
    ...base,
    ...(since ? { since } : {}),
    commits,
    total: range.total,
    pullRequests,
    teams: members.members,
  };
}

/** The paths a merged pull request changed, both sides of a rename; all of them, or the gate fails closed. */
async function filesOf(github: GitHub, at: Repository, number: number): Promise<string[]> {
  const files = await changedFiles(github, at, number);
  if (!files.complete)
    throw new Error(`#${number} changes more files than GitHub lists, so its systems cannot all be known`);
  return files.files;
}

/** A pull request's facts; for a merged one, the tier its change is judged at. */
async function shippedPullRequest(
  github: GitHub,
  at: Repository,
  node: PullNode,
  files: string[],
  policy: Policy,
): Promise<ShippedPullRequest> {
  const state = node.state === 'MERGED' ? 'merged' : node.state === 'OPEN' ? 'open' : 'closed';
  if (
    node.reviews.totalCount > node.reviews.nodes.length ||
    node.commits.totalCount > node.commits.nodes.length
  )
    throw new Error(
      `#${node.number} has more than 100 reviews or commits, more than aims-gate reads in one query`,
    );
  const facts: ShippedPullRequest = {
    number: node.number,
    state,
    baseRef: node.baseRefName,
    headSha: node.headRefOid,
    ...(node.mergeCommit ? { mergeCommit: node.mergeCommit.oid } : {}),
    author: node.author?.login ?? '',
    reviews: reviewsOf(node),
    commits: node.commits.nodes.map((c) => c.commit.oid),
    systems: [],
  };
  if (state !== 'merged') return facts;
  const systems = await changeTiers(
    new GitHubSource(github, { ...at, commit: node.baseRefOid }, `the base of #${node.number}`),
    new GitHubSource(github, { ...at, commit: node.headRefOid }, `#${node.number}`),
    files,
    policy.systems,
  );
  const tier = highestTier(systems.map((s) => s.tier));
  return { ...facts, systems: systems.map((s) => s.id), ...(tier ? { tier } : {}) };
}
