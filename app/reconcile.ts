import type { Logger } from 'pino';
import type { Probot } from 'probot';
import type { GitHub } from '../src/github/octokit.js';
import { CHECK_NAME } from './check-run.js';
import type { WorkQueue } from './queue.js';
import { type Task, taskKey } from './tasks.js';

export interface Reconciliation {
  installations: number;
  repositories: number;
  /** Workflow runs waiting on this App's protection rule, queued to be answered. */
  deployments: number;
  /** Open pull requests whose head has no aims-gate check run, queued to be checked. */
  pullRequests: number;
  /** Installations that could not be read, with why (the next sweep tries again). */
  errors: string[];
}

/**
 * What webhooks alone can miss (a delivery lost, a process that died after GitHub had its answer): for each
 * installation and repository, the workflow runs waiting on this App's protection rule and the open pull
 * requests whose head has no aims-gate check run. Each is queued like the webhook would have queued it, so
 * the queue's coalescing and the kept decision per run make a second sweep, or a late webhook, a no-op.
 */
export async function reconcile({
  probot,
  queue,
  log,
}: {
  probot: Probot;
  queue: WorkQueue;
  log: Logger;
}): Promise<Reconciliation> {
  const done: Reconciliation = {
    installations: 0,
    repositories: 0,
    deployments: 0,
    pullRequests: 0,
    errors: [],
  };
  const app = (await probot.auth()) as unknown as GitHub;
  const { data: me } = await app.rest.apps.getAuthenticated();
  const installations = await app.paginate(app.rest.apps.listInstallations, { per_page: 100 });
  for (const installation of installations) {
    done.installations++;
    try {
      const github = (await probot.auth(installation.id)) as unknown as GitHub;
      const repositories = await github.paginate(github.rest.apps.listReposAccessibleToInstallation, {
        per_page: 100,
      });
      for (const repository of repositories) {
        done.repositories++;
        const where = { installation: installation.id, owner: repository.owner.login, repo: repository.name };
        // One repository's error (Actions disabled, a 404) leaves the others of the installation to be swept.
        try {
          const tasks = [
            ...(await waitingDeployments(github, where, me?.id ?? 0)),
            ...(await uncheckedPullRequests(github, where, me?.id ?? 0)),
          ];
          for (const task of tasks) {
            // Under way (a webhook's task waits or runs): its check is coming; queueing it again would not
            // add one (tasks coalesce), but counting it would say it was missed.
            if (task.kind === 'check' && (await queue.has(taskKey(task)))) continue;
            await queue.schedule(task);
            if (task.kind === 'protection') done.deployments++;
            else done.pullRequests++;
          }
        } catch (error) {
          done.errors.push(`${where.owner}/${where.repo}: ${(error as Error).message}`);
        }
      }
    } catch (error) {
      done.errors.push(`installation ${installation.id}: ${(error as Error).message}`);
    }
  }
  log.info(done, 'reconciled');
  return done;
}

/**
 * A check run in progress this long was left by a try that died (the App now creates its runs completed;
 * an older version, or another writer, left this one): its pull request is checked again. No evaluation
 * takes this long: a task holds its lock for 30 s and is taken over when its process dies.
 */
export const STALE_RUN_MS = 2 * 60_000;

type Where = { installation: number; owner: string; repo: string };

/** Runs waiting for an environment whose custom protection rules include this App's. */
async function waitingDeployments(github: GitHub, where: Where, appId: number): Promise<Task[]> {
  const { owner, repo } = where;
  const runs = await github.paginate(github.rest.actions.listWorkflowRunsForRepo, {
    owner,
    repo,
    status: 'waiting',
    per_page: 100,
  });
  const guarded = new Map<string, boolean>();
  const isGuarded = async (environment: string) => {
    if (!guarded.has(environment)) {
      const { data: rules } = await github.rest.repos.getAllDeploymentProtectionRules({
        owner,
        repo,
        environment_name: environment,
      });
      const ours = (rules.custom_deployment_protection_rules ?? []).some(
        (r) => r.enabled && r.app.id === appId,
      );
      guarded.set(environment, ours);
    }
    return guarded.get(environment)!;
  };
  const tasks: Task[] = [];
  for (const run of runs) {
    const { data: pending } = await github.rest.actions.getPendingDeploymentsForRun({
      owner,
      repo,
      run_id: run.id,
    });
    for (const { environment } of pending) {
      if (!environment.name || !(await isGuarded(environment.name))) continue;
      const actor = run.triggering_actor ?? run.actor;
      // The deployment GitHub made for the run's current attempt (the newest for its commit and environment):
      // the decision is kept per deployment, as the webhook's task keeps it.
      const { data: deployments } = await github.rest.repos.listDeployments({
        owner,
        repo,
        sha: run.head_sha,
        environment: environment.name,
        per_page: 1,
      });
      tasks.push({
        kind: 'protection',
        ...where,
        environment: environment.name,
        commit: run.head_sha,
        run: run.id,
        ...(deployments[0] ? { deployment: deployments[0].id } : {}),
        actor: actor ? { login: actor.login, id: actor.id } : { login: 'aims-gate' },
      });
    }
  }
  return tasks;
}

/** Open pull requests (drafts included: `ready_for_review` is an event too) with no aims-gate check on their head. */
async function uncheckedPullRequests(github: GitHub, where: Where, appId: number): Promise<Task[]> {
  const { owner, repo } = where;
  const pulls = await github.paginate(github.rest.pulls.list, { owner, repo, state: 'open', per_page: 100 });
  const tasks: Task[] = [];
  for (const pull of pulls) {
    const { data } = await github.rest.checks.listForRef({
      owner,
      repo,
      ref: pull.head.sha,
      check_name: CHECK_NAME,
      app_id: appId,
      filter: 'latest',
    });
    // Checked: a run completed, or one in progress for less than a stale run's age (an evaluation under way).
    const checked = data.check_runs.some(
      (run) =>
        run.status === 'completed' ||
        (run.started_at !== null && Date.now() - Date.parse(run.started_at) < STALE_RUN_MS),
    );
    if (checked) continue;
    tasks.push({
      kind: 'check',
      ...where,
      pullRequest: pull.number,
      head: pull.head.sha,
      actor: { login: 'aims-gate' },
    });
  }
  return tasks;
}
