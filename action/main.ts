import { writeFile } from 'node:fs/promises';
import * as core from '@actions/core';
import { context } from '@actions/github';
import { applicableRules, judgeApprovals } from '../src/approvals.js';
import { type EventDraft, formatCheckpoint } from '../src/audit/entry.js';
import { evaluationEvents } from '../src/audit/events.js';
import { type AuditStore, record } from '../src/audit/store.js';
import { evaluate, highestTier } from '../src/evaluate.js';
import { auditStoreFor } from '../src/github/audit-log.js';
import { createGitHub, type GitHub } from '../src/github/octokit.js';
import {
  changedFiles,
  MAX_LISTED_FILES,
  pullRequestsOfCommit,
  reviewsOf,
  teamMembers,
} from '../src/github/pull-request.js';
import { GitHubSource } from '../src/github/source.js';
import { annotationsOf } from '../src/report/annotations.js';
import { renderApprovals } from '../src/report/approvals.js';
import { renderMarkdown } from '../src/report/markdown.js';
import { renderSarif } from '../src/report/sarif.js';
import { verdictLine } from '../src/report/words.js';
import { type Evaluation, FAIL_ON, type Severity } from '../src/types.js';
import { VERSION } from '../src/version.js';

/**
 * The GitHub Action: reads its inputs, calls the core and the GitHub adapters, writes outputs, summary and
 * annotations. One error boundary: any failure is one clear message, and in deploy-gate a rejection.
 */
export async function run(): Promise<void> {
  const mode = core.getInput('mode') || 'pr-check';
  try {
    const token = core.getInput('token', { required: true });
    core.setSecret(token);
    const github = createGitHub({ token, baseUrl: process.env.GITHUB_API_URL });
    if (mode === 'pr-check') await prCheck(github);
    else if (mode === 'deploy-gate') await deployGate(github);
    else if (mode === 'record') await recordEvent(github);
    else throw new Error(`mode must be pr-check, deploy-gate or record, not "${mode}"`);
  } catch (error) {
    const message = (error as Error).message ?? String(error);
    core.setFailed(
      mode === 'deploy-gate'
        ? `Deployment rejected: aims-gate could not decide, so it fails closed. ${message}`
        : `aims-gate: ${message}`,
    );
  }
}

function inputs() {
  const failOn = core.getInput('fail-on') || undefined;
  if (failOn && !FAIL_ON.includes(failOn as (typeof FAIL_ON)[number]))
    throw new Error(`fail-on must be one of ${FAIL_ON.join(', ')}, not "${failOn}"`);
  return {
    config: core.getInput('config') || undefined,
    failOn: failOn as Severity | 'never' | undefined,
    auditLog: core.getInput('audit-log') || undefined,
    sarifFile: core.getInput('sarif-file') || undefined,
    today: core.getInput('today') || new Date().toISOString().slice(0, 10),
  };
}

const actor = () => ({
  login: context.actor,
  ...(process.env.GITHUB_ACTOR_ID ? { id: Number(process.env.GITHUB_ACTOR_ID) } : {}),
});

async function prCheck(github: GitHub): Promise<void> {
  const pr = context.payload.pull_request;
  if (!pr)
    throw new Error(`pr-check runs on pull_request events; this run was triggered by ${context.eventName}`);
  const repository = context.repo;
  const options = inputs();
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
    policySource: base,
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

  const rules = applicableRules(evaluation.policy.approvals, {
    tier: highestTier(evaluation.systems.map((s) => s.tier)),
  });
  const teams = await teamMembers(
    github,
    rules.flatMap((r) => r.require.flatMap((g) => g.teams ?? [])),
  );
  const approval = judgeApprovals(rules, {
    author: pr.user.login,
    headSha: pr.head.sha,
    reviews,
    teams: teams.members,
  });

  await report(
    evaluation,
    options.sarifFile,
    renderApprovals(approval, '### Approvals (shown, not blocking on pull requests)'),
  );
  const store = auditStoreFor(
    options.auditLog ?? evaluation.policy.auditLog,
    github,
    repository,
    process.env.GITHUB_WORKSPACE ?? '.',
  );
  const drafts = evaluationEvents(evaluation, {
    time: new Date().toISOString(),
    actor: actor(),
    subject: {
      repository: `${repository.owner}/${repository.repo}`,
      commit: pr.head.sha,
      ref: pr.head.ref,
      pullRequest: pr.number,
    },
  });
  await append(store, drafts);
  if (evaluation.verdict === 'fail') core.setFailed(verdictLine(evaluation));
}

async function deployGate(github: GitHub): Promise<void> {
  const environment = core.getInput('environment');
  if (!environment)
    throw new Error('deploy-gate needs the environment input: the environment this job deploys to');
  const repository = context.repo;
  const options = inputs();
  const commit = core.getInput('commit') || context.sha;
  const store = auditStoreFor(
    options.auditLog ?? 'none',
    github,
    repository,
    process.env.GITHUB_WORKSPACE ?? '.',
  );
  const subject = { repository: `${repository.owner}/${repository.repo}`, commit, environment };
  const decide = async (approved: boolean, reason: string, details: EventDraft['details']) => {
    await append(store, [
      {
        type: approved ? 'deployment.approved' : 'deployment.rejected',
        time: new Date().toISOString(),
        actor: actor(),
        subject,
        details: { reason, ...details },
        evidence: [],
      },
    ]);
    core.setOutput('verdict', approved ? 'approved' : 'rejected');
    if (!approved) core.setFailed(`Deployment to ${environment} rejected: ${reason}`);
    else core.info(`Deployment to ${environment} approved: ${reason}`);
  };

  const prs = await pullRequestsOfCommit(github, repository, commit);
  const pr = prs.sort((a, b) => (b.merged_at ?? '').localeCompare(a.merged_at ?? ''))[0];
  if (!pr)
    return decide(
      false,
      `no merged pull request brought ${commit.slice(0, 7)}; deployments must come through a reviewed pull request`,
      {},
    );

  const base = new GitHubSource(github, { ...repository, commit: pr.base.sha }, `the base of #${pr.number}`);
  const evaluation = await evaluate({
    source: new GitHubSource(github, { ...repository, commit }, commit.slice(0, 7)),
    policySource: base,
    baseSource: base,
    configPath: options.config,
    today: options.today,
    failOn: options.failOn,
  });
  const tier = highestTier(evaluation.systems.map((s) => s.tier));
  const rules = applicableRules(evaluation.policy.approvals, { environment, tier });
  const teams = await teamMembers(
    github,
    rules.flatMap((r) => r.require.flatMap((g) => g.teams ?? [])),
  );
  const reviews = await reviewsOf(github, repository, pr.number);
  const approval = judgeApprovals(rules, {
    author: pr.user?.login ?? '',
    headSha: pr.head.sha,
    reviews,
    teams: teams.members,
  });
  await report(
    evaluation,
    options.sarifFile,
    renderApprovals(approval, `### Approvals for ${environment} (pull request #${pr.number})`),
  );

  const reasons = [
    ...(evaluation.verdict === 'fail' ? [verdictLine(evaluation)] : []),
    ...(approval.satisfied ? [] : [approval.summary]),
  ];
  await decide(reasons.length === 0, reasons.length ? reasons.join('; ') : approval.summary, {
    pullRequest: pr.number,
    tier: tier ?? null,
    verdict: evaluation.verdict,
    approvers: approval.groups.flatMap((g) => g.approvers),
  });
}

async function recordEvent(github: GitHub): Promise<void> {
  const repository = context.repo;
  const spec = core.getInput('audit-log') || 'branch:aims-audit-log';
  const store = auditStoreFor(spec, github, repository, process.env.GITHUB_WORKSPACE ?? '.');
  if (!store) throw new Error('record mode needs an audit log: set audit-log to branch:NAME or file:PATH');
  const details: EventDraft['details'] = {};
  for (const line of core.getMultilineInput('details')) {
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`details takes one key=value per line, not "${line}"`);
    details[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  const system = core.getInput('system', { required: true });
  await append(store, [
    {
      type: core.getInput('event-type', { required: true }) as EventDraft['type'],
      time: new Date().toISOString(),
      actor: actor(),
      subject: {
        repository: `${repository.owner}/${repository.repo}`,
        system,
        commit: context.sha,
        ref: context.ref,
        ...(core.getInput('environment') ? { environment: core.getInput('environment') } : {}),
      },
      details,
      evidence: [],
    },
  ]);
}

/** Job summary, annotations (most severe first; the runner shows 10 per level), SARIF, and outputs. */
async function report(
  evaluation: Evaluation,
  sarifFile: string | undefined,
  approvals: string,
): Promise<void> {
  const { shown, hidden } = annotationsOf(evaluation);
  for (const a of shown) {
    const properties = { title: a.title, file: a.file, startLine: a.line, startColumn: a.column };
    if (a.level === 'error') core.error(a.message, properties);
    else if (a.level === 'warning') core.warning(a.message, properties);
    else core.notice(a.message, properties);
  }
  if (hidden > 0)
    core.notice(`${hidden} more findings are listed in the job summary.`, { title: 'aims-gate' });
  await core.summary.addRaw(renderMarkdown(evaluation)).addRaw(`\n${approvals}`).write();
  if (sarifFile) {
    await writeFile(sarifFile, renderSarif(evaluation, VERSION));
    core.setOutput('report-path', sarifFile);
  }
  const open = evaluation.findings.filter((f) => !f.waiver);
  core.setOutput('verdict', evaluation.verdict);
  core.setOutput(
    'findings',
    JSON.stringify({
      major: open.filter((f) => f.severity === 'major').length,
      minor: open.filter((f) => f.severity === 'minor').length,
      observation: open.filter((f) => f.severity === 'observation').length,
      waived: evaluation.findings.length - open.length,
    }),
  );
  core.setOutput('systems', JSON.stringify(evaluation.systems.map((s) => s.id)));
}

/** Appends events and prints and outputs the checkpoint; with no audit log configured, does nothing. */
async function append(store: AuditStore | undefined, drafts: EventDraft[]): Promise<void> {
  if (!store) return;
  let checkpoint: string | undefined;
  for (const draft of drafts) checkpoint = formatCheckpoint((await record(store, draft)).checkpoint);
  if (checkpoint) {
    core.info(`aims-gate: recorded ${drafts.length} event(s) in ${store.label}; checkpoint ${checkpoint}`);
    core.setOutput('checkpoint', checkpoint);
  }
}

await run();
