import type { ApprovalResult } from '../approvals.js';
import type { Actor, Subject } from '../audit/entry.js';
import { deploymentEvent, evaluationEvents } from '../audit/events.js';
import { type AuditStore, recordAll } from '../audit/store.js';
import { evaluate, highestTier, requiredTier } from '../evaluate.js';
import { verdictLine } from '../report/words.js';
import type { Source } from '../source.js';
import type { Evaluation, RiskTier, Severity } from '../types.js';
import type { GitHub } from './octokit.js';
import {
  changedFiles,
  judgeReviews,
  MAX_LISTED_FILES,
  pullRequestsOfCommit,
  type Repository,
  reviewsOf,
} from './pull-request.js';
import { GitHubSource } from './source.js';

/**
 * The two evaluations the Action and the App share, so that both give the same verdict on the same commit:
 * a pull request (config from its base, documents from its head) and a deployment (the deployed commit, the
 * approvals of the pull request that brought it).
 */

export interface EvaluationOptions {
  config?: string;
  /** Where config and policy come from instead of the base (the App's organisation defaults). */
  policySource?: Source;
  today: string;
  failOn?: Severity | 'never';
}

/** The fields of a pull request (webhook payload or REST answer) an evaluation needs. */
export interface PullRequestFacts {
  number: number;
  base: { sha: string; ref: string };
  head: { sha: string; ref: string };
  user: { login: string } | null;
}

export async function checkPullRequest(
  github: GitHub,
  repository: Repository,
  pr: PullRequestFacts,
  options: EvaluationOptions,
): Promise<{ evaluation: Evaluation; approval: ApprovalResult }> {
  const base = new GitHubSource(
    github,
    { ...repository, commit: pr.base.sha },
    `the base branch ${pr.base.ref}`,
  );
  const head = new GitHubSource(github, { ...repository, commit: pr.head.sha }, 'this pull request');
  const [changes, reviews] = await Promise.all([
    changedFiles(github, repository, pr.number),
    reviewsOf(github, repository, pr.number),
  ]);
  const evaluation = await evaluate({
    source: head,
    policySource: options.policySource ?? base,
    extendsFrom: extendsFrom(github, repository.owner),
    baseSource: base,
    configPath: options.config,
    changedFiles: changes.files,
    today: options.today,
    failOn: options.failOn,
  });
  if (!changes.complete) {
    evaluation.notices.push(
      `GitHub lists only the first ${MAX_LISTED_FILES.toLocaleString('en')} files of a pull request: AI systems touched only by the others were not checked. Split the pull request.`,
    );
  }
  const approval = await judgeReviews(
    github,
    evaluation.policy.approvals,
    { tier: requiredTier(evaluation) },
    { author: pr.user?.login ?? '', headSha: pr.head.sha, reviews },
  );
  return { evaluation, approval };
}

/**
 * Where a config's `_extends: NAME` is read: `.github/aims-gate.yml` in the owner's repository NAME (usually
 * `.github`), or in OWNER/NAME, on its default branch, as other Probot apps read organisation-wide config.
 */
export function extendsFrom(github: GitHub, owner: string): (target: string) => Source {
  return (target) => {
    const [org, repo] = target.includes('/') ? (target.split('/') as [string, string]) : [owner, target];
    return new GitHubSource(github, { owner: org, repo, commit: 'HEAD' }, target);
  };
}

export interface DeploymentDecision {
  approved: boolean;
  /** One sentence a release manager can act on: what passed, or exactly what is missing. */
  reason: string;
  /** Absent when the gate could not get as far as evaluating. */
  evaluation?: Evaluation;
  approval?: ApprovalResult;
  pullRequest?: number;
  tier?: RiskTier;
}

/**
 * Whether `commit` may be deployed to `environment`: its documents must pass, and the pull request that
 * brought it must carry the approvals that environment and the higher of its base and head tiers require.
 * Fails closed: any error is a rejection that says why, never an exception and never an approval.
 */
export async function gateDeployment(
  github: GitHub,
  repository: Repository,
  { commit, environment }: { commit: string; environment: string },
  options: EvaluationOptions,
): Promise<DeploymentDecision> {
  try {
    const prs = await pullRequestsOfCommit(github, repository, commit);
    const pr = prs.sort((a, b) => (b.merged_at ?? '').localeCompare(a.merged_at ?? ''))[0];
    if (!pr) {
      return {
        approved: false,
        reason: `no merged pull request brought ${commit.slice(0, 7)}; deployments must come through a reviewed pull request`,
      };
    }
    const base = new GitHubSource(
      github,
      { ...repository, commit: pr.base.sha },
      `the base of #${pr.number}`,
    );
    const [evaluation, reviews] = await Promise.all([
      evaluate({
        source: new GitHubSource(github, { ...repository, commit }, commit.slice(0, 7)),
        policySource: options.policySource ?? base,
        extendsFrom: extendsFrom(github, repository.owner),
        baseSource: base,
        configPath: options.config,
        today: options.today,
        failOn: options.failOn,
      }),
      reviewsOf(github, repository, pr.number),
    ]);
    const tier = highestTier(evaluation.systems.map((s) => s.tier));
    const approval = await judgeReviews(
      github,
      evaluation.policy.approvals,
      { environment, tier },
      { author: pr.user?.login ?? '', headSha: pr.head.sha, reviews },
    );
    const reasons = [
      ...(evaluation.verdict === 'fail' ? [verdictLine(evaluation)] : []),
      ...(approval.satisfied ? [] : [approval.summary]),
    ];
    return {
      approved: reasons.length === 0,
      reason: reasons.length === 0 ? approval.summary : reasons.join('; '),
      evaluation,
      approval,
      pullRequest: pr.number,
      ...(tier ? { tier } : {}),
    };
  } catch (error) {
    return {
      approved: false,
      reason: `aims-gate could not decide, so it fails closed: ${(error as Error).message ?? String(error)}`,
    };
  }
}

/**
 * Appends a gate's evaluation and decision to the audit log. The log must show every gate decision, so an
 * approval that cannot be recorded is not given: the decision returned is then a rejection that says why.
 * Returns the checkpoint after the last entry, where one was written.
 */
export async function recordDeployment(
  store: AuditStore | undefined,
  decision: DeploymentDecision,
  context: { time: string; actor: Actor; subject: Subject },
): Promise<{ decision: DeploymentDecision; checkpoint?: { seq: number; hash: string }; problem?: string }> {
  if (!store) return { decision };
  const { evaluation, approval } = decision;
  const drafts = [
    ...(evaluation ? evaluationEvents(evaluation, context) : []),
    deploymentEvent(
      {
        approved: decision.approved,
        reason: decision.reason,
        ...(decision.pullRequest ? { pullRequest: decision.pullRequest } : {}),
        ...(decision.tier ? { tier: decision.tier } : {}),
        ...(evaluation ? { verdict: evaluation.verdict } : {}),
        ...(approval ? { approvers: approval.groups.flatMap((g) => g.approvers) } : {}),
      },
      context,
    ),
  ];
  try {
    const checkpoint = await recordAll(store, drafts);
    return { decision, ...(checkpoint ? { checkpoint } : {}) };
  } catch (error) {
    const problem = `the decision could not be recorded in the audit log ${store.label}: ${(error as Error).message}`;
    return { decision: decision.approved ? { approved: false, reason: problem } : decision, problem };
  }
}
