import type { RiskTier } from './types.js';

/**
 * Approval requirements from policy, judged against the reviews of a pull request. Pure: the platform's
 * facts (reviews as the REST API returns them, the members of each team named) are passed in.
 */

/** One requirement group: `count` distinct approvers from these users or teams (anyone, if neither is given). */
export interface ApprovalGroup {
  count: number;
  users?: string[];
  /** Team slugs as "org/team". */
  teams?: string[];
}

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
}

export interface ApprovalFacts {
  /** The pull request's author, who can never approve it. */
  author: string;
  /** The commit the approvals must be on: the pull request's final head. */
  headSha: string;
  reviews: Review[];
  /** Members (logins) of each team a matching rule names; a team missing here cannot be decided. */
  teams: Record<string, string[]>;
}

export interface GroupResult {
  group: ApprovalGroup;
  /** Who counts towards this group. */
  approvers: string[];
  missing: number;
  description: string;
}

export interface ApprovalResult {
  satisfied: boolean;
  /** Requirements that apply here, each with who counted and what is missing. */
  groups: GroupResult[];
  /** Approvals that did not count, and why: what a user needs to see to trust the result. */
  ignored: { login: string; reason: string }[];
  /** Facts that were needed but not given (a team whose members are unknown): the result fails closed. */
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
 * Judges approvals the way an attacker would try to fake them: only APPROVED reviews count; each person's
 * latest decisive review wins (a later "changes requested" or a dismissal withdraws an approval, a later
 * comment does not); the author, bots and deleted accounts never count; an approval must be on the final
 * head commit unless the rule allows stale ones; and the approver must be in the named users or teams.
 */
export function judgeApprovals(rules: ApprovalRule[], facts: ApprovalFacts): ApprovalResult {
  const ignored: ApprovalResult['ignored'] = [];
  const undecidable = [
    ...new Set(
      rules
        .flatMap((r) => r.require.flatMap((g) => g.teams ?? []))
        .filter((t) => !facts.teams[lower(t)] && !facts.teams[t]),
    ),
  ];
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
              : !rule['allow-stale'] && review.commit_id !== facts.headSha
                ? `approved an earlier commit (${(review.commit_id ?? 'unknown').slice(0, 7)}), not the final head ${facts.headSha.slice(0, 7)}`
                : undefined;
      if (why) ignored.push({ login, reason: why });
      return review.state === 'APPROVED' && !why;
    });
    for (const group of rule.require) {
      const eligible = approvals
        .map((r) => r.user!.login)
        .filter((login) => inGroup(login, group, facts.teams));
      for (const review of approvals) {
        const login = review.user!.login;
        if (!eligible.includes(login) && (group.users || group.teams))
          ignored.push({ login, reason: `is not in ${describeWho(group)}` });
      }
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
  const satisfied = undecidable.length === 0 && groups.every((g) => g.missing === 0);
  return {
    satisfied,
    groups,
    ignored: dedupe(ignored),
    undecidable,
    summary: summarise(groups, undecidable),
  };
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
    (teams[lower(team)] ?? teams[team] ?? []).some((member) => lower(member) === lower(login)),
  );
}

function describeWho(group: ApprovalGroup): string {
  const who = [...(group.teams ?? []).map((t) => `team ${t}`), ...(group.users ?? []).map((u) => `@${u}`)];
  return who.length ? who.join(' or ') : 'anyone but the author';
}

function describeGroup(group: ApprovalGroup, rule: ApprovalRule): string {
  const where = [rule.environment && `to ${rule.environment}`, rule.tiers && `${rule.tiers.join('/')} risk`]
    .filter(Boolean)
    .join(', ');
  return `${group.count} approval${group.count === 1 ? '' : 's'} from ${describeWho(group)}${where ? ` (${where})` : ''}`;
}

function summarise(groups: GroupResult[], undecidable: string[]): string {
  if (undecidable.length)
    return `cannot decide: the members of ${undecidable.map((t) => `team ${t}`).join(', ')} are unknown`;
  if (groups.length === 0) return 'no approvals required';
  const missing = groups.filter((g) => g.missing > 0);
  if (missing.length === 0)
    return `approved: ${groups.map((g) => `${g.description}: ${g.approvers.join(', ')}`).join('; ')}`;
  return `waiting for ${missing.map((g) => `${g.missing} more of ${g.description}${g.approvers.length ? ` (has ${g.approvers.join(', ')})` : ''}`).join('; ')}`;
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
