import { type Codeowners, ownerKind, ruleFor } from './codeowners.js';
import type { RiskTier } from './types.js';

/**
 * Approval requirements from policy, judged against the reviews of a pull request. Pure: the platform's
 * facts (reviews as the REST API returns them, whether each reviewer can push, who pushed or wrote the
 * pull request's commits, the CODEOWNERS file, the members of each team named) are passed in.
 */

/**
 * One requirement group: `count` distinct approvers from these users or teams (anyone, if neither is given);
 * or, with `codeowners`, for every changed path an approval from one of its code owners.
 */
export type ApprovalGroup =
  | {
      count: number;
      users?: string[];
      /** Team slugs as "org/team". */
      teams?: string[];
      codeowners?: undefined;
    }
  | {
      /** Every changed path needs an approval from one of its owners in CODEOWNERS (read at the trusted revision). */
      codeowners: true;
      count?: undefined;
      users?: undefined;
      teams?: undefined;
    };

/** From the config's `approvals`: where a rule applies, and what it requires there. */
export interface ApprovalRule {
  /** The deployment environment the rule guards; absent: every environment and pull requests. */
  environment?: string;
  /** The risk tiers the rule applies to; absent: every tier. */
  tiers?: RiskTier[];
  require: ApprovalGroup[];
  /** Count approvals given on an earlier commit of the pull request (default false: only the final head). */
  'allow-stale'?: boolean;
}

/** A pull-request review as GET /repos/{owner}/{repo}/pulls/{n}/reviews returns it (the fields used). */
export interface Review {
  id: number;
  user: { login: string; id: number; type?: string } | null;
  state: string;
  commit_id: string | null;
  submitted_at?: string | null;
  /**
   * Whether its author can push to the repository now (GraphQL's `authorCanPushToRepository`): GitHub counts
   * only such approvals. Absent: unknown, and the approval does not count.
   */
  canPush?: boolean;
}

/** Someone who can never approve this pull request, and why (they pushed or wrote part of it). */
export interface Excluded {
  login: string;
  reason: string;
}

/** What a `codeowners` requirement is judged on. */
export interface CodeownersFacts {
  /** CODEOWNERS at the trusted revision, parsed; absent when `problem` says why there is none to use. */
  file?: Codeowners;
  problem?: string;
  /** Every path the pull request changes (both sides of a rename). */
  paths: string[];
  /** False when GitHub listed only some of them: then the requirement cannot be decided. */
  complete: boolean;
}

export interface ApprovalFacts {
  /** "owner/repo", for messages. */
  repository?: string;
  /** The pull request's author, who can never approve it. */
  author: string;
  /** The commit the approvals must be on: the pull request's final head. */
  headSha: string;
  reviews: Review[];
  /** Members (logins) of each team a matching rule or a code owner names; a team missing here cannot be decided. */
  teams: Record<string, string[]>;
  /** Who pushed its last commit, and its commits' authors, co-authors and committers: their approvals never count. */
  excluded?: Excluded[];
  codeowners?: CodeownersFacts;
  /** Facts that could not be gathered in full, each a sentence: the result cannot be decided. */
  unknown?: string[];
}

export interface GroupResult {
  group: ApprovalGroup;
  /** Who counts towards this group. */
  approvers: string[];
  /** Approvals still needed: for a codeowners group, the paths without an approval from one of their owners. */
  missing: number;
  description: string;
  /** For a codeowners group: each changed path that still lacks an owner's approval, with its owners. */
  unapproved?: { path: string; owners: string[]; line: number; note?: string }[];
}

export interface ApprovalResult {
  satisfied: boolean;
  /** Requirements that apply here, each with who counted and what is missing. */
  groups: GroupResult[];
  /** Approvals that did not count, and why: what a user needs to see to trust the result. */
  ignored: { login: string; reason: string }[];
  /**
   * Facts that were needed but not known, each a phrase ("the members of team acme/x are unknown"): the
   * result fails closed.
   */
  undecidable: string[];
  summary: string;
}

/** The rules that apply to a change of this tier, going to this environment (none for a pull request alone). */
export function applicableRules(
  rules: ApprovalRule[],
  where: { environment?: string; tier?: RiskTier },
): ApprovalRule[] {
  return rules.filter(
    (rule) =>
      inEnvironment(rule, where.environment) &&
      (rule.tiers === undefined || (where.tier !== undefined && rule.tiers.includes(where.tier))),
  );
}

/**
 * Whether a rule guards this environment (or every one). Names compare as GitHub compares them, without case,
 * and trimmed: " production" is production.
 */
export function inEnvironment(rule: ApprovalRule, environment: string | undefined): boolean {
  return (
    rule.environment === undefined ||
    (environment !== undefined && sameEnvironment(rule.environment, environment))
  );
}

export function sameEnvironment(a: string, b: string): boolean {
  return lower(a.trim()) === lower(b.trim());
}

/**
 * Judges approvals the way an attacker would try to fake them, and as GitHub counts them: only APPROVED
 * reviews count; each person's latest decisive review wins (a later "changes requested" or a dismissal
 * withdraws an approval, a later comment does not); the author, bots and deleted accounts never count, nor
 * does anyone who cannot push to the repository, who pushed the last commit, or who wrote, co-wrote or
 * committed any of its commits; an approval must be on the final head commit unless the rule allows stale
 * ones; and the approver must be in the named users or teams, or own the changed paths in CODEOWNERS.
 */
export function judgeApprovals(rules: ApprovalRule[], facts: ApprovalFacts): ApprovalResult {
  const ignored: ApprovalResult['ignored'] = [];
  const undecidable = new Set(facts.unknown ?? []);
  for (const team of rules.flatMap((r) => r.require.flatMap((g) => g.teams ?? [])))
    if (!membersOf(team, facts.teams)) undecidable.add(`the members of team ${team} are unknown`);
  const excluded = new Map((facts.excluded ?? []).map((e) => [lower(e.login), e.reason]));
  const repository = facts.repository ?? 'the repository';
  const latest = latestDecisions(facts.reviews);
  const groups: GroupResult[] = [];
  for (const rule of rules) {
    const approvals = [...latest.values()].filter((review) => {
      const login = review.user!.login;
      const why =
        review.state !== 'APPROVED'
          ? undefined
          : lower(login) === lower(facts.author)
            ? 'the author cannot approve their own pull request'
            : review.user!.type === 'Bot'
              ? 'bots do not count as approvers'
              : excluded.has(lower(login))
                ? excluded.get(lower(login))
                : review.canPush === false
                  ? `cannot push to ${repository}: GitHub would not count this approval`
                  : review.canPush === undefined
                    ? `whether they can push to ${repository} is unknown, so the approval does not count`
                    : !rule['allow-stale'] && review.commit_id !== facts.headSha
                      ? `approved an earlier commit (${(review.commit_id ?? 'unknown').slice(0, 7)}), not the final head ${facts.headSha.slice(0, 7)}`
                      : undefined;
      if (why) ignored.push({ login, reason: why });
      return review.state === 'APPROVED' && !why;
    });
    const logins = approvals.map((r) => r.user!.login);
    for (const group of rule.require) {
      if (group.codeowners) {
        const result = judgeCodeowners(logins, facts, rule);
        for (const u of result.undecidable) undecidable.add(u);
        for (const login of logins)
          if (!result.group.approvers.includes(login))
            ignored.push({ login, reason: 'owns none of the changed paths in CODEOWNERS' });
        groups.push(result.group);
        continue;
      }
      const eligible = logins.filter((login) => inGroup(login, group, facts.teams));
      for (const login of logins)
        if (!eligible.includes(login) && (group.users || group.teams))
          ignored.push({ login, reason: `is not in ${describeWho(group)}` });
      groups.push({
        group,
        approvers: eligible,
        missing: Math.max(0, group.count - eligible.length),
        description: describeGroup(group, rule),
      });
    }
  }
  for (const [login, review] of latest) {
    if (review.state === 'CHANGES_REQUESTED')
      ignored.push({ login, reason: 'requested changes after (or instead of) approving' });
    if (review.state === 'DISMISSED') ignored.push({ login, reason: 'their approval was dismissed' });
  }
  const unknown = [...undecidable];
  const satisfied = unknown.length === 0 && groups.every((g) => g.missing === 0);
  return {
    satisfied,
    groups,
    ignored: dedupe(ignored),
    undecidable: unknown,
    summary: summarise(groups, unknown),
  };
}

/**
 * A codeowners group: every changed path whose last matching CODEOWNERS line names owners needs an approval
 * from one of them (a user, a member of a team, never an e-mail address, which cannot be told apart from
 * any GitHub login). A path no line owns needs none, as on GitHub. Without a usable CODEOWNERS file, or with
 * only some of the changed paths known, the group cannot be decided.
 */
function judgeCodeowners(
  logins: string[],
  facts: ApprovalFacts,
  rule: ApprovalRule,
): { group: GroupResult; undecidable: string[] } {
  const codeowners = facts.codeowners;
  const where = codeowners?.file ? ` (${codeowners.file.file})` : '';
  const group: GroupResult = {
    group: { codeowners: true },
    approvers: [],
    missing: 0,
    description: `an approval from a code owner of each changed path${where}${describeWhere(rule)}`,
    unapproved: [],
  };
  if (!codeowners) return { group, undecidable: ['the CODEOWNERS file was not read'] };
  if (!codeowners.file) return { group, undecidable: [codeowners.problem ?? 'there is no CODEOWNERS file'] };
  const undecidable: string[] = [];
  if (!codeowners.complete)
    undecidable.push(
      'GitHub lists only some of the files this pull request changes, so not every changed path’s code owners are known: split the pull request',
    );
  const approvers = new Set<string>();
  for (const path of codeowners.paths) {
    const owning = ruleFor(codeowners.file, path);
    if (!owning || owning.owners.length === 0) continue;
    const { owners, line } = owning;
    const approvedBy = logins.filter((login) => owners.some((owner) => owns(owner, login, facts.teams)));
    for (const login of approvedBy) approvers.add(login);
    if (approvedBy.length) continue;
    for (const owner of owners)
      if (ownerKind(owner) === 'team' && !membersOf(owner.slice(1), facts.teams))
        undecidable.push(`the members of team ${owner.slice(1)} (a code owner of ${path}) are unknown`);
    // GitHub maps an e-mail owner to the account that verified it; nothing aims-gate may read says which that is.
    const emails = owners.filter((owner) => ownerKind(owner) === 'email');
    group.unapproved!.push({
      path,
      owners,
      line,
      ...(emails.length
        ? {
            note: `${emails.join(', ')} ${emails.length === 1 ? 'is an e-mail address' : 'are e-mail addresses'}, which aims-gate cannot match to a GitHub account: name ${emails.length === 1 ? 'that owner' : 'those owners'} as @user in ${codeowners.file.file} line ${line}`,
          }
        : {}),
    });
  }
  group.approvers = logins.filter((login) => approvers.has(login));
  group.missing = group.unapproved!.length;
  return { group, undecidable };
}

/** Whether a CODEOWNERS owner is this login: the user, or a member of the team. An e-mail address never is. */
function owns(owner: string, login: string, teams: Record<string, string[]>): boolean {
  const kind = ownerKind(owner);
  if (kind === 'user') return lower(owner.slice(1)) === lower(login);
  if (kind === 'team') return (membersOf(owner.slice(1), teams) ?? []).some((m) => lower(m) === lower(login));
  return false;
}

function membersOf(team: string, teams: Record<string, string[]>): string[] | undefined {
  return teams[lower(team)] ?? teams[team];
}

/**
 * Each reviewer's latest review that decides something. GitHub keeps an approval when the same person
 * later only comments, so COMMENTED (and PENDING) reviews do not replace an earlier decision.
 */
function latestDecisions(reviews: Review[]): Map<string, Review> {
  const ordered = [...reviews].sort(
    (a, b) => (a.submitted_at ?? '').localeCompare(b.submitted_at ?? '') || a.id - b.id,
  );
  const latest = new Map<string, Review>();
  for (const review of ordered) {
    if (!review.user) continue; // a deleted account
    if (review.state === 'COMMENTED' || review.state === 'PENDING') continue;
    latest.set(review.user.login, review);
  }
  return latest;
}

function inGroup(login: string, group: ApprovalGroup, teams: Record<string, string[]>): boolean {
  if (!group.users && !group.teams) return true;
  if (group.users?.some((user) => lower(user) === lower(login))) return true;
  return (group.teams ?? []).some((team) =>
    (membersOf(team, teams) ?? []).some((member) => lower(member) === lower(login)),
  );
}

function describeWho(group: ApprovalGroup): string {
  const who = [...(group.teams ?? []).map((t) => `team ${t}`), ...(group.users ?? []).map((u) => `@${u}`)];
  return who.length ? who.join(' or ') : 'anyone but the author';
}

function describeGroup(group: ApprovalGroup & { count: number }, rule: ApprovalRule): string {
  return `${group.count} approval${group.count === 1 ? '' : 's'} from ${describeWho(group)}${describeWhere(rule)}`;
}

function describeWhere(rule: ApprovalRule): string {
  const where = [rule.environment && `to ${rule.environment}`, rule.tiers && `${rule.tiers.join('/')} risk`]
    .filter(Boolean)
    .join(', ');
  return where ? ` (${where})` : '';
}

function summarise(groups: GroupResult[], undecidable: string[]): string {
  if (undecidable.length) return `cannot decide: ${undecidable.join('; ')}`;
  if (groups.length === 0) return 'no approvals required';
  const missing = groups.filter((g) => g.missing > 0);
  if (missing.length === 0)
    return `approved: ${groups.map((g) => `${g.description}: ${g.approvers.join(', ') || 'no changed path has a code owner'}`).join('; ')}`;
  return `waiting for ${missing.map(describeMissing).join('; ')}`;
}

function describeMissing(g: GroupResult): string {
  const has = g.approvers.length ? ` (has ${g.approvers.join(', ')})` : '';
  if (!g.unapproved) return `${g.missing} more of ${g.description}${has}`;
  const shown = g.unapproved.slice(0, 3).map((u) => `${u.path}: ${u.owners.join(' or ')}`);
  const more = g.unapproved.length > 3 ? `, and ${g.unapproved.length - 3} more` : '';
  return `${g.description}${has}: ${g.missing} path${g.missing === 1 ? '' : 's'} without one (${shown.join('; ')}${more})`;
}

function dedupe(list: ApprovalResult['ignored']): ApprovalResult['ignored'] {
  const seen = new Set<string>();
  return list.filter((item) => {
    const key = `${item.login}|${item.reason}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function lower(s: string): string {
  return s.toLowerCase();
}
