import type { ApprovalResult } from '../approvals.js';
import type { Actor, AuditEntry, Subject } from '../audit/entry.js';
import { deploymentEvent, evaluationEvents } from '../audit/events.js';
import type { Signer } from '../audit/signature.js';
import {
  describeKey,
  isGateKey,
  signedBy,
  signerOf,
  signerWords,
  type TrustedKey,
} from '../audit/signature.js';
import { type AuditStore, recordOnce } from '../audit/store.js';
import {
  type DeploymentVerdict,
  environmentNameProblem,
  environmentProblem,
  isReleaseBranch,
  judgeChangeSet,
  startingPoints,
} from '../deployment.js';
import { evaluate, highestTier, requiredTier } from '../evaluate.js';
import { type Attestation, attachments, attestationDigests, attestDecision } from '../export/gate.js';
import { CONFIG_PATH, loadPolicy, type Policy } from '../policy/load.js';
import { verdictLine } from '../report/words.js';
import type { Source } from '../source.js';
import type { Evaluation, RiskTier, Severity } from '../types.js';
import { historyStoreFor } from './audit-log.js';
import { changeSetOf, deploymentHistory, type EntrySigner, repositoryFacts } from './change-set.js';
import type { GitHub } from './octokit.js';
import { changedFiles, judgeReviews, MAX_LISTED_FILES, type Repository, reviewsOf } from './pull-request.js';
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
  /** `repo.default_branch`: the release branch when the config names none. */
  base: { sha: string; ref: string; repo?: { default_branch?: string } };
  head: { sha: string; ref: string };
  user: { login: string } | null;
}

export async function checkPullRequest(
  github: GitHub,
  repository: Repository,
  pr: PullRequestFacts,
  options: EvaluationOptions,
): Promise<{
  evaluation: Evaluation;
  approval: ApprovalResult;
  /** What was judged: the head's files, and where the config that judged them was read. */
  sources: { head: Source; policy: Source };
}> {
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
  const release = evaluation.policy.releaseBranches.length
    ? evaluation.policy.releaseBranches
    : [pr.base.repo?.default_branch].filter((b) => b !== undefined);
  if (release.length && !isReleaseBranch(pr.base.ref, release)) {
    evaluation.notices.push(
      `This pull request targets ${pr.base.ref}, which is not a release branch (${release.join(', ')}): it was judged by the configuration on ${pr.base.ref}. Its commits are judged again, by the default branch's configuration, before they can be deployed.`,
    );
  }
  if (!changes.complete) {
    evaluation.notices.push(
      `GitHub lists only the first ${MAX_LISTED_FILES.toLocaleString('en')} files of a pull request: AI systems touched only by the others were not checked. Split the pull request.`,
    );
  }
  const approval = await judgeReviews(
    github,
    repository,
    evaluation.policy.approvals,
    { tier: requiredTier(evaluation) },
    {
      number: pr.number,
      author: pr.user?.login ?? '',
      headSha: pr.head.sha,
      reviews,
      changes,
      base,
    },
  );
  return { evaluation, approval, sources: { head, policy: options.policySource ?? base } };
}

/** Whether `_extends` named the owner's own `.github` repository, which the repository's writers cannot write. */
function isOrganisationConfig(target: string | undefined, owner: string): boolean {
  return (
    target !== undefined &&
    (target.toLowerCase() === '.github' || target.toLowerCase() === `${owner}/.github`.toLowerCase())
  );
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
  /** One paragraph a release manager can act on: what passed, or each pull request and commit that lacks. */
  reason: string;
  /** Absent when the gate could not get as far as evaluating. */
  evaluation?: Evaluation;
  /** The change set's judgement: each pull request shipped, with its approvals. */
  verdict?: DeploymentVerdict;
  /** Where the change set started: the last approved deployment, the baseline, or the whole history. */
  since?: string;
  /** The default branch's commit whose config judged it: the next decision judges the config's changes since. */
  config?: string;
  tier?: RiskTier;
  /** What was judged: the deployed commit's files, and the trusted revision whose config judged them. */
  sources?: { deployed: Source; policy: Source };
}

export interface GateOptions extends EvaluationOptions {
  /** The policy of a repository whose default branch has no config (the App's organisation defaults). */
  withoutConfig?: Source;
  /** Where the gate's past approvals are kept (the App's store); default: the trusted config's `branch:` log. */
  history?: (policy: LogSettings) => AuditStore | undefined;
}

/** What one run of the gate needs: the deployment, how to get ready, and who records the decision. */
export interface DeploymentRun {
  commit: string | undefined;
  environment: string;
  /**
   * What the gate reads before it judges (the Action's inputs, the App's organisation settings), and where it
   * records: the log the trusted policy names (`policy` absent when the gate failed before reading it).
   */
  prepare: () => Promise<{
    options: GateOptions;
    store: (policy: LogSettings | undefined) => AuditStore | undefined;
  }>;
  record: {
    time: string;
    actor: Actor;
    /** Which run of the gate writes (a workflow run, an App installation): where an auditor checks it. */
    writer: string;
    /** The gate's key (the Action's signing-key, the App's): without it the entries are unsigned, and no gate trusts them. */
    signer?: Signer;
    /**
     * The workflow run whose protection rule asks (the App), and the deployment GitHub made for the job's
     * attempt: one decision per deployment, so a task retried after its process died finds the decision that
     * process recorded, and that decision stands; a re-run of the job is a new deployment, decided again.
     */
    workflowRun?: number;
    deployment?: number;
  };
  /** Where the repository is browsed (GITHUB_SERVER_URL), for the addresses the BOM gives; default github.com. */
  serverUrl?: string;
}

/** What an approval attaches: the BOM and signed statement, their digests in the entry, where they are kept. */
export interface AttachedAttestation extends Attestation {
  digests: ReturnType<typeof attestationDigests>;
  /** Their addresses beside the log entry (a branch log keeps them in the entry's commit); absent: not kept there. */
  urls?: { attestation: string; bom: string };
}

export interface RecordedDecision {
  decision: DeploymentDecision;
  /** The log written to, and its checkpoint after the decision. */
  store?: AuditStore;
  checkpoint?: { seq: number; hash: string };
  /** Why the decision could not be recorded (then it is no approval). */
  problem?: string;
  /** The decision an earlier try for the same workflow run recorded: it is the decision, and nothing new was written. */
  earlier?: AuditEntry;
  /** What made the gate fail closed, for an operator's log (the reason already says it in words). */
  error?: Error;
  /** An approval's BOM and signed statement (with a gate key that signs them), recorded with it. */
  attestation?: AttachedAttestation;
  /** Why an approval has none though the gate has a key: the approval stands, recorded without digests. */
  attestationProblem?: string;
}

/**
 * The deployment gate's one fail-closed boundary, for the Action and the App alike: gets ready, judges and
 * records. Whatever fails (an input, the organisation's settings, GitHub, the log) ends in a rejection that
 * says why, recorded where the log could still be found; an approval that cannot be recorded is not given.
 */
export async function decideDeployment(
  github: GitHub,
  repository: Repository,
  run: DeploymentRun,
): Promise<RecordedDecision> {
  const { commit, environment } = run;
  try {
    const named = environmentNameProblem(environment);
    if (named) return { decision: { approved: false, reason: named } };
    if (!commit) return { decision: { approved: false, reason: 'the deployment names no commit to judge' } };
    const ready = await run.prepare();
    let failure: Error | undefined;
    const decision = await judgeDeployment(github, repository, { commit, environment }, ready.options).catch(
      (error: Error): DeploymentDecision => {
        failure = error;
        return { approved: false, reason: couldNotDecide(error) };
      },
    );
    const store = ready.store(decision.evaluation?.policy);
    // Made before the entry, so that the entry can name it by its digests: the log then ties what an
    // admission policy or Dependency-Track receives to this decision.
    let attestationProblem: string | undefined;
    const made = await attestApproval(repository, run, decision, ready.options.today).catch(
      (error: Error) => {
        attestationProblem = `the deployment is approved, but its BOM and attestation could not be made: ${error.message}`;
        return undefined;
      },
    );
    const recorded = await recordDeployment(store, decision, {
      ...run.record,
      subject: {
        repository: `${repository.owner}/${repository.repo}`,
        commit,
        environment: environment.trim(),
      },
      ...(made ? { attestation: made } : {}),
    });
    // An approval that could not be recorded is none: its attestation is dropped with it; so is one made again
    // for a decision recorded before, unless it is the one that decision names.
    const digests = made && attestationDigests(made);
    const attestation =
      made &&
      digests &&
      recorded.decision.approved &&
      (!recorded.earlier || recorded.earlier.details.attestation === digests.attestation)
        ? {
            ...made,
            digests,
            ...(store?.fileUrl ? { urls: urlsOf(store, attachments(made)) } : {}),
          }
        : undefined;
    return {
      ...recorded,
      ...(store ? { store } : {}),
      ...(failure ? { error: failure } : {}),
      ...(attestation ? { attestation } : {}),
      ...(attestationProblem ? { attestationProblem } : {}),
    };
  } catch (error) {
    return { decision: { approved: false, reason: couldNotDecide(error as Error) }, error: error as Error };
  }
}

const urlsOf = (store: AuditStore, files: ReturnType<typeof attachments>) => ({
  attestation: store.fileUrl!(files.attestation.path),
  bom: store.fileUrl!(files.bom.path),
});

/**
 * An approval's BOM and signed verification summary (src/export/gate.ts), made from what the gate judged;
 * none for a rejection, or where the gate's key signs no DSSE envelope (no key, an SSH key).
 */
async function attestApproval(
  repository: Repository,
  run: DeploymentRun,
  decision: DeploymentDecision,
  today: string,
): Promise<Attestation | undefined> {
  const signer = run.record.signer;
  if (!decision.approved || !decision.evaluation || !decision.sources || !signer?.signBytes || !run.commit)
    return undefined;
  return attestDecision({
    source: decision.sources.deployed,
    policySource: decision.sources.policy,
    evaluation: decision.evaluation,
    repository: `${repository.owner}/${repository.repo}`,
    ...(run.serverUrl ? { serverUrl: run.serverUrl } : {}),
    commit: run.commit,
    ...(decision.config ? { policyCommit: decision.config } : {}),
    environment: run.environment.trim(),
    approved: true,
    ...(decision.tier ? { tier: decision.tier } : {}),
    signer,
    today,
  });
}

const couldNotDecide = (error: Error) =>
  `aims-gate could not decide, so it fails closed: ${error.message ?? String(error)}`;

/** The decision alone, recorded nowhere (tests, the bench): the same boundary. */
export async function gateDeployment(
  github: GitHub,
  repository: Repository,
  { commit, environment }: { commit: string; environment: string },
  options: GateOptions,
): Promise<DeploymentDecision> {
  const { decision } = await decideDeployment(github, repository, {
    commit,
    environment,
    prepare: async () => ({ options, store: () => undefined }),
    record: { time: new Date().toISOString(), actor: { login: 'aims-gate' }, writer: 'aims-gate' },
  });
  return decision;
}

/**
 * Whether `commit` may be deployed to `environment`, judged by what is trusted: the config, policy and
 * approval rules on the head of the default branch (never those of a pull request or of the commit), the
 * release branches it names, and the gate's own signed history. The documents at the commit must pass that
 * policy, and every commit since the last approved deployment, and every change to the trusted config, must
 * have come through an approved pull request (src/deployment.ts owns each of these rules; this only gathers
 * the facts). It throws where it cannot decide: `decideDeployment` is the boundary that turns that into a
 * rejection.
 */
async function judgeDeployment(
  github: GitHub,
  repository: Repository,
  { commit, environment }: { commit: string; environment: string },
  options: GateOptions,
): Promise<DeploymentDecision> {
  {
    const facts = await repositoryFacts(github, repository);
    const load = { extendsFrom: extendsFrom(github, repository.owner) };
    const defaultHead = new GitHubSource(
      github,
      { ...repository, commit: facts.defaultHead },
      `the default branch ${facts.defaultBranch}`,
    );
    let trusted = options.policySource ?? defaultHead;
    let policy = await loadPolicy(trusted, options.config, load);
    if (!policy.configPath && !options.policySource) {
      if (!options.withoutConfig) {
        return {
          approved: false,
          reason: `the default branch ${facts.defaultBranch} has no ${CONFIG_PATH}, so nothing says what a deployment needs: add one with the approvals each environment requires`,
        };
      }
      trusted = options.withoutConfig;
      policy = await loadPolicy(trusted, undefined, load);
    }
    const unjudgeable = environmentProblem(environment, policy.approvals);
    if (unjudgeable) return { approved: false, reason: unjudgeable };
    const deployedSource = new GitHubSource(github, { ...repository, commit }, commit.slice(0, 7));
    const log = { auditLog: policy.auditLog, releaseBranches: policy.release.branches ?? [] };
    const store = options.history
      ? options.history(log)
      : historyStoreFor(log.auditLog, github, repository, log.releaseBranches);
    const history = await deploymentHistory(
      facts,
      {
        environment: environment.trim(),
        repository: `${repository.owner}/${repository.repo}`,
        ...(policy.release.baseline ? { baseline: policy.release.baseline } : {}),
      },
      store,
      // The organisation's keys anchor the repository's config; where the organisation's config is the trusted
      // one (the App's defaults), every key it lists does. The organisation's keys are those of its `.github`
      // repository only: `_extends` is in the config being judged, and could name any repository a writer
      // controls (this one, or another owner's) listing their own key.
      entrySigner(
        policy,
        trusted !== defaultHead
          ? policy.signers
          : isOrganisationConfig(policy.extended, repository.owner)
            ? policy.floorSigners
            : [],
      ),
    );
    const start = startingPoints(history);
    if ('problem' in start) return { approved: false, reason: start.problem };
    // The documents at the commit and what it ships are judged side by side; their reads share requests.
    const [evaluation, set] = await Promise.all([
      evaluate({
        source: deployedSource,
        policySource: trusted,
        ...load,
        configPath: options.config,
        today: options.today,
        failOn: options.failOn,
      }),
      changeSetOf(github, repository, {
        commit,
        environment: environment.trim(),
        policy,
        defaultBranch: facts.defaultBranch,
        defaultHead: facts.defaultHead,
        deployed: start.points,
        deployedSource,
        codeownersFrom: defaultHead,
        ...load,
        ...(options.config ? { configPath: options.config } : {}),
      }),
    ]);
    const verdict = judgeChangeSet(policy.approvals, set);
    const reasons = [
      ...(evaluation.verdict === 'fail' ? [`${verdictLine(evaluation)} at ${commit.slice(0, 7)}`] : []),
      ...(verdict.approved ? [] : [verdict.reason]),
    ];
    const tier = highestTier(verdict.pullRequests.map((p) => p.tier));
    return {
      approved: reasons.length === 0,
      reason: reasons.length === 0 ? verdict.reason : reasons.join('; '),
      evaluation,
      verdict,
      since: set.since?.commit,
      config: facts.defaultHead,
      ...(tier ? { tier } : {}),
      sources: { deployed: deployedSource, policy: trusted },
    };
  }
}

/**
 * Who signed a log entry, by the trusted config's keys (the default branch's and the organisation's): an
 * entry counts as the gate's only under a valid signature by a gate or App key.
 */
function entrySigner(policy: Policy, anchors: TrustedKey[]): EntrySigner {
  return (entry) => {
    const check = signerOf(entry, policy.signers);
    return {
      gate: isGateKey(check),
      who: check.status === 'signed' ? `the ${describeKey(check.key)}` : signerWords(check),
      anchored: check.status === 'signed' && anchors.some((a) => a.key === check.key.key),
      rotated: check.status === 'signed' && check.key.until !== undefined,
    };
  };
}

/** What choosing an audit store needs of a config: where it logs, and the branches a log must never be. */
export type LogSettings = Pick<Evaluation['policy'], 'auditLog' | 'releaseBranches'>;

/**
 * Appends a gate's evaluation and decision to the audit log. The log must show every gate decision, so an
 * approval that cannot be recorded is not given: the decision returned is then a rejection that says why.
 * Returns the checkpoint after the last entry, where one was written.
 */
export async function recordDeployment(
  store: AuditStore | undefined,
  decision: DeploymentDecision,
  context: DeploymentRun['record'] & {
    subject: Subject;
    /** The approval's BOM and statement: their digests go in the entry, the files beside it where the store keeps files. */
    attestation?: Attestation;
  },
): Promise<Pick<RecordedDecision, 'decision' | 'checkpoint' | 'problem' | 'earlier'>> {
  if (!store) return { decision };
  const { evaluation, verdict } = decision;
  const { writer, signer, attestation, workflowRun, deployment, ...where } = context;
  const drafts = [
    ...(evaluation ? evaluationEvents(evaluation, where) : []),
    deploymentEvent(
      {
        approved: decision.approved,
        reason: decision.reason,
        // Marks the gate's own decisions: the next deployment's change set starts at the last of them.
        by: 'aims-gate',
        // Which run of the gate wrote it (a workflow run, an App installation): where an auditor checks it.
        writer,
        ...(workflowRun !== undefined ? { workflowRun } : {}),
        ...(deployment !== undefined ? { deployment } : {}),
        ...(decision.since ? { since: decision.since } : {}),
        ...(decision.config ? { config: decision.config } : {}),
        ...(verdict ? { pullRequests: verdict.pullRequests.map((p) => `#${p.number}`) } : {}),
        // Which systems the deployment changes: each system's deployment register is read from these.
        ...(verdict ? { systems: verdict.systems } : {}),
        ...(decision.tier ? { tier: decision.tier } : {}),
        ...(evaluation ? { verdict: evaluation.verdict } : {}),
        // What the gate attached, by SHA-256: an artifact downstream is tied to this signed entry.
        ...(attestation && decision.approved ? attestationDigests(attestation) : {}),
        ...(verdict
          ? {
              approvers: [
                ...new Set(
                  verdict.pullRequests.flatMap((p) => p.approval.groups.flatMap((g) => g.approvers)),
                ),
              ],
              // Each requirement each pull request met, and who met it: the approvers in their roles.
              roles: verdict.pullRequests.flatMap((p) =>
                p.approval.groups.map(
                  (g) => `#${p.number} ${g.description}: ${g.approvers.join(', ') || 'nobody'}`,
                ),
              ),
            }
          : {}),
      },
      where,
    ),
  ];
  // The same deployment's decision (workflow run, and GitHub's deployment for the job's attempt), by the same key.
  const same = (entry: AuditEntry) =>
    (entry.type === 'deployment.approved' || entry.type === 'deployment.rejected') &&
    entry.details.by === 'aims-gate' &&
    entry.details.workflowRun === workflowRun &&
    entry.details.deployment === deployment &&
    entry.subject.commit === where.subject.commit &&
    entry.subject.environment === where.subject.environment &&
    signedBy(entry, signer);
  // Only a deployment the gate signs for can stand for itself: anyone who can push to the log could write an
  // unsigned entry, or one naming no deployment (a re-run is another deployment, decided again).
  const once = deployment !== undefined && signer ? same : undefined;
  try {
    const { checkpoint, earlier } = await recordOnce(store, drafts, once, {
      ...(signer ? { signer } : {}),
      ...(attestation && decision.approved ? { files: Object.values(attachments(attestation)) } : {}),
    });
    if (earlier)
      return {
        decision: {
          approved: earlier.type === 'deployment.approved',
          reason: String(earlier.details.reason),
        },
        ...(checkpoint ? { checkpoint } : {}),
        earlier,
      };
    return { decision, ...(checkpoint ? { checkpoint } : {}) };
  } catch (error) {
    const problem = `the decision could not be recorded in the audit log ${store.label}: ${(error as Error).message}`;
    return { decision: decision.approved ? { approved: false, reason: problem } : decision, problem };
  }
}
