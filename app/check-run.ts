import type { Logger } from 'pino';
import { evaluationEvents } from '../src/audit/events.js';
import { recordAll } from '../src/audit/store.js';
import { ConfigError } from '../src/errors.js';
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
import { appAuditStore, orgDefaults } from './settings.js';

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
  repository: Repository;
  pr: PullRequestFacts;
  log: Logger;
  today: string;
  /** Add what each rule behind a finding means (the "Explain" button). */
  explain?: boolean;
  /** Who or what asked, for the audit log. */
  actor: { login: string; id?: number };
}

/**
 * One check run for one pull-request head: created in progress at once, then completed with a conclusion,
 * a summary (per system, per control, approvals) and annotations, most severe first. It never stays in
 * progress: an error completes it with the reason. Config comes from the base branch, or the organisation's
 * defaults when the repository has none and the organisation says so.
 */
export async function runCheck(request: CheckRequest): Promise<void> {
  const { github, repository, pr, log } = request;
  const base = new GitHubSource(
    github,
    { ...repository, commit: pr.base.sha },
    `the base branch ${pr.base.ref}`,
  );
  const [org, config] = await Promise.all([
    orgDefaults(github, repository.owner),
    base.read(CONFIG_PATH, LIMITS.maxFileBytes),
  ]);
  const configured = !('missing' in config);
  const without = org.settings['without-config'] ?? 'neutral';
  if (!configured && without === 'skip') {
    log.info('no .github/aims-gate.yml and the organisation skips such repositories: no check');
    return;
  }

  const { data: run } = await github.rest.checks.create({
    ...repository,
    name: CHECK_NAME,
    head_sha: pr.head.sha,
    status: 'in_progress',
    started_at: new Date().toISOString(),
  });
  const complete = (
    conclusion: 'success' | 'failure' | 'neutral',
    title: string,
    summary: string,
    text?: string,
  ) =>
    github.rest.checks.update({
      ...repository,
      check_run_id: run.id,
      status: 'completed',
      conclusion,
      completed_at: new Date().toISOString(),
      output: { title, summary: clip(summary), ...(text ? { text: clip(text) } : {}) },
      actions: ACTIONS,
    });

  try {
    if (!configured && without !== 'org-defaults') {
      await complete('neutral', 'aims-gate is not set up here', HOW_TO_START);
      return;
    }
    const { evaluation, approval } = await checkPullRequest(github, repository, pr, {
      today: request.today,
      policySource: configured ? base : org.source!, // the base's config is already read
    });
    const title = verdictLine(evaluation);
    const summary = `${renderMarkdown(evaluation)}\n${renderApprovals(approval, '### Approvals (shown, not blocking on pull requests)')}`;
    const text = request.explain ? renderExplanations(evaluation) : undefined;
    await annotate(github, repository, run.id, evaluation, title, summary);
    await complete(evaluation.verdict === 'pass' ? 'success' : 'failure', title, summary, text);
    log.info(
      {
        verdict: evaluation.verdict,
        systems: evaluation.systems.length,
        findings: evaluation.findings.length,
      },
      title,
    );
    await recordEvaluation(request, evaluation, org.settings);
  } catch (error) {
    const configError = error instanceof ConfigError;
    const message = configError ? error.message : (error as Error).message;
    log.error({ err: error }, 'evaluation failed');
    await complete(
      'failure',
      configError ? 'aims-gate: configuration error' : 'aims-gate could not evaluate this pull request',
      configError
        ? `The configuration in the base branch cannot be used:\n\n\`\`\`\n${message}\n\`\`\``
        : `aims-gate stopped before a verdict: ${message}\n\nUse **Re-run** to try again; if this persists, the App's logs have the details.`,
    );
  }
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
  evaluation: Evaluation,
  settings: Parameters<typeof appAuditStore>[3],
): Promise<void> {
  const { github, repository, pr } = request;
  const store = appAuditStore(github, repository, evaluation.policy, settings);
  if (!store) return;
  const drafts = evaluationEvents(evaluation, {
    time: new Date().toISOString(),
    actor: request.actor,
    subject: {
      repository: `${repository.owner}/${repository.repo}`,
      commit: pr.head.sha,
      ref: pr.head.ref,
      pullRequest: pr.number,
    },
  });
  try {
    await recordAll(store, drafts);
  } catch (error) {
    // The check stands; the log's gap is reported where an operator looks.
    request.log.error({ err: error, store: store.label }, 'could not record the evaluation in the audit log');
  }
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
