import {
  type ApprovalFacts,
  type ApprovalResult,
  type ApprovalRule,
  applicableRules,
  inEnvironment,
  judgeApprovals,
  type Review,
  sameEnvironment,
} from './approvals.js';
import { CODEOWNERS_PATHS } from './codeowners.js';
import { matches } from './glob.js';
import { highestTier } from './tiers.js';
import type { RiskTier } from './types.js';

/**
 * The deployment gate's decision: what a deployment ships, judged against what is trusted. Pure: the facts
 * (the change set, the pull requests that brought each commit, their reviews and tiers, team members) are
 * gathered by `src/github/`, and tests build them by hand.
 *
 * The rule: the deployed commit is on a release branch, where that branch stood right after merging a pull
 * request; and every commit since the last approved deployment to that environment came through a pull
 * request merged into a release branch, whose approvals meet what the environment and its systems' tiers
 * require. A direct push, an open or closed-unmerged pull request, or one merged into any other branch
 * never counts.
 */

/** A pull request as the gate sees it. */
export interface ShippedPullRequest {
  number: number;
  state: 'open' | 'closed' | 'merged';
  /** The branch it was opened against. */
  baseRef: string;
  /** The final head: approvals count only on it (unless a rule allows stale ones). */
  headSha: string;
  /** Where the base branch stood right after the merge: the merge, squash or last rebased commit. */
  mergeCommit?: string;
  author: string;
  reviews: Review[];
  /** Its own commits, where known: a commit it lists was reviewed in it, whatever GitHub associates. */
  commits?: string[];
  /**
   * Approval rules in force before it (at its base) as well as the trusted ones: a pull request that weakens
   * the rules is judged by the rules it weakens.
   */
  rules?: ApprovalRule[];
  /**
   * What else its approvals are judged on (src/approvals.ts): who may not approve it (who pushed or wrote its
   * commits), what is unknown, and its changed paths with CODEOWNERS for a codeowners requirement.
   */
  approvalFacts?: Pick<ApprovalFacts, 'repository' | 'excluded' | 'unknown' | 'codeowners'>;
  /** It changes the aims-gate config or a policy pack: every approval rule for the environment applies. */
  changesPolicy?: boolean;
  /**
   * The highest tier of the systems it touches: at its own base and head, and where production stands (the
   * last approved deployment) and where it will stand (the deployed commit), removed systems included.
   */
  tier?: RiskTier;
  /** The ids of those systems. */
  systems: string[];
}

export interface ShippedCommit {
  sha: string;
  message: string;
  /** The pull requests GitHub associates with the commit (that contain it or were merged as it). */
  pullRequests: number[];
}

export interface ChangeSet {
  environment: string;
  commit: string;
  /** Release branches, by name or glob, from the trusted config. */
  releaseBranches: string[];
  /** The release branch the deployed commit is on; absent: none is. */
  branch?: string;
  /**
   * Where the change set starts; absent: the whole history of the commit (the first deployment). Only the
   * gate's own record (`trusted`) may say that the deployed commit itself was approved before.
   */
  since?: StartingPoint;
  /** Commits after `since`, up to and including `commit`. */
  commits: ShippedCommit[];
  /** How many commits there are in all: more than `commits` holds when the history was cut at a bound. */
  total: number;
  pullRequests: ShippedPullRequest[];
  /**
   * The systems whose files differ between what production runs and the deployed commit (the whole commit
   * on a first deployment), each at the higher tier of the two: the net change the deployment makes.
   */
  shipped: { id: string; tier?: RiskTier }[];
  /** What production runs, for messages ("the last approved deployment (1a2b3c4)"). */
  production?: string;
  /** Members (logins) of each team a rule names. */
  teams: Record<string, string[]>;
  /**
   * The commits that changed the trusted configuration (the config, its packs, `audit-log`, `release.*`) on
   * the default branch since the config that judged the last approved deployment, wherever they were merged:
   * what the gate trusts is judged too. Their pull requests are in `pullRequests`.
   */
  config?: { branch: string; since: string; commits: ShippedCommit[] };
}

export interface PullRequestVerdict {
  number: number;
  tier?: RiskTier;
  changesPolicy?: boolean;
  systems: string[];
  approval: ApprovalResult;
}

export interface DeploymentVerdict {
  approved: boolean;
  /** One paragraph a release manager can act on: what passed, or each pull request and commit that lacks. */
  reason: string;
  /** Every pull request the deployment ships through a release branch, with its approvals. */
  pullRequests: PullRequestVerdict[];
  /** What stops the deployment, one item per pull request or commit. */
  problems: string[];
  /** The AI systems the deployment changes (by id): what each system's deployment register records. */
  systems: string[];
}

/** Where a change set may start: a deployment the gate approved before, or the trusted baseline. */
export interface StartingPoint {
  commit: string;
  what: string;
  /** The gate's own signed record: only it may say that the deployed commit itself was approved before. */
  trusted?: boolean;
  /** The default branch's commit whose config judged that deployment: config changes since then are judged. */
  config?: string;
}

/** What the gate's log and GitHub say was deployed before, each with who wrote it. */
export interface DeploymentHistory {
  environment: string;
  repository: string;
  /** The log the gate keeps and reads its past approvals from; absent: none (`none`, or a file in the judged commit). */
  log?: string;
  /** The log's `deployment.approved` entries, oldest first. */
  approvals: {
    seq: number;
    repository?: string;
    environment?: string;
    commit?: string;
    /** The default branch's commit whose config judged it. */
    config?: string;
    /** Whose decision it records: `aims-gate` for the gate's own (an environment reviewer's is no judgement of the change set). */
    by?: string;
    /**
     * Who signed the entry, in words; `gate` when a trusted gate or App key did, the only case that counts;
     * `anchored` when that key is listed where the repository's writers cannot list one (the organisation's
     * config), so that the entry can also say which config was judged.
     */
    signer: { gate: boolean; who: string; anchored?: boolean; rotated?: boolean };
  }[];
  /** How many deployments to any environment GitHub records, by environment (anyone with write access can make one). */
  deployments: { environment: string; commit: string }[];
  /** `release.baseline` of the trusted config. */
  baseline?: string;
}

/**
 * Where the change set may start, newest first: only the gate's own approvals, signed by a trusted gate key,
 * say what production runs. Only an approval signed by an anchored key (the organisation's) also says which
 * config judged it: a key the repository's own config lists could have been listed by the very change to the
 * config that its entry would exempt from judging, so the config is then judged from the baseline (or its
 * start) instead. An entry anyone could append (unsigned, or signed by another key) and a GitHub
 * deployment any workflow can create say nothing. Where GitHub remembers deployments to the environment but
 * the log holds no signed approval (a new or moved log, an old unsigned one), the gate does not start afresh
 * from an unknown state: it rejects, unless the trusted config names a baseline, judged with the change set.
 */
export function startingPoints(
  history: DeploymentHistory,
): { points: StartingPoint[] } | { problem: string } {
  const { environment, repository } = history;
  const points: StartingPoint[] = [];
  // A rotated-out key checks against the entry's own time, which its holder writes: once a current key has
  // signed, an entry by a rotated key after it is a backdated one, whatever its time says.
  let current = false;
  for (const entry of history.approvals) {
    const backdated = current && entry.signer.rotated;
    if (entry.signer.gate && !entry.signer.rotated) current = true;
    if (
      backdated ||
      !entry.signer.gate ||
      entry.by !== 'aims-gate' ||
      !entry.commit ||
      entry.repository?.toLowerCase() !== repository.toLowerCase() ||
      !entry.environment ||
      !sameEnvironment(entry.environment, environment)
    )
      continue;
    points.unshift({
      commit: entry.commit,
      what: `the last approved deployment to ${environment} (${entry.commit.slice(0, 7)}, audit log entry ${entry.seq}, signed by ${entry.signer.who})`,
      trusted: true,
      ...(entry.config && entry.signer.anchored ? { config: entry.config } : {}),
    });
  }
  if (points.length || history.baseline) return { points };
  const earlier = history.deployments.filter((d) => sameEnvironment(d.environment, environment));
  if (earlier.length === 0) return { points };
  const unsigned = history.approvals.filter((e) => !e.signer.gate).length;
  return {
    problem: `GitHub records ${earlier.length === 1 ? 'a deployment' : `${earlier.length} deployments`} to ${environment} (the last of ${earlier[0]!.commit.slice(0, 7)}), but ${
      history.log
        ? `the audit log ${history.log} holds no approval of it signed by a gate key${unsigned ? ` (${unsigned} unsigned or signed by an untrusted key, which count for nothing)` : ''}`
        : 'aims-gate keeps no log it could read its own approvals from (audit-log is none or a file)'
    }, so what production runs is unknown: set release.baseline in the default branch’s config to the commit production runs, through a pull request approved by every approval rule for ${environment}, then deploy again`,
  };
}

/** The most commits one decision judges: GitHub's compare lists 250 per page; beyond, the gate fails closed. */
export const MAX_CHANGE_SET = 250;

/**
 * The files of the trusted config in the repository: the config, the packs it extends from the repository
 * (built-in packs ship with aims-gate; the organisation's config is its own repository's), and CODEOWNERS where
 * a rule asks for code owners. A change to any of them changes what the gate trusts, so it needs every approval
 * rule.
 */
export function trustedFiles(policy: {
  configPath?: string;
  packs: string[];
  approvals?: ApprovalRule[];
}): string[] {
  const paths = [policy.configPath, ...policy.packs].filter(
    (p): p is string => p !== undefined && !p.includes(':') && /[/.]/.test(p),
  );
  const owners = policy.approvals?.some((rule) => rule.require.some((group) => group.codeowners));
  return [...new Set([...paths, ...(owners ? CODEOWNERS_PATHS : [])])];
}

/**
 * Characters no environment name holds: controls, format characters that show as nothing (zero-width, bidi),
 * what Unicode says to ignore when shown (Hangul fillers such as U+3164, variation selectors), and spaces other
 * than the ASCII one (U+00A0, U+2000–U+200A, U+3000, the blank braille pattern U+2800).
 */
const HIDDEN =
  /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\u00a0\u1680\u2000-\u200a\u202f\u205f\u2800\u3000]/u;

/**
 * Why a deployment to `environment` cannot be judged at all, or undefined. Environments fail closed: one that
 * no approval rule names gets no "no approvals required" but a rejection, unless the config lists it with
 * `require: []`; a name is compared trimmed, and one holding invisible characters is refused (it would look
 * like a guarded name and match none).
 */
export function environmentProblem(environment: string, rules: ApprovalRule[]): string | undefined {
  const named = environmentNameProblem(environment);
  if (named) return named;
  const name = environment.trim();
  if (!rules.some((rule) => inEnvironment(rule, name))) {
    const named = [...new Set(rules.flatMap((r) => (r.environment ? [r.environment] : [])))];
    return `no approval rule names the environment "${name}"${named.length ? ` (the trusted config names ${named.join(', ')})` : ''}: add its approvals to the default branch’s config, or list it with "require: []" to deploy to it without approvals`;
  }
  return undefined;
}

/** Why a name is no environment's at all (empty, or hiding characters), before any rule is read. */
export function environmentNameProblem(environment: string): string | undefined {
  const name = environment.trim();
  if (!name)
    return 'the deployment names no environment: aims-gate judges a deployment by the approvals its environment requires, so it needs the environment’s name';
  if (HIDDEN.test(name))
    return `the environment name "${visible(environment)}" holds control or invisible characters: rename the environment in the repository’s settings`;
  return undefined;
}

/** A name with each hidden character written as \uXXXX, so that a message shows what is there. */
function visible(name: string): string {
  return name.replace(
    new RegExp(HIDDEN.source, 'gu'),
    (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`,
  );
}

export function isReleaseBranch(branch: string, patterns: string[]): boolean {
  return patterns.some((pattern) => matches(branch, pattern));
}

export function judgeChangeSet(rules: ApprovalRule[], set: ChangeSet): DeploymentVerdict {
  return { ...judge(rules, set), systems: set.shipped.map((s) => s.id) };
}

function judge(rules: ApprovalRule[], set: ChangeSet): Omit<DeploymentVerdict, 'systems'> {
  const short = set.commit.slice(0, 7);
  const reject = (problem: string): Omit<DeploymentVerdict, 'systems'> => ({
    approved: false,
    reason: problem,
    pullRequests: [],
    problems: [problem],
  });
  const unjudgeable = environmentProblem(set.environment, rules);
  if (unjudgeable) return reject(unjudgeable);
  if (!set.branch) {
    return reject(
      `${short} is on no release branch (${set.releaseBranches.join(', ')}): deploy a commit merged into one of them`,
    );
  }
  if (set.since?.commit === set.commit && set.since.trusted && !set.config?.commits.length) {
    return {
      approved: true,
      reason: `nothing new since ${set.since.what}`,
      pullRequests: [],
      problems: [],
    };
  }
  if (set.commits.length < set.total) {
    return reject(
      `${set.total} commits since ${set.since?.what ?? 'the start of the history'}, more than the ${set.commits.length} aims-gate judges in one decision: ${set.since ? 'deploy an approved commit in between first' : 'set release.baseline in the default branch’s config to the last commit shipped before aims-gate'}`,
    );
  }

  const byNumber = new Map(set.pullRequests.map((pr) => [pr.number, pr]));
  const releasePull = (pr: ShippedPullRequest | undefined): pr is ShippedPullRequest =>
    pr?.state === 'merged' && isReleaseBranch(pr.baseRef, set.releaseBranches);
  const verdicts = new Map<number, PullRequestVerdict>();
  // A pull request that brought a change to the trusted config needs every rule, wherever it was merged.
  const changesConfig = (pr: ShippedPullRequest) =>
    (set.config?.commits ?? []).some(
      (c) => c.pullRequests.includes(pr.number) || pr.commits?.includes(c.sha),
    );
  const verdictOf = (pr: ShippedPullRequest): PullRequestVerdict => {
    let verdict = verdicts.get(pr.number);
    if (!verdict) {
      // The trusted rules and those at its base, once each.
      const all = dedupeRules([...rules, ...(pr.rules ?? [])]);
      const everything = pr.changesPolicy || changesConfig(pr);
      const applicable = everything
        ? all.filter((r) => inEnvironment(r, set.environment))
        : applicableRules(all, { environment: set.environment, tier: pr.tier });
      const approval = judgeApprovals(applicable, {
        author: pr.author,
        headSha: pr.headSha,
        reviews: pr.reviews,
        teams: set.teams,
        ...pr.approvalFacts,
      });
      verdict = {
        number: pr.number,
        tier: pr.tier,
        systems: pr.systems,
        approval,
        ...(everything ? { changesPolicy: true } : {}),
      };
      verdicts.set(pr.number, verdict);
    }
    return verdict;
  };

  const problems: string[] = [];
  const lacking = new Set<number>();
  // The deployed state must be one a release branch reached by merging an approved pull request.
  const deployed = set.pullRequests.filter((pr) => releasePull(pr) && pr.mergeCommit === set.commit);
  if (deployed.length === 0) {
    const inside = set.commits.find((c) => c.sha === set.commit)?.pullRequests[0];
    problems.push(
      `${short} is not where ${set.branch} stood right after merging a pull request${inside ? ` (it is a commit inside #${inside}, whose approvals are on its final head)` : ''}: deploy the merge commit of an approved pull request`,
    );
  } else if (!deployed.map(verdictOf).some((v) => v.approval.satisfied)) {
    for (const pr of deployed) lacking.add(pr.number);
  }
  for (const commit of set.commits) {
    const associated = commit.pullRequests.map((n) => byNumber.get(n)).filter((pr) => pr !== undefined);
    // GitHub associates a commit with the pull request that first brought it; a later one may carry it on.
    const carried = set.pullRequests.filter((pr) => pr.commits?.includes(commit.sha));
    const through = [...new Set([...associated, ...carried])].filter(releasePull);
    if (through.length === 0) {
      problems.push(
        `${commit.sha.slice(0, 7)} "${firstLine(commit.message)}" ${
          associated.length
            ? `came only through ${associated.map((pr) => describe(pr, set.releaseBranches)).join(', ')}`
            : 'was pushed without a pull request'
        }`,
      );
      continue;
    }
    // Brought by at least one approved pull request: the commit was reviewed there.
    if (!through.map(verdictOf).some((v) => v.approval.satisfied))
      for (const pr of through) lacking.add(pr.number);
  }
  // The trusted config itself: each change to it came through a pull request merged into the default branch
  // and approved by every rule for the environment, whichever branch is released.
  for (const commit of set.config?.commits ?? []) {
    const branch = set.config!.branch;
    const through = set.pullRequests.filter(
      (pr) =>
        pr.state === 'merged' &&
        pr.baseRef === branch &&
        (commit.pullRequests.includes(pr.number) || pr.commits?.includes(commit.sha)),
    );
    if (through.length === 0) {
      problems.push(
        `${commit.sha.slice(0, 7)} "${firstLine(commit.message)}" changed the trusted configuration on ${branch} without a pull request merged into it (since ${set.config!.since}): revert it through an approved pull request`,
      );
      continue;
    }
    if (!through.map(verdictOf).some((v) => v.approval.satisfied))
      for (const pr of through) lacking.add(pr.number);
  }
  for (const number of [...lacking].sort((a, b) => a - b)) {
    const verdict = verdicts.get(number)!;
    problems.push(`#${number} (${tierWords(verdict)}): ${verdict.approval.summary}`);
  }
  // The net change must be reviewed too: a commit listed in an approved pull request but undone before its
  // head (so in none of its files), or a branch made from an old commit, can change a system no one approved.
  const approvedFor = set.pullRequests
    .filter(releasePull)
    .map(verdictOf)
    .filter((v) => v.approval.satisfied);
  for (const system of set.shipped) {
    // Approved at the system's tier or above: the higher of the two is the pull request's.
    const reviewed = approvedFor.some(
      (v) => v.systems.includes(system.id) && highestTier([v.tier, system.tier]) === v.tier,
    );
    if (!reviewed)
      problems.push(
        `the deployment changes ${system.id}${system.tier ? ` (${system.tier} risk)` : ''} from ${set.production ?? 'nothing deployed before'}, but no approved pull request in it changed ${system.id}${system.tier ? ' at that tier' : ''}`,
      );
  }

  const pullRequests = [...verdicts.values()].sort((a, b) => a.number - b.number);
  if (problems.length) return { approved: false, reason: problems.join('; '), pullRequests, problems };
  const since = set.since?.what ?? 'the start of the history';
  return {
    approved: true,
    reason: `${set.commits.length} commit${set.commits.length === 1 ? '' : 's'} since ${since}, through ${pullRequests.length === 1 ? 'pull request' : 'pull requests'} ${pullRequests.map((v) => `#${v.number} (${v.approval.summary})`).join('; ')}`,
    pullRequests,
    problems,
  };
}

/** The same rule twice (trusted and at a pull request's base, unchanged) is one requirement, not two. */
function dedupeRules(rules: ApprovalRule[]): ApprovalRule[] {
  const seen = new Set<string>();
  return rules.filter((rule) => {
    const key = JSON.stringify(rule);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function describe(pr: ShippedPullRequest, releaseBranches: string[]): string {
  if (pr.state === 'open') return `#${pr.number} (still open)`;
  if (pr.state === 'closed') return `#${pr.number} (closed without merging)`;
  return isReleaseBranch(pr.baseRef, releaseBranches)
    ? `#${pr.number}`
    : `#${pr.number} (merged into ${pr.baseRef}, not a release branch)`;
}

function tierWords(verdict: PullRequestVerdict): string {
  if (verdict.changesPolicy)
    return 'changes the aims-gate configuration or a policy pack: every approval rule for the environment';
  const tier = verdict.tier ? `${verdict.tier} risk` : 'no risk tier';
  return verdict.systems.length ? `${tier}: ${verdict.systems.join(', ')}` : tier;
}

function firstLine(message: string): string {
  const line = message.split('\n', 1)[0]!.trim();
  return line.length > 60 ? `${line.slice(0, 59)}…` : line;
}
