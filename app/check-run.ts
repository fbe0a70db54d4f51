import type { Logger } from 'pino';
import type { Checkpoint } from '../src/audit/entry.js';
import { evaluationEvents } from '../src/audit/events.js';
import type { Signer } from '../src/audit/signature.js';
import { recordAll } from '../src/audit/store.js';
import { ConfigError } from '../src/errors.js';
import { bomAttachment, digestOf, judgedBom } from '../src/export/gate.js';
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
import type { WorkQueue } from './queue.js';
import { appAuditStore, type OrgDefaults, orgDefaults } from './settings.js';
import { type CheckTask, taskKey } from './tasks.js';

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
  /** The App's signing key: the evaluations it records are signed. */
  signer?: Signer | undefined;
  /** Where the queue keeps small facts: that a try of this task recorded its evaluation already. */
  ledger?: Pick<WorkQueue, 'remember' | 'recall'>;
}

/** How long a recorded evaluation is remembered for the retries of its task (the queue's last is within it). */
const RECORDED_SECONDS = 24 * 60 * 60;

/**
 * One check run for one pull request's current head, read from GitHub when the task starts: a late event
 * for an older head checks the newest one. Created once the verdict is known, already completed, with a
 * conclusion, a summary (per system, per control, approvals) and its first 50 annotations, most severe
 * first: one write per evaluation, so an installation's writes, paced a second apart, allow about one
 * evaluation a second (creating it in progress and completing it later took two). Nothing is ever left
 * in progress. A task from a sweep (no delivery) finds a completed run on the head and does nothing. Never silent: a configuration
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
    const group = task.mergeGroup;
    // In a merge queue: the commit judged is the group's head, against the group's base.
    if (group)
      pr = {
        ...pr,
        base: { ...pr.base, sha: group.base, ref: group.baseRef },
        head: { ...pr.head, sha: task.head, ref: group.headRef },
      };
  } catch (error) {
    await complete(
      github,
      repository,
      task.head,
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
  // Queued by a sweep: another process's sweep, or a webhook meanwhile, may have checked this head already.
  if (!task.delivery && (await checked(github, repository, pr.head.sha))) {
    log.info({ head: pr.head.sha }, 'already checked on this head: nothing to do');
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

  const head = pr.head.sha;
  try {
    if (settings instanceof Error) throw settings;
    if (config instanceof Error) throw config;
    if (!configured && without !== 'org-defaults') {
      await complete(github, repository, head, 'neutral', 'aims-gate is not set up here', HOW_TO_START);
      return 'neutral';
    }
    const { evaluation, approval, sources } = await checkPullRequest(github, repository, pr, {
      today: request.today,
      policySource: configured ? base : settings.source!, // the base's config is already read
    });
    const bom = await judgedBom({
      source: sources.head,
      policySource: sources.policy,
      evaluation,
      repository: `${repository.owner}/${repository.repo}`,
      commit: head,
      ...(configured ? { policyCommit: pr.base.sha } : {}),
      today: request.today,
    }).then(
      (made) => made.bom,
      (error: Error) => {
        log.warn({ err: error }, 'could not make the BOM of this head; the check goes on without it');
        return undefined;
      },
    );
    // Recorded before the check run is completed, so that the summary links only a BOM the log branch holds.
    const kept = await recordEvaluation(request, pr, evaluation, settings.settings, bom);
    const title = verdictLine(evaluation);
    const summary = `${renderMarkdown(evaluation)}\n${renderApprovals(approval, '### Approvals (shown, not blocking on pull requests)')}${bom ? bomSection(bom, kept) : ''}`;
    const text = task.explain ? renderExplanations(evaluation) : undefined;
    const conclusion = evaluation.verdict === 'pass' ? 'success' : 'failure';
    await complete(github, repository, head, conclusion, title, summary, text, annotationsFor(evaluation));
    log.info(
      {
        verdict: evaluation.verdict,
        systems: evaluation.systems.length,
        findings: evaluation.findings.length,
      },
      title,
    );
    return evaluation.verdict === 'pass' ? 'success' : 'failure';
  } catch (error) {
    const configError = error instanceof ConfigError;
    // A ConfigError names the file, the line and the fix.
    const message = configError ? error.toString() : (error as Error).message;
    log.error({ err: error }, 'evaluation failed');
    await complete(
      github,
      repository,
      head,
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

type Annotation = {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number;
  end_column?: number;
  annotation_level: 'failure' | 'warning' | 'notice';
  title: string;
  message: string;
};

/**
 * The check run on `head`, created completed: one write. Annotations past GitHub's 50 a request are added
 * by updates of the completed run (GitHub appends them), a write for each further 50.
 */
async function complete(
  github: GitHub,
  repository: Repository,
  head: string,
  conclusion: 'success' | 'failure' | 'neutral',
  title: string,
  summary: string,
  text?: string,
  annotations: Annotation[] = [],
): Promise<void> {
  const output = { title, summary: clip(summary) };
  const now = new Date().toISOString();
  const { data } = await github.rest.checks.create({
    ...repository,
    name: CHECK_NAME,
    head_sha: head,
    status: 'completed',
    conclusion,
    completed_at: now,
    output: {
      ...output,
      ...(text ? { text: clip(text) } : {}),
      ...(annotations.length ? { annotations: annotations.slice(0, ANNOTATIONS_PER_REQUEST) } : {}),
    },
    actions: ACTIONS,
  });
  for (let i = ANNOTATIONS_PER_REQUEST; i < annotations.length; i += ANNOTATIONS_PER_REQUEST)
    await github.rest.checks.update({
      ...repository,
      check_run_id: data.id,
      output: { ...output, annotations: annotations.slice(i, i + ANNOTATIONS_PER_REQUEST) },
    });
}

/** Whether this App's check already completed on `head`. */
async function checked(github: GitHub, repository: Repository, head: string): Promise<boolean> {
  const { data } = await github.rest.checks.listForRef({
    ...repository,
    ref: head,
    check_name: CHECK_NAME,
    filter: 'latest',
  });
  return data.check_runs.some((run) => run.status === 'completed');
}

/** The findings as annotations on files, most severe first. */
function annotationsFor(evaluation: Evaluation): Annotation[] {
  return annotationsOf(evaluation, Number.POSITIVE_INFINITY)
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
}

/**
 * Records the evaluation's entries, signed with the App's key, with the head's BOM kept beside them (a branch
 * log: in their commit) and named by its digest in each. Returns the BOM's address where it was kept.
 */
async function recordEvaluation(
  request: CheckRequest,
  pr: PullRequestFacts,
  evaluation: Evaluation,
  settings: Parameters<typeof appAuditStore>[3],
  bom: string | undefined,
): Promise<string | undefined> {
  const { github, task } = request;
  const repository = { owner: task.owner, repo: task.repo };
  const store = appAuditStore(github, repository, evaluation.policy, settings);
  if (!store) return undefined;
  // A retry of the task (its check run could not be written) evaluates again: recorded once, not once a try.
  const once = `recorded ${taskKey(task)} ${pr.head.sha} ${task.delivery ?? ''}`;
  const earlier = await request.ledger?.recall(once).catch(() => undefined);
  if (earlier !== undefined) return earlier || undefined;
  const file = bom && store.fileUrl ? bomAttachment(bom) : undefined;
  const drafts = evaluationEvents(evaluation, {
    time: new Date().toISOString(),
    actor: task.actor,
    subject: {
      repository: `${repository.owner}/${repository.repo}`,
      commit: pr.head.sha,
      ref: pr.head.ref,
      pullRequest: pr.number,
    },
    ...(file ? { attached: { bom: digestOf(file.content) } } : {}),
  });
  let checkpoint: Checkpoint | undefined;
  try {
    checkpoint = await recordAll(store, drafts, {
      ...(request.signer ? { signer: request.signer } : {}),
      ...(file ? { files: [file] } : {}),
    });
  } catch (error) {
    // The check stands; the log's gap is reported where an operator looks.
    request.log.error({ err: error, store: store.label }, 'could not record the evaluation in the audit log');
  }
  if (checkpoint)
    await publishCheckpoint(github, repository, pr.head.sha, checkpoint, (problem) =>
      request.log.warn(problem),
    );
  const kept = checkpoint && file ? store.fileUrl!(file.path) : undefined;
  if (checkpoint) await request.ledger?.remember(once, kept ?? '', RECORDED_SECONDS).catch(() => {});
  return kept;
}

/**
 * The check run's word on the head's BOM: its digest, and where it is kept. No signed attestation: a pull
 * request's check approves nothing for deployment, and a signed PASSED for its head is what an admission
 * policy would take for the gate's approval; the deployment gate signs one when it approves a deployment.
 */
function bomSection(bom: string, url: string | undefined): string {
  return `\n### Bill of materials\n\nThe CycloneDX 1.6 ML-BOM of this head (a \`machine-learning-model\` component with its model card per AI system): \`${digestOf(bom)}\`${url ? `, kept with this evaluation's entries on the audit log's branch: [${url.split('/').at(-1)}](${url})` : ' (not kept: this repository records no audit log the App writes to)'}. It is not an attestation: the deployment gate signs one, with the BOM it names, when it approves a deployment.\n`;
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
