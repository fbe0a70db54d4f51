import type { ApprovalRule } from '../approvals.js';
import type { AuditEntry } from '../audit/entry.js';
import { readEntries } from '../audit/read.js';
import type { AuditStore, LogLine } from '../audit/store.js';
import { verifyLog } from '../audit/verify.js';
import { CODEOWNERS_PATHS, ownerTeams, readCodeowners } from '../codeowners.js';
import { limited } from '../concurrency.js';
import {
  type ChangeSet,
  type DeploymentHistory,
  isReleaseBranch,
  MAX_CHANGE_SET,
  type ShippedCommit,
  type ShippedPullRequest,
  type StartingPoint,
  trustedFiles,
} from '../deployment.js';
import { loadPolicy, type Policy } from '../policy/load.js';
import { MemorySource, type Source } from '../source.js';
import { changeTiers, highestTier } from '../tiers.js';
import type { GitHub } from './octokit.js';
import {
  changedFiles,
  everyNode,
  pushFactsOf,
  REVIEW_FIELDS,
  type Repository,
  type ReviewNode,
  reviewOf,
  teamMembers,
} from './pull-request.js';
import { GitHubSource } from './source.js';

/**
 * Gathers what the deployment gate judges (src/deployment.ts), batched: one GraphQL query for the default
 * branch and recent deployments, a compare per candidate release branch and for the change set, one
 * GraphQL query per 20 commits for the pull requests that brought them with their reviews, then per pull
 * request its files (REST, for renames' old paths) and its documents at base and head (GraphQL, batched).
 */

export interface RepositoryFacts {
  defaultBranch: string;
  /** The default branch's head: where the trusted config is read. */
  defaultHead: string;
  /** Recent deployments (to any environment), newest first, as GitHub records them: anyone with write access can make one. */
  deployments: { commit: string; environment: string }[];
}

// Deployments to every environment: GitHub's names are case-insensitive, its filter may not be.
const REPOSITORY_QUERY = `query ($owner: String!, $repo: String!) {
  repository(owner: $owner, name: $repo) {
    defaultBranchRef { name target { oid } }
    deployments(first: 50, orderBy: { field: CREATED_AT, direction: DESC }) {
      nodes { commitOid environment }
    }
  }
}`;

export async function repositoryFacts(github: GitHub, at: Repository): Promise<RepositoryFacts> {
  type Answer = {
    repository: {
      defaultBranchRef: { name: string; target: { oid: string } } | null;
      deployments: {
        nodes: { commitOid: string; environment: string | null }[];
      };
    } | null;
  };
  const { repository } = await github.graphql<Answer>(REPOSITORY_QUERY, { ...at });
  if (!repository?.defaultBranchRef)
    throw new Error(`${at.owner}/${at.repo} has no default branch to read the trusted configuration from`);
  return {
    defaultBranch: repository.defaultBranchRef.name,
    defaultHead: repository.defaultBranchRef.target.oid,
    deployments: repository.deployments.nodes.map((d) => ({
      commit: d.commitOid,
      environment: d.environment ?? '',
    })),
  };
}

/** Who signed an entry, as the trust rules read it: `gate` only for a valid signature by a trusted gate or App key. */
export type EntrySigner = (entry: AuditEntry) => DeploymentHistory['approvals'][number]['signer'];

/**
 * What the gate's log and GitHub say was deployed before (src/deployment.ts decides what of it counts). The
 * log is read once (a branch log is four requests), its chain verified, and its deployment approvals kept
 * with who signed each; a log whose chain does not verify is an error, so the gate fails closed.
 */
export async function deploymentHistory(
  facts: RepositoryFacts,
  where: { environment: string; repository: string; baseline?: string },
  log: AuditStore | undefined,
  signer: EntrySigner,
): Promise<DeploymentHistory> {
  const history: DeploymentHistory = {
    ...where,
    ...(log ? { log: log.label } : {}),
    approvals: [],
    deployments: facts.deployments,
  };
  if (!log) return history;
  const batches: LogLine[][] = [];
  for await (const batch of log.lines()) batches.push(batch);
  const read = {
    lines: async function* () {
      yield* batches;
    },
  };
  const verified = await verifyLog(read.lines());
  if (!verified.ok)
    throw new Error(
      `the audit log ${log.label} does not verify (line ${verified.problem!.line}: ${verified.problem!.reason}), so what was deployed last cannot be trusted`,
    );
  for await (const entry of readEntries(read, { type: 'deployment.approved' })) {
    const { subject, details } = entry;
    history.approvals.push({
      seq: entry.seq,
      ...(subject.repository ? { repository: subject.repository } : {}),
      ...(subject.environment ? { environment: subject.environment } : {}),
      ...(subject.commit ? { commit: subject.commit } : {}),
      ...(typeof details.config === 'string' ? { config: details.config } : {}),
      ...(typeof details.by === 'string' ? { by: details.by } : {}),
      signer: signer(entry),
    });
  }
  return history;
}

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
      if (status === 'behind' || status === 'identical') return branch;
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

/** Commits per GraphQL query: 20 commits × 25 pull requests × 200 reviews and commits stays well inside GitHub's node limit. */
const COMMITS_PER_QUERY = 20;

const PULL_FIELDS = `number state baseRefName baseRefOid headRefOid mergeCommit { oid } author { login }
  baseRepository { nameWithOwner }
  reviews(first: 100) { totalCount nodes { ${REVIEW_FIELDS} } }
  commits(first: 100) { totalCount nodes { commit { oid } } }`;

interface PullNode {
  number: number;
  state: 'OPEN' | 'CLOSED' | 'MERGED';
  baseRefName: string;
  baseRefOid: string;
  headRefOid: string;
  mergeCommit: { oid: string } | null;
  author: { login: string } | null;
  baseRepository: { nameWithOwner: string } | null;
  reviews: { totalCount: number; nodes: ReviewNode[] };
  commits: { totalCount: number; nodes: { commit: { oid: string } }[] };
}

/** The pull requests GitHub associates with each commit, with their reviews and own commits, batched. */
export async function pullRequestsOf(
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
        return `c${i}: object(oid: $c${i}) { ... on Commit { associatedPullRequests(first: 25) { totalCount nodes { ${PULL_FIELDS} } } } }`;
      });
      const declarations = batch.map((_, i) => `$c${i}: GitObjectID!`).join(', ');
      const query = `query ($owner: String!, $repo: String!, ${declarations}) { repository(owner: $owner, name: $repo) { ${fields.join(' ')} } }`;
      type Answer = {
        repository: Record<
          string,
          { associatedPullRequests: { totalCount: number; nodes: PullNode[] } } | null
        > | null;
      };
      const { repository } = await github.graphql<Answer>(query, variables);
      batch.forEach((sha, i) => {
        const associated = repository?.[`c${i}`]?.associatedPullRequests;
        if (associated && associated.totalCount > associated.nodes.length)
          throw new Error(
            `${sha.slice(0, 7)} belongs to more pull requests than aims-gate reads in one query`,
          );
        // GitHub also associates pull requests of forks: only this repository's own count.
        const nodes = (associated?.nodes ?? []).filter(
          (pr) => pr.baseRepository?.nameWithOwner.toLowerCase() === `${at.owner}/${at.repo}`.toLowerCase(),
        );
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

export interface ChangeSetRequest {
  commit: string;
  environment: string;
  /** The trusted policy: release branches, baseline, systems and approval rules. */
  policy: Policy;
  defaultBranch: string;
  /** The default branch's head, whose config is trusted. */
  defaultHead: string;
  /** The gate's signed approvals to this environment, newest first. */
  deployed: StartingPoint[];
  /** The deployed commit, as the evaluation of its documents read it (its tree is listed once). */
  deployedSource: GitHubSource;
  /** Where `_extends` is read, for the config at each pull request's base. */
  extendsFrom: (target: string) => Source;
  /** Where CODEOWNERS is read for a codeowners requirement: the default branch's head. */
  codeownersFrom?: Source;
  configPath?: string;
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
    shipped: [],
    teams: {},
  };
  if (!branch) return base;

  const trusted = request.deployed.find((d) => d.commit === commit && d.trusted);
  // Changes to the trusted config since the config that judged the last approved deployment, wherever merged.
  const judgedConfig = request.deployed[0]?.config;
  const configSince = judgedConfig ?? policy.release.baseline;
  const config = await configChangesOf(github, at, {
    branch: request.defaultBranch,
    head: request.defaultHead,
    files: trustedFiles(policy),
    ...(configSince ? { since: configSince } : {}),
    judged: judgedConfig !== undefined,
  });
  // Only the gate's own record proves this very commit was approved; GitHub's deployment may be forged.
  const { since, range } = trusted
    ? { since: trusted, range: { commits: [], total: 0 } }
    : await changeSetStart(github, at, commit, [
        ...request.deployed.filter((d) => d.commit !== commit),
        ...(policy.release.baseline
          ? [
              {
                commit: policy.release.baseline,
                what: `the baseline ${short(policy.release.baseline)} (release.baseline)`,
              },
            ]
          : []),
      ]);
  if (range.commits.length < range.total)
    return {
      ...base,
      ...(since ? { since } : {}),
      commits: range.commits.map((c) => ({ ...c, pullRequests: [] })),
      total: range.total,
    };

  const judged = new Set(range.commits.map((c) => c.sha));
  const { byCommit, pulls } = await pullRequestsOf(
    github,
    at,
    [...range.commits, ...config.commits.filter((c) => !judged.has(c.sha))]
      .map((c) => c.sha)
      .filter((sha) => sha !== commit),
  );
  byCommit.set(commit, own.byCommit.get(commit) ?? []);
  for (const [n, pr] of own.pulls) pulls.set(n, pr);
  const commits: ShippedCommit[] = range.commits.map((c) => ({
    sha: c.sha,
    message: c.message,
    pullRequests: byCommit.get(c.sha) ?? [],
  }));

  // Where production stands: the newest deployment on record, an ancestor or not (a branch made from an old
  // commit must not lower a tier production already runs at), else where the change set starts.
  const productionAt = request.deployed[0] ?? since;
  const production = productionAt
    ? new GitHubSource(github, { ...at, commit: productionAt.commit }, short(productionAt.commit))
    : undefined;
  const target = request.deployedSource;
  const teams = policy.approvals.flatMap((rule) => rule.require.flatMap((group) => group.teams ?? []));
  const nodes = [...pulls.values()];
  // Config commits' pull requests are read like release ones: their base rules and files decide what they need.
  const configPulls = new Set(config.commits.flatMap((c) => byCommit.get(c.sha) ?? []));
  const isRelease = (node: PullNode) =>
    node.state === 'MERGED' &&
    (isReleaseBranch(node.baseRefName, patterns) ||
      (configPulls.has(node.number) && node.baseRefName === request.defaultBranch));
  // Who may not approve (pushers, authors) is read only for release pull requests someone approved.
  const approved = nodes.filter(
    (node) =>
      isRelease(node) &&
      (node.reviews.totalCount > node.reviews.nodes.length ||
        node.reviews.nodes.some((r) => r.state === 'APPROVED')),
  );
  const [members, files, shipped, pushed, trustedOwners] = await Promise.all([
    teamMembers(github, teams),
    // At most 10 at a time: a deployment of 250 pull requests must not trip GitHub's limits.
    limited(nodes, (node) => (isRelease(node) ? filesOf(github, at, node.number) : Promise.resolve([]))),
    shippedSystems(production, target, policy),
    pushFactsOf(
      github,
      at,
      approved.map((node) => node.number),
    ),
    needsCodeowners(policy.approvals) ? codeownersOf(request) : undefined,
  ]);
  // Every pull request's documents are asked for in one turn, so they travel in as few queries as they fit.
  const pullRequests = await Promise.all(
    nodes.map((node, i) =>
      shippedPullRequest(github, at, node, isRelease(node) ? files[i]! : undefined, {
        ...request,
        production,
        target,
      }),
    ),
  );
  // A codeowners requirement that only the rules at some pull request's base make needs the file too.
  const codeowners =
    trustedOwners ??
    (pullRequests.some((pr) => needsCodeowners(pr.rules ?? [])) ? await codeownersOf(request) : undefined);
  // Teams that only the rules at some pull request's base name (rules since weakened) are read too; a
  // requirement of a team that no longer exists is superseded by the trusted rules. So are the teams that
  // own the changed paths in CODEOWNERS.
  const more = [
    ...pullRequests.flatMap((pr) => (pr.rules ?? []).flatMap((r) => r.require.flatMap((g) => g.teams ?? []))),
    ...(codeowners?.codeowners ? ownerTeams(codeowners.codeowners, [...new Set(files.flat())]) : []),
  ];
  // A pull request that changes CODEOWNERS is judged by the owners before its change, as GitHub judges it: the
  // owners it writes would otherwise approve it.
  const ownersBefore = await Promise.all(
    nodes.map((node, i) =>
      codeowners && isRelease(node) && files[i]!.some((f) => CODEOWNERS_PATHS.includes(f))
        ? readCodeowners(
            new GitHubSource(github, { ...at, commit: node.baseRefOid }, `the base of #${node.number}`),
          )
        : undefined,
    ),
  );
  more.push(...ownersBefore.flatMap((o, i) => (o?.codeowners ? ownerTeams(o.codeowners, files[i]!) : [])));
  const missing = more.filter((team) => !(team.toLowerCase() in members.members));
  const extra = missing.length ? (await teamMembers(github, missing)).members : {};
  const known = { ...members.members, ...extra };
  for (const pr of pullRequests)
    if (pr.rules)
      pr.rules = pr.rules.filter((r) =>
        r.require.every((g) => (g.teams ?? []).every((t) => t.toLowerCase() in known)),
      );
  pullRequests.forEach((pr, i) => {
    const facts = pushed.get(pr.number);
    pr.approvalFacts = {
      repository: `${at.owner}/${at.repo}`,
      ...(facts ? { excluded: facts.excluded, unknown: facts.unknown } : {}),
      // A release pull request's files are all listed (filesOf fails closed otherwise).
      ...(codeowners && isRelease(nodes[i]!)
        ? {
            codeowners: {
              ...((owners) =>
                owners.codeowners ? { file: owners.codeowners } : { problem: owners.problem })(
                ownersBefore[i] ?? codeowners,
              ),
              paths: files[i]!,
              complete: true,
            },
          }
        : {}),
    };
  });
  return {
    ...base,
    ...(since ? { since } : {}),
    commits,
    total: range.total,
    pullRequests,
    shipped,
    ...(productionAt ? { production: productionAt.what } : {}),
    teams: known,
    ...(config.commits.length
      ? {
          config: {
            branch: request.defaultBranch,
            since: config.since,
            commits: config.commits.map((c) => ({ ...c, pullRequests: byCommit.get(c.sha) ?? [] })),
          },
        }
      : {}),
  };
}

/** Commits GitHub lists per path when looking for changes to the trusted config; more fails closed. */
const MAX_CONFIG_COMMITS = 100;

/**
 * The commits on the default branch that changed a trusted config file since `since` (the default branch's
 * commit whose config judged the last approved deployment, or the baseline), else in its whole history. One
 * compare says whether any did; only then are the files' histories listed, and each commit placed by the
 * compare's commits (or, past what a compare lists, its own compare).
 */
async function configChangesOf(
  github: GitHub,
  at: Repository,
  request: { branch: string; head: string; files: string[]; since?: string; judged?: boolean },
): Promise<{ since: string; commits: { sha: string; message: string }[] }> {
  const { branch, head, files, since, judged } = request;
  const what = since ? `${short(since)}, whose config judged the last approved deployment` : 'its start';
  if (since === head) return { since: what, commits: [] };
  let inRange: ((sha: string) => Promise<boolean>) | undefined;
  if (since) {
    const range = await compare(github, at, since, head, 1, 100).catch((error) => {
      if ((error as { status?: number }).status === 404) return undefined;
      throw error;
    });
    if (!range)
      throw new Error(
        `${short(since)}, where the trusted config was last judged, is not in ${at.owner}/${at.repo} (a rewritten history): the changes to the trusted config since cannot be traced`,
      );
    // A baseline may be on another branch (the range is then what the head has and it has not); but the config
    // that judged the last deployment must still be in the default branch's history: a force-push back past it
    // would bring back a config (a key, a log, weaker rules) that its judged changes replaced.
    if (judged && range.status !== 'ahead' && range.status !== 'identical')
      throw new Error(
        `the default branch ${branch} no longer holds ${short(since)}, whose config judged the last approved deployment (its history was rewritten, ${range.status}): restore it, and keep force-pushes off ${branch} with branch protection`,
      );
    const changed = range.files ?? [];
    // GitHub lists at most 300 files of a compare: fewer, and none of them config, means no config change.
    if (
      changed.length < 300 &&
      !changed.some((f) => files.includes(f.filename) || files.includes(f.previous_filename ?? ''))
    )
      return { since: what, commits: [] };
    const listed = new Set(range.commits.map((c) => c.sha));
    inRange =
      range.total_commits <= range.commits.length
        ? async (sha) => listed.has(sha)
        : async (sha) =>
            listed.has(sha) || ['ahead', 'diverged'].includes((await compare(github, at, since, sha)).status);
  }
  const histories = await limited(files, (path) =>
    github.rest.repos
      .listCommits({ ...at, sha: head, path, per_page: MAX_CONFIG_COMMITS })
      .then((r) => r.data),
  );
  const candidates = new Map(histories.flat().map((c) => [c.sha, c.commit.message]));
  const placed = await limited([...candidates.keys()], async (sha) => (inRange ? inRange(sha) : true));
  const commits = [...candidates].filter((_, i) => placed[i]).map(([sha, message]) => ({ sha, message }));
  if (histories.some((list) => list.length >= MAX_CONFIG_COMMITS) && commits.length >= MAX_CONFIG_COMMITS)
    throw new Error(
      `the trusted config changed more than ${MAX_CONFIG_COMMITS} times on ${branch} since ${what}, more than aims-gate judges in one decision: set release.baseline to a recent commit of ${branch}, through an approved pull request`,
    );
  return { since: what, commits: commits.reverse() };
}

function needsCodeowners(rules: ApprovalRule[]): boolean {
  return rules.some((rule) => rule.require.some((group) => group.codeowners));
}

/** CODEOWNERS on the default branch's head, which GitHub itself uses for the branches it protects. */
function codeownersOf(request: ChangeSetRequest): ReturnType<typeof readCodeowners> {
  return request.codeownersFrom
    ? readCodeowners(request.codeownersFrom)
    : Promise.resolve({ problem: 'CODEOWNERS was not read: no trusted revision was given to read it from' });
}

/** Candidates for the last approved deployment tried at once, newest first: hotfixes elsewhere must not crowd out this branch's. */
const MAX_CANDIDATES = 20;

/**
 * Where the change set starts: the newest candidate that is an ancestor of the commit (all compared at once,
 * one page each), else the whole history. The candidate found is then compared again for its commits.
 */
async function changeSetStart(
  github: GitHub,
  at: Repository,
  commit: string,
  candidates: StartingPoint[],
): Promise<{
  since?: ChangeSet['since'];
  range: { commits: { sha: string; message: string }[]; total: number };
}> {
  const tried = candidates.slice(0, MAX_CANDIDATES);
  const statuses = await limited(tried, async (candidate) => {
    try {
      return (await compare(github, at, candidate.commit, commit)).status;
    } catch (error) {
      // A deployment of a commit that no longer exists (a deleted branch, a rewritten history) is no start.
      if ((error as { status?: number }).status === 404) return 'missing';
      throw error;
    }
  });
  const since = tried.find((_, i) => statuses[i] === 'ahead');
  const range = await commitsSince(github, at, since?.commit, commit);
  if (range === 'not-ancestor') throw new Error(`the history of ${short(commit)} changed while it was read`);
  return { ...(since ? { since } : {}), range };
}

/** The systems the deployment changes: files whose blobs differ between production and the commit, by system. */
async function shippedSystems(
  production: Source | undefined,
  target: GitHubSource,
  policy: Policy,
): Promise<ChangeSet['shipped']> {
  const [before, after] = await Promise.all([
    production instanceof GitHubSource ? production.blobShas() : new Map<string, string>(),
    target.blobShas(),
  ]);
  const paths = new Set([...before.keys(), ...after.keys()]);
  const changed = [...paths].filter((path) => before.get(path) !== after.get(path));
  const systems = await changeTiers(production ?? new MemorySource({}), target, changed, policy.systems);
  return systems.map((s) => ({ id: s.id, ...(s.tier ? { tier: s.tier } : {}) }));
}

/** The paths a merged pull request changed, both sides of a rename; all of them, or the gate fails closed. */
async function filesOf(github: GitHub, at: Repository, number: number): Promise<string[]> {
  const files = await changedFiles(github, at, number);
  if (!files.complete)
    throw new Error(`#${number} changes more files than GitHub lists, so its systems cannot all be known`);
  return files.files;
}

/**
 * A pull request's facts. For one merged into a release branch: the rules in force at its base, whether it
 * changes the policy, and its tier, the highest of the systems it touches at its own base and head, where
 * production stands and where the deployment takes it (so a stale base, or a branch made from an old
 * commit, cannot lower it).
 */
async function shippedPullRequest(
  github: GitHub,
  at: Repository,
  node: PullNode,
  files: string[] | undefined,
  context: ChangeSetRequest & { production: Source | undefined; target: Source },
): Promise<ShippedPullRequest> {
  const state = node.state === 'MERGED' ? 'merged' : node.state === 'OPEN' ? 'open' : 'closed';
  // GraphQL gave the first 100 reviews and commits; past that they are read to the end (reviews through
  // GraphQL, which says whether each reviewer can push; commits through REST).
  const [reviews, commits] = await Promise.all([
    (node.reviews.totalCount > node.reviews.nodes.length
      ? everyNode<ReviewNode>(github, at, node.number, 'reviews', REVIEW_FIELDS)
      : Promise.resolve(node.reviews.nodes)
    ).then((nodes) => nodes.map(reviewOf)),
    node.commits.totalCount > node.commits.nodes.length
      ? github
          .paginate(github.rest.pulls.listCommits, { ...at, pull_number: node.number, per_page: 100 })
          .then((list) => list.map((c) => c.sha))
      : node.commits.nodes.map((c) => c.commit.oid),
  ]);
  const facts: ShippedPullRequest = {
    number: node.number,
    state,
    baseRef: node.baseRefName,
    headSha: node.headRefOid,
    ...(node.mergeCommit ? { mergeCommit: node.mergeCommit.oid } : {}),
    author: node.author?.login ?? '',
    reviews,
    commits,
    systems: [],
  };
  if (!files) return facts;
  const base = new GitHubSource(github, { ...at, commit: node.baseRefOid }, `the base of #${node.number}`);
  const head = new GitHubSource(github, { ...at, commit: node.headRefOid }, `#${node.number}`);
  // The rules at its base; where they cannot be read, every trusted rule for the environment applies instead.
  const before = await loadPolicy(base, context.configPath, { extendsFrom: context.extendsFrom }).catch(
    () => undefined,
  );
  const patterns = [...context.policy.systems, ...(before?.systems ?? [])];
  const { production, target } = context;
  const sides = await Promise.all([
    changeTiers(base, head, files, patterns),
    changeTiers(base, target, files, patterns),
    ...(production ? [changeTiers(production, target, files, patterns)] : []),
  ]);
  const systems = sides.flat();
  const policyFiles = [...trustedFiles(before ?? { packs: [] }), ...trustedFiles(context.policy)];
  const tier = highestTier(systems.map((s) => s.tier));
  return {
    ...facts,
    ...(before ? { rules: before.approvals } : {}),
    ...(!before || files.some((f) => policyFiles.includes(f)) ? { changesPolicy: true } : {}),
    systems: [...new Set(systems.map((s) => s.id))].sort(),
    ...(tier ? { tier } : {}),
  };
}

const short = (sha: string) => sha.slice(0, 7);
