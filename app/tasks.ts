/**
 * The App's work, as data: a webhook handler turns an event into a task, a queue (in process or on Redis)
 * keeps it, and any instance runs it. A task names what to look at, never what the event said it was: the
 * pull request's head and the deployment's state are read from GitHub when the task starts.
 */
import type { Actor } from '../src/audit/entry.js';

export type { Actor };

interface InRepository {
  installation: number;
  owner: string;
  repo: string;
  /** The webhook delivery that asked for it (none from reconciliation): on every log line of the task. */
  delivery?: string;
}

/** Evaluate a pull request's current head and complete a check run on it. */
export interface CheckTask extends InRepository {
  kind: 'check';
  pullRequest: number;
  /** The head the event named: where the check run goes when the pull request itself cannot be read. */
  head: string;
  explain?: boolean;
  actor: Actor;
  /**
   * A merge queue's group (`merge_group` event): the check goes on the group's head commit (`head`), judged
   * against its base, with the changed files and reviews of the pull request the group's head names.
   */
  mergeGroup?: { base: string; baseRef: string; headRef: string };
}

/** Decide a deployment waiting on the App's protection rule, record the decision, and answer GitHub. */
export interface ProtectionTask extends InRepository {
  kind: 'protection';
  environment: string;
  commit?: string;
  /** The workflow run waiting: GitHub's answer goes to it. */
  run: number;
  /**
   * The deployment GitHub made for this attempt of the job: a re-run makes another, which is decided again (the
   * first attempt's answer may have been "could not decide" in a GitHub outage, or its approvals missing).
   */
  deployment?: number;
  actor: Actor;
}

/** Record an environment reviewer's decision in the audit log. */
export interface ReviewTask extends InRepository {
  kind: 'review';
  state: 'approved' | 'rejected';
  environments: string[];
  commit: string;
  reviewer: Actor;
  comment?: string;
  run: number;
  /** The run's attempt: a re-run is reviewed again, and each review is an entry of its own. */
  attempt?: number;
}

export type Task = CheckTask | ProtectionTask | ReviewTask;

/**
 * Tasks with one key coalesce: while one waits, a later one replaces it. A pull request is checked once
 * for a burst of events (its current head is read when the check starts); a deployment is decided once.
 */
export function taskKey(task: Task): string {
  const repository = `${task.owner}/${task.repo}`.toLowerCase();
  switch (task.kind) {
    case 'check':
      // A merge group's check is its own: it never coalesces with its pull request's, nor with another group.
      return task.mergeGroup
        ? `check ${repository} merge group ${task.head}`
        : `check ${repository}#${task.pullRequest}`;
    case 'protection':
      return `protection ${repository} run ${task.run} ${task.environment.toLowerCase()}`;
    case 'review':
      // Each reviewer's decision is its own entry in the log: never merged into another's.
      return `review ${repository} run ${task.run} attempt ${task.attempt ?? 1} ${task.state} ${task.environments.join(',').toLowerCase()} by ${task.reviewer.login.toLowerCase()}`;
  }
}
