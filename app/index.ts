import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApplicationFunctionOptions, Context, Probot } from 'probot';
import type { PullRequestFacts } from '../src/github/evaluate.js';
import type { GitHub } from '../src/github/octokit.js';
import { runCheck } from './check-run.js';
import { answerProtectionRule, recordDeploymentReview } from './deployment.js';
import { LatestQueue } from './queue.js';

export interface AppOptions {
  /** Evaluations at a time, across all repositories. */
  concurrency?: number;
  /** Pull requests and deployments that may wait; beyond that a webhook is refused and can be redelivered. */
  capacity?: number;
  /** YYYY-MM-DD to evaluate as of (tests); today otherwise. */
  today?: () => string;
}

/**
 * The aims-gate GitHub App. Webhook handlers only enqueue: the evaluation runs after GitHub has had its
 * answer, one at a time per pull request, the latest head winning over a burst of events.
 */
export function aimsGateApp({ concurrency = 4, capacity = 1000, today = isoToday }: AppOptions = {}) {
  const queue = new LatestQueue({
    concurrency,
    capacity,
    // Errors the task did not turn into a check-run or protection-rule answer: logged where operators look.
    onError: (key, error) => log.error({ err: error, key }, `evaluation of ${key} failed`),
  });
  let log = { error: (_fields: object, message: string) => console.error(`aims-gate: ${message}`) };

  const app = (app: Probot, { addHandler }: Partial<ApplicationFunctionOptions> = {}) => {
    log = { error: (fields: object, message: string) => app.log.error(fields, message) };
    // Without an HTTP server (probot.receive, a serverless adapter) Probot refuses routes: none are needed.
    if (addHandler) {
      try {
        addHandler(health);
      } catch {}
    }

    app.on(
      [
        'pull_request.opened',
        'pull_request.synchronize',
        'pull_request.reopened',
        'pull_request.ready_for_review',
        'pull_request_review.submitted',
        'pull_request_review.dismissed',
      ],
      async (context) => check(context, context.payload.pull_request),
    );
    app.on('check_run.rerequested', async (context) =>
      recheck(context, context.payload.check_run.pull_requests),
    );
    app.on('check_suite.rerequested', async (context) =>
      recheck(context, context.payload.check_suite.pull_requests),
    );
    app.on('check_run.requested_action', async (context) => {
      // GitHub sends requested_action only to the App that made the check run.
      const explain = context.payload.requested_action?.identifier === 'explain';
      await recheck(context, context.payload.check_run.pull_requests, explain);
    });
    app.on('deployment_protection_rule.requested', async (context) => {
      const { payload } = context;
      const repository = context.repo();
      const key = `${repository.owner}/${repository.repo}@${payload.deployment_callback_url}`;
      queue.schedule(key, async () => {
        await answerProtectionRule({
          github: octokit(context),
          repository,
          environment: payload.environment ?? '',
          commit: payload.deployment?.sha ?? (payload as { sha?: string }).sha,
          callbackUrl: payload.deployment_callback_url,
          log: logFor(context),
          today: today(),
          actor: { login: payload.sender.login, id: payload.sender.id },
        });
      });
    });
    app.on(['deployment_review.approved', 'deployment_review.rejected'], async (context) => {
      const { payload } = context;
      await recordDeploymentReview({
        github: octokit(context),
        repository: context.repo(),
        state: payload.action,
        environments: (payload.workflow_job_runs ?? []).flatMap((run) =>
          run.environment ? [run.environment] : [],
        ),
        commit: payload.workflow_run?.head_sha ?? '',
        reviewer: payload.approver?.login
          ? { login: payload.approver.login, ...(payload.approver.id ? { id: payload.approver.id } : {}) }
          : { login: payload.sender.login },
        ...(payload.comment ? { comment: payload.comment } : {}),
        workflowRun: payload.workflow_run?.id ?? 0,
        log: logFor(context),
      });
    });
    app.on('installation', async (context) => {
      const account = context.payload.installation.account;
      context.log.info(
        {
          action: context.payload.action,
          account: account && 'login' in account ? account.login : account?.slug,
        },
        'installation',
      );
    });
  };

  function health(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'GET' || req.url !== '/health') return false;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'ok', queue: queue.size }));
    return true;
  }

  /**
   * Enqueues a check of a pull request's current head; a later event for the same pull request replaces it.
   * The task keeps only the facts it needs, not the event: a thousand waiting must stay small.
   */
  function check(context: Context, pr: PullRequestFacts, explain = false) {
    const repository = context.repo();
    const key = `${repository.owner}/${repository.repo}#${pr.number}`;
    const request = {
      github: octokit(context),
      repository,
      pr: {
        number: pr.number,
        base: { sha: pr.base.sha, ref: pr.base.ref },
        head: { sha: pr.head.sha, ref: pr.head.ref },
        user: pr.user ? { login: pr.user.login } : null,
      },
      log: logFor(context),
      explain,
      actor: {
        login: context.payload.sender?.login ?? 'aims-gate',
        ...(context.payload.sender ? { id: context.payload.sender.id } : {}),
      },
    };
    const fresh = queue.schedule(key, () => runCheck({ ...request, today: today() }));
    if (!fresh) context.log.debug({ pullRequest: pr.number }, 'coalesced with a waiting evaluation');
  }

  /** Re-runs for the pull requests a check run or suite belongs to: their author comes from the API. */
  async function recheck(context: Context, prs: { number: number }[], explain = false) {
    for (const { number } of prs) {
      const { data } = await octokit(context).rest.pulls.get({ ...context.repo(), pull_number: number });
      check(context, data, explain);
    }
  }

  return Object.assign(app, { queue });
}

/** Probot's Octokit has the same REST, pagination and GraphQL surface the adapters use. */
const octokit = (context: Context) => context.octokit as unknown as GitHub;

/** Every line carries the delivery id (from Probot) and the repository. */
const logFor = (context: Context) =>
  context.log.child({
    repository: (context.payload as { repository?: { full_name: string } }).repository?.full_name,
  });

const isoToday = () => new Date().toISOString().slice(0, 10);

export default aimsGateApp();
