import type { Logger } from 'pino';
import { deploymentEvent } from '../src/audit/events.js';
import { recordAll } from '../src/audit/store.js';
import {
  type DeploymentDecision,
  gateDeployment,
  type LogSettings,
  recordDeployment,
} from '../src/github/evaluate.js';
import type { GitHub } from '../src/github/octokit.js';
import type { Repository } from '../src/github/pull-request.js';
import { APP_AUDIT_LOG, appAuditStore, orgDefaults } from './settings.js';

/** GitHub keeps a protection rule's comment to 1,024 characters. */
const MAX_COMMENT = 1024;

export interface ProtectionRequest {
  github: GitHub;
  repository: Repository;
  environment: string;
  /** `deployment.sha`, or the payload's top-level `sha` where present. */
  commit: string | undefined;
  callbackUrl: string | undefined;
  log: Logger;
  today: string;
  actor: { login: string; id?: number };
}

/**
 * The custom deployment protection rule: evaluates the deployed commit for its environment and answers
 * approved or rejected, with a comment that names what is missing. Fails closed: whatever goes wrong, the
 * answer is a rejection with the reason, never silence (GitHub would otherwise wait 30 days).
 */
export async function answerProtectionRule(request: ProtectionRequest): Promise<'approved' | 'rejected'> {
  const { github, repository, environment, commit, log } = request;
  const runId = /\/actions\/runs\/(\d+)\/deployment_protection_rule/.exec(request.callbackUrl ?? '')?.[1];
  if (!runId) {
    // Nowhere to answer: GitHub times the deployment out; say so loudly.
    log.error(
      { callback: request.callbackUrl },
      'deployment_protection_rule without a usable deployment_callback_url',
    );
    return 'rejected';
  }

  let decision: DeploymentDecision;
  try {
    const org = await orgDefaults(github, repository.owner);
    const settings = org.settings;
    // The gate reads its past approvals from the store it records to: the next change set starts there.
    const store = (log: LogSettings) => appAuditStore(github, repository, log, settings);
    decision = commit
      ? await gateDeployment(
          github,
          repository,
          { commit, environment },
          { today: request.today, history: store },
        )
      : { approved: false, reason: 'the event names no commit to deploy' };
    const recorded = await recordDeployment(store(decision.evaluation?.policy ?? APP_AUDIT_LOG), decision, {
      time: new Date().toISOString(),
      actor: request.actor,
      subject: { repository: `${repository.owner}/${repository.repo}`, commit: commit ?? '', environment },
    });
    if (recorded.problem) log.error(recorded.problem);
    decision = recorded.decision;
  } catch (error) {
    // The organisation's settings could not be read: no trusted place to judge or record in, so no approval.
    const reason = `aims-gate could not decide, so it fails closed: ${(error as Error).message}`;
    log.error({ err: error }, reason);
    decision = { approved: false, reason };
  }

  const state = decision.approved ? 'approved' : 'rejected';
  await github.request('POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule', {
    ...repository,
    run_id: Number(runId),
    environment_name: environment,
    state,
    comment: comment(`aims-gate ${state} the deployment to ${environment}: ${decision.reason}`),
  });
  log.info({ environment, commit, state }, decision.reason);
  return state;
}

function comment(text: string): string {
  return text.length <= MAX_COMMENT ? text : `${text.slice(0, MAX_COMMENT - 1)}…`;
}

export interface ReviewRequest {
  github: GitHub;
  repository: Repository;
  state: 'approved' | 'rejected';
  environments: string[];
  commit: string;
  reviewer: { login: string; id?: number };
  comment?: string;
  workflowRun: number;
  log: Logger;
}

/** A human environment reviewer's decision (`deployment_review`), so the log shows every gate decision. */
export async function recordDeploymentReview(request: ReviewRequest): Promise<void> {
  const { github, repository } = request;
  const settings = (await orgDefaults(github, repository.owner)).settings;
  const store = appAuditStore(github, repository, APP_AUDIT_LOG, settings);
  const time = new Date().toISOString();
  const decision = {
    approved: request.state === 'approved',
    reason: request.comment || `${request.state} by an environment reviewer`,
    by: 'environment reviewer',
    workflowRun: request.workflowRun,
  };
  await recordAll(
    store!,
    request.environments.map((environment) =>
      deploymentEvent(decision, {
        time,
        actor: request.reviewer,
        subject: {
          repository: `${repository.owner}/${repository.repo}`,
          commit: request.commit,
          environment,
        },
      }),
    ),
  );
}
