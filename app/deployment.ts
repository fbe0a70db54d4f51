import type { Logger } from 'pino';
import type { AuditEntry } from '../src/audit/entry.js';
import { deploymentEvent } from '../src/audit/events.js';
import { type Signer, signedBy } from '../src/audit/signature.js';
import { recordOnce } from '../src/audit/store.js';
import { attestationPath } from '../src/export/gate.js';
import { repositoryFacts } from '../src/github/change-set.js';
import { publishAttestation, publishCheckpoint } from '../src/github/checkpoint-status.js';
import { decideDeployment, extendsFrom, type LogSettings } from '../src/github/evaluate.js';
import type { GitHub } from '../src/github/octokit.js';
import type { Repository } from '../src/github/pull-request.js';
import { GitHubSource } from '../src/github/source.js';
import { loadPolicy } from '../src/policy/load.js';
import type { WorkQueue } from './queue.js';
import { APP_AUDIT_LOG, appAuditStore, orgDefaults } from './settings.js';
import type { ProtectionTask, ReviewTask } from './tasks.js';

/** GitHub keeps a protection rule's comment to 1,024 characters. */
const MAX_COMMENT = 1024;
/** How long the decision given for a workflow run is kept: GitHub waits at most 30 days for an answer. */
const DECISION_SECONDS = 30 * 24 * 3600;

export interface ProtectionRequest {
  github: GitHub;
  task: ProtectionTask;
  log: Logger;
  today: string;
  /** Where the decision is kept between tries, so a retry repeats it instead of deciding (and logging) again. */
  ledger: Pick<WorkQueue, 'remember' | 'recall'>;
  /** The App's signing key: its decisions are signed, or no gate trusts them later. */
  signer?: Signer | undefined;
}

interface Answer {
  state: 'approved' | 'rejected';
  comment: string;
  /** The log's checkpoint after the decision's entry: published on the commit once GitHub has its answer. */
  checkpoint?: { seq: number; hash: string };
  /** An approval's attestation, by the digest its entry records and its file beside the entry: published too. */
  attestation?: { environment: string; digest: string; url?: string };
}

/**
 * The custom deployment protection rule: evaluates the deployed commit for its environment and answers
 * approved or rejected, with a comment that names what is missing. Fails closed: whatever goes wrong, the
 * answer is a rejection with the reason, never silence (GitHub would otherwise wait 30 days). One decision
 * per workflow run and environment, one audit entry for it: the decision is kept before it is posted, and a
 * retried task (the post failed, the process died) posts the kept decision again.
 */
export async function answerProtectionRule(request: ProtectionRequest): Promise<Answer['state']> {
  const { github, task, log } = request;
  const repository = { owner: task.owner, repo: task.repo };
  // Kept per deployment: GitHub makes one for each attempt of the job, so a re-run is decided again. A task
  // that names none (reconciliation found no deployment) is decided each time.
  const key =
    task.deployment === undefined
      ? undefined
      : `decision ${task.owner}/${task.repo} run ${task.run} deployment ${task.deployment} ${task.environment}`.toLowerCase();
  const kept = key ? await request.ledger.recall(key) : undefined;
  const answer: Answer = kept ? JSON.parse(kept) : await decide(request);
  if (key && !kept) {
    // Kept for a retry of the post; if it cannot be kept, the answer is posted all the same (a retry of the
    // whole task, which would decide again, is what keeping it avoids).
    await request.ledger
      .remember(key, JSON.stringify(answer), DECISION_SECONDS)
      .catch((error) => log.error({ err: error }, 'could not keep the decision; posting it'));
  } else
    log.info({ environment: task.environment, state: answer.state }, 'posting the decision already made');
  const state = await post(request, answer);
  // After the answer, not before it: a deployment waits on the answer, never on a commit status.
  if (answer.checkpoint && task.commit)
    await publishCheckpoint(github, repository, task.commit, answer.checkpoint, (problem) =>
      log.warn(problem),
    );
  if (answer.attestation && task.commit)
    await publishAttestation(github, repository, task.commit, answer.attestation, (problem) =>
      log.warn(problem),
    );
  return state;
}

/**
 * Posts the answer once. The Octokit retries a 5xx and waits out a rate limit (app/octokit.ts); what still
 * fails, fails the task, and the queue's retry posts the kept decision again. One retry layer per error: a
 * loop here multiplied the plugin's tries (a 5xx was sent about 24 times). GitHub's refusal of the answer
 * itself (the run was answered or cancelled) is final.
 */
async function post(request: ProtectionRequest, answer: Answer): Promise<Answer['state']> {
  const { github, task, log } = request;
  const repository = { owner: task.owner, repo: task.repo };
  try {
    await github.request('POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule', {
      ...repository,
      run_id: task.run,
      environment_name: task.environment,
      state: answer.state,
      comment: answer.comment,
    });
    log.info(
      { environment: task.environment, commit: task.commit, state: answer.state, delivered: true },
      answer.comment,
    );
    return answer.state;
  } catch (error) {
    const status = (error as { status?: number }).status ?? 0;
    const final = status >= 400 && status < 500 && status !== 429 && status !== 403;
    log.error(
      { err: error, environment: task.environment, state: answer.state, delivered: false },
      final ? 'GitHub refused the protection-rule answer' : 'could not post the protection-rule answer',
    );
    if (final) return answer.state;
    throw error; // the queue retries the task, which posts the kept decision
  }
}

/** The gate's decision, recorded in the audit log: any error is a rejection that says why. */
async function decide(request: ProtectionRequest): Promise<Answer> {
  const { github, task, log } = request;
  const repository = { owner: task.owner, repo: task.repo };
  const { environment } = task;
  const { decision, checkpoint, problem, error, attestation, attestationProblem, earlier, store } =
    await decideDeployment(github, repository, {
      commit: task.commit,
      environment,
      prepare: async () => {
        // The organisation's settings say where the log is: unreadable, the gate fails closed.
        const { settings } = await orgDefaults(github, repository.owner);
        // The gate reads its past approvals from the store it records to: the next change set starts there.
        const store = (policy: LogSettings | undefined) =>
          appAuditStore(github, repository, policy ?? APP_AUDIT_LOG, settings);
        return { options: { today: request.today, history: store }, store };
      },
      record: {
        time: new Date().toISOString(),
        actor: task.actor,
        writer: `aims-gate App, installation ${task.installation}`,
        workflowRun: task.run,
        ...(task.deployment !== undefined ? { deployment: task.deployment } : {}),
        ...(request.signer ? { signer: request.signer } : {}),
      },
    });
  if (problem) log.error(problem);
  if (error) log.error({ err: error }, decision.reason);
  if (attestationProblem) log.error(attestationProblem);
  const state = decision.approved ? 'approved' : 'rejected';
  if (earlier) log.info({ environment, seq: earlier.seq }, 'the decision an earlier try recorded stands');
  // The attestation an earlier try's decision names, kept beside it in the same commit.
  const digest = attestation?.digests.attestation ?? earlierAttestation(earlier);
  const url = attestation
    ? attestation.urls?.attestation
    : digest && store?.fileUrl?.(attestationPath(digest));
  const attached = digest && { environment: environment.trim(), digest, ...(url ? { url } : {}) };
  return {
    state,
    comment: comment(
      `aims-gate ${state} the deployment to ${environment}: ${decision.reason}`,
      // Where the reviewers of the run look: the attestation, kept whole when the reason is cut.
      attached ? ` Attestation ${attached.digest}${attached.url ? `: ${attached.url}` : ''}` : '',
    ),
    ...(checkpoint ? { checkpoint } : {}),
    ...(attached ? { attestation: attached } : {}),
  };
}

const earlierAttestation = (entry: AuditEntry | undefined) =>
  entry?.type === 'deployment.approved' && typeof entry.details.attestation === 'string'
    ? entry.details.attestation
    : undefined;

/** The comment, its text cut to GitHub's 1,024 characters and `tail` kept whole. */
function comment(text: string, tail = ''): string {
  const room = MAX_COMMENT - tail.length;
  return `${text.length <= room ? text : `${text.slice(0, room - 1)}…`}${tail}`;
}

export interface ReviewRequest {
  github: GitHub;
  task: ReviewTask;
  log: Logger;
  signer?: Signer | undefined;
}

/**
 * A human environment reviewer's decision (`deployment_review`), so the log shows every gate decision: in
 * the same log as the gate's own decisions, the one the config on the default branch names (the trusted
 * revision the gate reads too), or nowhere when it says `audit-log: none`. With no config there, the App's
 * branch, as the gate's rejection for want of a config is recorded.
 */
export async function recordDeploymentReview(request: ReviewRequest): Promise<void> {
  const { github, task } = request;
  const repository = { owner: task.owner, repo: task.repo };
  const settings = (await orgDefaults(github, repository.owner)).settings;
  const store = appAuditStore(github, repository, await configuredLog(github, repository), settings);
  if (!store) {
    request.log.info({ state: task.state }, 'audit-log: none, so the reviewer decision is not recorded');
    return;
  }
  const time = new Date().toISOString();
  const decision = {
    approved: task.state === 'approved',
    reason: task.comment || `${task.state} by an environment reviewer`,
    by: 'environment reviewer',
    workflowRun: task.run,
    ...(task.attempt !== undefined ? { runAttempt: task.attempt } : {}),
    writer: `aims-gate App, installation ${task.installation}, from a deployment_review webhook`,
  };
  const type = decision.approved ? 'deployment.approved' : 'deployment.rejected';
  // A process killed after its write leaves the task to another: the entries it wrote stand for the decision.
  const recorded = (entry: AuditEntry) =>
    entry.type === type &&
    entry.details.by === decision.by &&
    entry.details.workflowRun === task.run &&
    entry.details.runAttempt === task.attempt &&
    entry.actor.login === task.reviewer.login &&
    entry.subject.commit === task.commit &&
    task.environments.includes(entry.subject.environment ?? '') &&
    signedBy(entry, request.signer);
  const { checkpoint } = await recordOnce(
    store,
    task.environments.map((environment) =>
      deploymentEvent(decision, {
        time,
        actor: task.reviewer,
        subject: {
          repository: `${repository.owner}/${repository.repo}`,
          commit: task.commit,
          environment,
        },
      }),
    ),
    // Without the App's key nothing in the log can be told to be its own: every try records.
    request.signer ? recorded : undefined,
    request.signer ? { signer: request.signer } : undefined,
  );
  if (checkpoint)
    await publishCheckpoint(github, repository, task.commit, checkpoint, (problem) =>
      request.log.warn(problem),
    );
}

/** The audit log the config on the default branch names (with its release branches); the App's without one. */
async function configuredLog(github: GitHub, repository: Repository): Promise<LogSettings> {
  const facts = await repositoryFacts(github, repository);
  const trusted = new GitHubSource(
    github,
    { ...repository, commit: facts.defaultHead },
    `the default branch ${facts.defaultBranch}`,
  );
  const policy = await loadPolicy(trusted, undefined, { extendsFrom: extendsFrom(github, repository.owner) });
  return policy.configPath
    ? { auditLog: policy.auditLog, releaseBranches: policy.release.branches ?? [] }
    : APP_AUDIT_LOG;
}
