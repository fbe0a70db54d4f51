import {
  type ApprovalFacts,
  type ApprovalResult,
  type ApprovalRule,
  applicableRules,
  judgeApprovals,
  type Review,
} from '../approvals.js';
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

/**
 * The members of each team ("org/slug"). A team that cannot be read (missing, or no permission to read
 * members) is left out, so the approval judge finds it undecidable and fails closed.
 */
export async function teamMembers(
  github: GitHub,
  teams: string[],
): Promise<{ members: Record<string, string[]>; unreadable: string[] }> {
  const members: Record<string, string[]> = {};
  const unreadable: string[] = [];
  await Promise.all(
    [...new Set(teams.map((t) => t.toLowerCase()))].map(async (team) => {
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
    }),
  );
  return { members, unreadable };
}

/**
 * The approval requirements that apply here, judged against a pull request's reviews, with the members of
 * every team they name read from GitHub (one request per team). The Action and the App both decide here.
 */
export async function judgeReviews(
  github: GitHub,
  approvals: ApprovalRule[],
  where: { environment?: string; tier?: RiskTier },
  facts: Omit<ApprovalFacts, 'teams'>,
): Promise<ApprovalResult> {
  const rules = applicableRules(approvals, where);
  const { members } = await teamMembers(
    github,
    rules.flatMap((rule) => rule.require.flatMap((group) => group.teams ?? [])),
  );
  return judgeApprovals(rules, { ...facts, teams: members });
}
