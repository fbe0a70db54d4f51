import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as core from '@actions/core';
import {
  type Actor,
  type Checkpoint,
  type EventDraft,
  formatCheckpoint,
  parseDetails,
} from '../src/audit/entry.js';
import { evaluationEvents } from '../src/audit/events.js';
import { claimsGate, ed25519Signer, type Signer } from '../src/audit/signature.js';
import { type AuditStore, recordAll } from '../src/audit/store.js';
import { ATTESTATION_FILE, BOM_FILE } from '../src/export/gate.js';
import { auditStoreFor, historyStoreFor } from '../src/github/audit-log.js';
import { publishAttestation, publishCheckpoint } from '../src/github/checkpoint-status.js';
import {
  type AttachedAttestation,
  checkPullRequest,
  decideDeployment,
  type LogSettings,
  type PullRequestFacts,
} from '../src/github/evaluate.js';
import { createGitHub, type GitHub } from '../src/github/octokit.js';
import { annotationsOf } from '../src/report/annotations.js';
import { renderApprovals, renderChangeSet } from '../src/report/approvals.js';
import { renderMarkdown } from '../src/report/markdown.js';
import { renderSarif } from '../src/report/sarif.js';
import { findingCounts, verdictLine } from '../src/report/words.js';
import { type Evaluation, FAIL_ON, type Severity } from '../src/types.js';
import { VERSION } from '../src/version.js';
import { type RunContext, runContext } from './context.js';

/** The workflow run, read when the Action starts (inside its error boundary: an unreadable event fails it). */
let context: RunContext;

/**
 * The GitHub Action: reads its inputs, calls the core and the GitHub adapters, writes outputs, summary and
 * annotations. One error boundary: any failure is one clear message, and in deploy-gate a rejection.
 */
export async function run(): Promise<void> {
  const mode = core.getInput('mode') || 'pr-check';
  try {
    context = runContext();
    const token = core.getInput('token', { required: true });
    core.setSecret(token);
    const github = createGitHub({
      token,
      baseUrl: process.env.GITHUB_API_URL,
      writeInterval: writeInterval(process.env.AIMS_GATE_WRITE_INTERVAL_MS),
    });
    const signer = signingKey();
    if (mode === 'pr-check') await prCheck(github, signer);
    else if (mode === 'deploy-gate') await deployGate(github, signer);
    else if (mode === 'record') await recordEvent(github, signer);
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

/**
 * AIMS_GATE_WRITE_INTERVAL_MS: milliseconds between two writes to GitHub, 0 to 1000 (GitHub's one second, the
 * default). For a GitHub Enterprise Server without rate limits, and the tests' fake API.
 */
function writeInterval(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const ms = /^\d{1,4}$/.test(value) ? Number(value) : Number.NaN;
  if (!(ms <= 1000))
    throw new Error(
      `AIMS_GATE_WRITE_INTERVAL_MS must be a whole number of milliseconds from 0 to 1000, not "${value}"`,
    );
  return ms;
}

/**
 * The gate's signing key, from the signing-key input (an environment secret: GitHub gives it only to a job
 * that passed the environment's protection). Masked in the log, line by line as the runner masks secrets; a
 * key that is set but unusable stops the run (a deployment gate then rejects), never a silent unsigned entry.
 */
function signingKey(): Signer | undefined {
  const pem = core.getInput('signing-key');
  if (!pem) return undefined;
  core.setSecret(pem);
  for (const line of pem.split(/\r?\n|\\n/)) if (line && !line.startsWith('-----')) core.setSecret(line);
  try {
    return ed25519Signer(pem);
  } catch (error) {
    throw new Error(`signing-key: ${(error as Error).message}`);
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

/** The audit store an `audit-log` setting names; a relative file path is in the workspace. */
const storeFor = (spec: string, github: GitHub, reserved: string[] = []) =>
  auditStoreFor(spec, github, context.repo, process.env.GITHUB_WORKSPACE ?? '.', reserved);

const repositoryName = () => `${context.repo.owner}/${context.repo.repo}`;

/** Who started the workflow run, as its runner says. */
const actor = (): Actor => ({
  login: context.actor,
  ...(process.env.GITHUB_ACTOR_ID ? { id: Number(process.env.GITHUB_ACTOR_ID) } : {}),
  via: 'github',
  ...(Number.isSafeInteger(context.runId) ? { run: runUrl() } : {}),
});

const runUrl = () => `${context.serverUrl}/${repositoryName()}/actions/runs/${context.runId}`;

async function prCheck(github: GitHub, signer: Signer | undefined): Promise<void> {
  const pr = context.payload.pull_request as PullRequestFacts | undefined;
  if (!pr)
    throw new Error(`pr-check runs on pull_request events; this run was triggered by ${context.eventName}`);
  const options = inputs();
  const { evaluation, approval } = await checkPullRequest(github, context.repo, pr, options);
  await report(
    evaluation,
    options.sarifFile,
    renderApprovals(approval, '### Approvals (shown, not blocking on pull requests)'),
  );
  const subject = {
    repository: repositoryName(),
    commit: pr.head.sha,
    ref: pr.head.ref,
    pullRequest: pr.number,
  };
  await append(
    github,
    storeFor(options.auditLog ?? evaluation.policy.auditLog, github, evaluation.policy.releaseBranches),
    evaluationEvents(evaluation, { time: new Date().toISOString(), actor: actor(), subject }),
    signer,
  );
  if (evaluation.verdict === 'fail') core.setFailed(verdictLine(evaluation));
}

async function deployGate(github: GitHub, signer: Signer | undefined): Promise<void> {
  const environment = core.getInput('environment');
  if (!signer)
    core.warning(
      "aims-gate: no signing-key: this decision is recorded unsigned, and the gate's next deployment decision will not trust it (nor will aims-gate verify). Pass an environment secret holding the gate's key (aims-gate keygen) as signing-key, and list its public key under signers.",
    );
  const commit = core.getInput('commit') || context.sha;
  let sarifFile: string | undefined;
  const recorded = await decideDeployment(github, context.repo, {
    commit,
    environment,
    prepare: async () => {
      const options = inputs();
      sarifFile = options.sarifFile;
      // The gate reads its past approvals from the log it records to: the input's, else the trusted config's.
      const history = (log: LogSettings) =>
        historyStoreFor(options.auditLog ?? log.auditLog, github, context.repo, log.releaseBranches);
      const store = (policy: LogSettings | undefined) => {
        const spec = options.auditLog ?? policy?.auditLog;
        return spec ? storeFor(spec, github, policy?.releaseBranches) : undefined;
      };
      return { options: { ...options, history }, store };
    },
    record: {
      time: new Date().toISOString(),
      actor: actor(),
      writer: `aims-gate Action, workflow run ${Number.isSafeInteger(context.runId) ? runUrl() : '(the runner set no GITHUB_RUN_ID)'}`,
      ...(signer ? { signer } : {}),
    },
    serverUrl: context.serverUrl,
  });
  const { decision, store, checkpoint, problem } = recorded;
  const { evaluation, verdict } = decision;
  if (evaluation && verdict)
    await report(
      evaluation,
      sarifFile,
      renderChangeSet(verdict, `### What this deployment to ${environment} ships`),
    );
  if (problem) core.warning(problem);
  if (checkpoint && store) await showCheckpoint(github, checkpoint, store.label, commit);
  core.setOutput('verdict', decision.approved ? 'approved' : 'rejected');
  if (recorded.attestationProblem) core.warning(`aims-gate: ${recorded.attestationProblem}`);
  if (recorded.attestation && commit) {
    await writeAttestation(recorded.attestation);
    await publishAttestation(
      github,
      context.repo,
      commit,
      {
        environment: environment.trim(),
        digest: recorded.attestation.digests.attestation,
        ...(recorded.attestation.urls ? { url: recorded.attestation.urls.attestation } : {}),
      },
      (problem) => core.warning(`aims-gate: ${problem}`),
    );
  }
  if (decision.approved) core.info(`Deployment to ${environment} approved: ${decision.reason}`);
  else core.setFailed(`Deployment to ${environment || '(no environment)'} rejected: ${decision.reason}`);
}

/**
 * An approved deployment's BOM and its signed verification summary (made and recorded by the gate, their
 * digests in its entry), as files beside the run (RUNNER_TEMP) and as the bom-path and attestation-path
 * outputs: what a later step pushes to a registry or an admission controller. A failure here warns and leaves
 * the approval standing: the decision is already recorded.
 */
async function writeAttestation(made: AttachedAttestation): Promise<void> {
  try {
    const dir = join(process.env.RUNNER_TEMP ?? process.env.GITHUB_WORKSPACE ?? '.', 'aims-gate');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, BOM_FILE), made.bom);
    await writeFile(join(dir, ATTESTATION_FILE), made.file);
    core.setOutput('bom-path', join(dir, BOM_FILE));
    core.setOutput('attestation-path', join(dir, ATTESTATION_FILE));
    core.info(
      `Signed verification summary: ${made.statement.predicate.verificationResult} ${made.statement.predicate.verifiedLevels.join(', ')}, key ${made.envelope.signatures[0]!.keyid}; recorded as ${made.digests.attestation}${made.urls ? `, kept at ${made.urls.attestation}` : ''}`,
    );
  } catch (error) {
    core.warning(
      `aims-gate: the deployment is approved, but its attestation could not be written: ${(error as Error).message}`,
    );
  }
}

async function recordEvent(github: GitHub, signer: Signer | undefined): Promise<void> {
  const spec = core.getInput('audit-log') || 'branch:aims-audit-log';
  const store = storeFor(spec, github);
  if (!store) throw new Error('record mode needs an audit log: set audit-log to branch:NAME or file:PATH');
  const parsed = parseDetails(core.getMultilineInput('details'));
  if ('bad' in parsed) throw new Error(`details takes one key=value per line, not "${parsed.bad}"`);
  const system = core.getInput('system', { required: true });
  const type = core.getInput('event-type', { required: true }) as EventDraft['type'];
  const environment = core.getInput('environment');
  // What only the gate writes cannot be recorded by hand, least of all signed with the gate's key.
  if (claimsGate({ type, subject: environment ? { environment } : {} }))
    throw new Error(
      `record mode does not record ${type}${type === 'evaluated' ? ' for an environment' : ''}: only deploy-gate writes the gate's decisions and evaluations`,
    );
  await append(
    github,
    store,
    [
      {
        type,
        time: new Date().toISOString(),
        actor: actor(),
        subject: {
          repository: repositoryName(),
          system,
          commit: context.sha,
          ref: context.ref,
          ...(environment ? { environment } : {}),
        },
        details: parsed.details,
        evidence: [],
      },
    ],
    signer,
  );
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
  core.setOutput('verdict', evaluation.verdict);
  core.setOutput('findings', JSON.stringify(findingCounts(evaluation)));
  core.setOutput('systems', JSON.stringify(evaluation.systems.map((s) => s.id)));
}

/** Appends events, then prints, outputs and publishes the checkpoint; with no audit log configured, does nothing. */
async function append(
  github: GitHub,
  store: AuditStore | undefined,
  drafts: EventDraft[],
  signer: Signer | undefined,
): Promise<void> {
  if (!store) return;
  const checkpoint = await recordAll(store, drafts, signer ? { signer } : undefined);
  if (checkpoint) await showCheckpoint(github, checkpoint, store.label, drafts.at(-1)?.subject.commit);
}

/** The checkpoint in the log, the step's output, and a commit status on the audited commit (else a warning). */
async function showCheckpoint(
  github: GitHub,
  checkpoint: Checkpoint,
  where: string,
  commit: string | undefined,
): Promise<void> {
  core.info(`aims-gate: audit log ${where} is at checkpoint ${formatCheckpoint(checkpoint)}`);
  core.setOutput('checkpoint', formatCheckpoint(checkpoint));
  await publishCheckpoint(github, context.repo, commit, checkpoint, (problem) => core.warning(problem));
}

await run();
