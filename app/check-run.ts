import type { Logger } from 'pino';
import type { Checkpoint } from '../src/audit/entry.js';
import { evaluationEvents } from '../src/audit/events.js';
import { recordAll } from '../src/audit/store.js';
import { ConfigError } from '../src/errors.js';
import { publishCheckpoint } from '../src/github/checkpoint-status.js';
import { checkPullRequest, type PullRequestFacts } from '../src/github/evaluate.js';
import type { GitHub } from '../src/github/octokit.js';
import type { Repository } from '../src/github/pull-request.js';
import { GitHubSource } from '../src/github/source.js';
import { LIMITS } from '../src/limits.js';
import { CONFIG_PATH } from '../src/policy/load.js';
import { annotationsOf } from '../src/report/annotations.js';
import { renderApprovals } from '../src/report/approvals.js';
import { renderExplanations, renderMarkdown } from '../src/report/markdown.js';
import { verdictLine } from '../src/report/words.js';
import type { Evaluation } from '../src/types.js';
import { appAuditStore, type OrgDefaults, orgDefaults } from './settings.js';
import type { CheckTask } from './tasks.js';

export const CHECK_NAME = 'aims-gate';
/** GitHub takes at most 50 annotations per request, and a summary of at most 65,535 characters. */
const ANNOTATIONS_PER_REQUEST = 50;
const MAX_SUMMARY = 65_535;

/** The buttons on the check run ("requested_action" webhooks carry the identifier back). */
export const ACTIONS = [
  { label: 'Re-run', description: 'Evaluate this pull request again', identifier: 'rerun' },
  { label: 'Explain', description: 'Explain the rules behind the findings', identifier: 'explain' },
];

const LEVEL = { error: 'failure', warning: 'warning', notice: 'notice' } as const;

export interface CheckRequest {
  github: GitHub;
  task: CheckTask;
  log: Logger;
  today: string;
  /** A retry after a failure: a run an earlier try left in progress on the head is completed, not left. */
  retry?: boolean;
}

/**
 * One check run for one pull request's current head, read from GitHub when the task starts: a late event
 * for an older head checks the newest one. Created in progress, then completed with a conclusion, a summary
 * (per system, per control, approvals) and annotations, most severe first. Never silent: a configuration
 * that cannot be used, or a GitHub failure before or during the evaluation, completes a check run that says
 * so. Only when GitHub takes no check run at all does the task fail, and the queue retries it. Config comes
 * from the base branch, or the organisation's defaults when the repository has none and it says so.
 */
/** What a check came to: its conclusion, `skipped` (no check run), or `error` (completed saying why). */
export type CheckOutcome = 'success' | 'failure' | 'neutral' | 'skipped' | 'error';

export async function runCheck(request: CheckRequest): Promise<CheckOutcome> {
  const { github, task, log } = request;
  const repository = { owner: task.owner, repo: task.repo };
  let pr: PullRequestFacts & { state: string };
  try {
    ({ data: pr } = await github.rest.pulls.get({ ...repository, pull_number: task.pullRequest }));
  } catch (error) {
    const run = await startRun(github, repository, task.head, request.retry);
    await run.complete(
      'failure',
      'aims-gate could not read this pull request',
      couldNot(`GitHub did not give the pull request: ${(error as Error).message}`),
    );
    throw error; // the queue tries again; a later try completes a new run on the current head
  }
  if (pr.state !== 'open') {
    log.info({ pullRequest: pr.number, state: pr.state }, 'the pull request is no longer open: no check');
    return 'skipped';
  }

  let settings: OrgDefaults | Error;
  let config: Awaited<ReturnType<GitHubSource['read']>> | Error;
  const base = new GitHubSource(
    github,
    { ...repository, commit: pr.base.sha },
    `the base branch ${pr.base.ref}`,
  );
  [settings, config] = await Promise.all([
    orgDefaults(github, repository.owner).catch((error: Error) => error),
    base.read(CONFIG_PATH, LIMITS.maxFileBytes).catch((error: Error) => error),
  ]);
  const configured = !(config instanceof Error) && !('missing' in config);
  const org = settings instanceof Error ? undefined : settings;
  const without = org?.settings['without-config'] ?? 'neutral';
  if (org && !configured && !(config instanceof Error) && without === 'skip') {
    log.info('no .github/aims-gate.yml and the organisation skips such repositories: no check');
    return 'skipped';
  }

  const run = await startRun(github, repository, pr.head.sha, request.retry);
  try {
    if (settings instanceof Error) throw settings;
    if (config instanceof Error) throw config;
    if (!configured && without !== 'org-defaults') {
      await run.complete('neutral', 'aims-gate is not set up here', HOW_TO_START);
      return 'neutral';
    }
    const { evaluation, approval } = await checkPullRequest(github, repository, pr, {
      today: request.today,
      policySource: configured ? base : settings.source!, // the base's config is already read
    });
    const title = verdictLine(evaluation);
    const summary = `${renderMarkdown(evaluation)}\n${renderApprovals(approval, '### Approvals (shown, not blocking on pull requests)')}`;
    const text = task.explain ? renderExplanations(evaluation) : undefined;
    await annotate(github, repository, run.id, evaluation, title, summary);
    await run.complete(evaluation.verdict === 'pass' ? 'success' : 'failure', title, summary, text);
    log.info(
      {
        verdict: evaluation.verdict,
        systems: evaluation.systems.length,
        findings: evaluation.findings.length,
      },
      title,
    );
    await recordEvaluation(request, pr, evaluation, settings.settings);
    return evaluation.verdict === 'pass' ? 'success' : 'failure';
  } catch (error) {
    const configError = error instanceof ConfigError;
    // A ConfigError names the file, the line and the fix.
    const message = configError ? error.toString() : (error as Error).message;
    log.error({ err: error }, 'evaluation failed');
    await run.complete(
      'failure',
      configError ? 'aims-gate: configuration error' : 'aims-gate could not evaluate this pull request',
      configError
        ? `The configuration cannot be used, so nothing was checked:\n\n\`\`\`\n${message}\n\`\`\`\n\nFix it on the base branch (or in the organisation's \`.github\` repository), then use **Re-run**.`
        : couldNot(message),
    );
    return 'error';
  }
}

const couldNot = (message: string) =>
  `aims-gate stopped before a verdict: ${message}\n\nUse **Re-run** to try again; if this persists, the App's logs have the details.`;

/**
 * A check run in progress on `head`, and the one way to complete it. On a retry, the run an earlier try
 * made and could not complete is taken up again, so none stays in progress for ever.
 */
async function startRun(github: GitHub, repository: Repository, head: string, retry = false) {
  const left = retry
    ? (
        await github.rest.checks.listForRef({
          ...repository,
          ref: head,
          check_name: CHECK_NAME,
          status: 'in_progress',
          filter: 'latest',
        })
      ).data.check_runs[0]
    : undefined;
  const { data } = left
    ? { data: left }
    : await github.rest.checks.create({
        ...repository,
        name: CHECK_NAME,
        head_sha: head,
        status: 'in_progress',
        started_at: new Date().toISOString(),
      });
  return {
    id: data.id,
    complete: (
      conclusion: 'success' | 'failure' | 'neutral',
      title: string,
      summary: string,
      text?: string,
    ) =>
      github.rest.checks.update({
        ...repository,
        check_run_id: data.id,
        status: 'completed',
        conclusion,
        completed_at: new Date().toISOString(),
        output: { title, summary: clip(summary), ...(text ? { text: clip(text) } : {}) },
        actions: ACTIONS,
      }),
  };
}

/** Annotations in batches of 50 while the run is in progress; the completing update then sets the conclusion. */
async function annotate(
  github: GitHub,
  repository: Repository,
  runId: number,
  evaluation: Evaluation,
  title: string,
  summary: string,
): Promise<void> {
  const annotations = annotationsOf(evaluation, Number.POSITIVE_INFINITY)
    .shown.filter((a) => a.file)
    .map((a) => ({
      path: a.file!,
      start_line: a.line ?? 1,
      end_line: a.line ?? 1,
      ...(a.column ? { start_column: a.column, end_column: a.column } : {}),
      annotation_level: LEVEL[a.level],
      title: a.title,
      message: a.message,
    }));
  for (let i = 0; i < annotations.length; i += ANNOTATIONS_PER_REQUEST) {
    await github.rest.checks.update({
      ...repository,
      check_run_id: runId,
      output: {
        title,
        summary: clip(summary),
        annotations: annotations.slice(i, i + ANNOTATIONS_PER_REQUEST),
      },
    });
  }
}

async function recordEvaluation(
  request: CheckRequest,
  pr: PullRequestFacts,
  evaluation: Evaluation,
  settings: Parameters<typeof appAuditStore>[3],
): Promise<void> {
  const { github, task } = request;
  const repository = { owner: task.owner, repo: task.repo };
  const store = appAuditStore(github, repository, evaluation.policy, settings);
  if (!store) return;
  const drafts = evaluationEvents(evaluation, {
    time: new Date().toISOString(),
    actor: task.actor,
    subject: {
      repository: `${repository.owner}/${repository.repo}`,
      commit: pr.head.sha,
      ref: pr.head.ref,
      pullRequest: pr.number,
    },
  });
  let checkpoint: Checkpoint | undefined;
  try {
    checkpoint = await recordAll(store, drafts);
  } catch (error) {
    // The check stands; the log's gap is reported where an operator looks.
    request.log.error({ err: error, store: store.label }, 'could not record the evaluation in the audit log');
  }
  if (checkpoint)
    await publishCheckpoint(github, repository, pr.head.sha, checkpoint, (problem) =>
      request.log.warn(problem),
    );
}

function clip(text: string): string {
  return text.length <= MAX_SUMMARY
    ? text
    : `${text.slice(0, MAX_SUMMARY - 60)}\n\n… cut here: GitHub shows at most 65,535 characters.`;
}

const HOW_TO_START = `This repository has no \`.github/aims-gate.yml\`, so aims-gate checked nothing.

To start, in a clone of the repository:

\`\`\`sh
npx aims-gate init models/<your-model>   # a model card, risk assessment and impact assessment to fill in, and a config
npx aims-gate check                      # the same checks, locally
\`\`\`

Commit \`.github/aims-gate.yml\` to the default branch: pull requests after that are checked against it.
(An organisation can set \`app: { without-config: skip }\` in its \`.github\` repository to hide this check.)`;
