import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApplicationFunctionOptions, Context, Probot } from 'probot';
import type { Signer } from '../src/audit/signature.js';
import type { GitHub } from '../src/github/octokit.js';
import { runCheck } from './check-run.js';
import { withTimeout } from './deadline.js';
import { answerProtectionRule, recordDeploymentReview } from './deployment.js';
import { appMetrics } from './metrics.js';
import { MemoryQueue, type QueueOptions, type WorkQueue } from './queue.js';
import { reconcile } from './reconcile.js';
import { RedisQueue } from './redis-queue.js';
import { type Actor, type CheckTask, type Task, taskKey } from './tasks.js';

export interface AppOptions {
  /** Tasks at a time in this process, across all repositories. */
  concurrency?: number;
  /** Pull requests and deployments that may wait in memory; beyond that a webhook is refused and redelivered. */
  capacity?: number;
  /** YYYY-MM-DD to evaluate as of (tests); today otherwise. */
  today?: () => string;
  /** redis://…: tasks go through BullMQ on Redis, shared by every process pointing there. */
  redisUrl?: string;
  /** The queue's name on Redis (two Apps, or two test runs, on one Redis). */
  queueName?: string;
  /** Milliseconds a process holds a running task on Redis before another may take it over. */
  lockDuration?: number;
  /** Milliseconds before each retry of a failed task. */
  retryDelays?: number[];
  /** Milliseconds between reconciliations (0: only when asked); the first runs at start. */
  reconcileEvery?: number;
  /** Bytes of webhook bodies read at once, all requests together (default 100 MiB); past it, 503. */
  bodyBudget?: number;
  /** The App's signing key (app/signing.ts): every entry it writes is signed with it. */
  signer?: Signer;
  /** Milliseconds the tasks under way may take to finish at shutdown (default 60 s); then they are handed back. */
  shutdownGrace?: number;
  /** Seconds the oldest waiting task may wait before /health/ready says work is not progressing (600). */
  stuckAfter?: number;
}

export { AppOctokit } from './octokit.js';

/** GitHub refuses to send a webhook payload over 25 MB: a larger body is not GitHub's, and is not read. */
export const MAX_WEBHOOK_BYTES = 25 * 1024 * 1024;
/** A webhook body being read: its declared length, and when and where on its socket it started. */
interface Body {
  req: IncomingMessage;
  length: number;
  start: number;
  from: number;
}

/** How long a webhook's handler may take to list a fork's pull requests before it fails the delivery. */
const LISTING_MS = 5_000;
/** Bytes a second below which a body being read gives up its share of the budget once it is spent. */
const SLOWEST_BODY = 256 * 1024;
export const WEBHOOK_PATH = '/api/github/webhooks';

/**
 * The aims-gate GitHub App. Webhook handlers only turn events into tasks (app/tasks.ts) and queue them; a
 * task runs after GitHub has had its answer, in this process or, with Redis, in any of them. Every task ends
 * in something GitHub shows: a completed check run or a protection-rule answer, with the reason when it
 * could not decide. Reconciliation finds what was missed (a lost webhook, a process that died) and queues it.
 */
export function aimsGateApp(options: AppOptions = {}) {
  const { concurrency = 4, capacity = 1000, today = isoToday } = options;
  let probot: Probot | undefined;
  let loaded: () => void;
  const ready = new Promise<void>((resolve) => {
    loaded = resolve;
  });
  let timer: ReturnType<typeof setInterval> | undefined;
  /** Bytes of webhook bodies being read now, and how many may be. */
  let reading = 0;
  const bodyBudget = options.bodyBudget ?? 4 * MAX_WEBHOOK_BYTES;
  /** Bodies being read. */
  const bodies = new Set<Body>();
  const stuckAfter = options.stuckAfter ?? 600;

  const queueOptions: QueueOptions = {
    concurrency,
    ...(options.retryDelays ? { retryDelays: options.retryDelays } : {}),
    // A task that failed every try: reconciliation finds it again; say so where operators look.
    onGiveUp: (task, error) =>
      probot?.log.error({ err: error, task: taskKey(task) }, `gave up on ${taskKey(task)} after retries`),
  };
  const queue: WorkQueue = options.redisUrl
    ? new RedisQueue(runTask, {
        ...queueOptions,
        url: options.redisUrl,
        ...(options.queueName ? { name: options.queueName } : {}),
        ...(options.lockDuration ? { lockDuration: options.lockDuration } : {}),
        // What waited in Redis is gone: ask GitHub at once what is unchecked or unanswered.
        onDataLoss: () => {
          probot?.log.error(
            'Redis lost its data (restarted without persistence, or flushed): reconciling with GitHub now',
          );
          metrics.dataLoss.inc();
          void (sweeping ?? Promise.resolve()).catch(() => {}).then(() => sweep('data-loss'));
        },
      })
    : new MemoryQueue(runTask, { ...queueOptions, capacity });
  const metrics = appMetrics(queue);
  /** Set by close(): /health/ready then answers 503, so a load balancer stops sending webhooks here. */
  let closing = false;

  /** When this process last finished a task: a backlog it works through is progress, not a stuck queue. */
  let lastFinished = Date.now();

  /** Runs a task, counted and timed for /metrics by its kind and outcome. */
  async function runTask(task: Task): Promise<void> {
    const stop = metrics.latency.startTimer({ kind: task.kind });
    let outcome = 'error';
    try {
      outcome = await perform(task);
    } finally {
      stop();
      lastFinished = Date.now();
      metrics.evaluations.inc({ kind: task.kind, outcome });
    }
  }

  async function perform(task: Task): Promise<string> {
    await ready;
    const github = (await probot!.auth(task.installation)) as unknown as GitHub;
    // Every line carries the delivery id (as Probot's own lines do), the repository and the task.
    const log = probot!.log.child({
      ...(task.delivery ? { id: task.delivery } : {}),
      repository: `${task.owner}/${task.repo}`,
      task: taskKey(task),
    });
    switch (task.kind) {
      case 'check':
        return runCheck({ github, task, log, today: today(), signer: options.signer, ledger: queue });
      case 'protection':
        return answerProtectionRule({
          github,
          task,
          log,
          today: today(),
          ledger: queue,
          signer: options.signer,
        });
      case 'review':
        await recordDeploymentReview({ github, task, log, signer: options.signer });
        return 'recorded';
    }
  }

  /**
   * Queues a task for the event; a replayed delivery is ignored. One the queue cannot keep (Redis away, the
   * memory queue full, shutting down) fails the webhook with 503, so GitHub's redelivery is taken.
   */
  async function enqueue(context: Context, task: Task): Promise<void> {
    let scheduled: Awaited<ReturnType<WorkQueue['schedule']>>;
    try {
      scheduled = await queue.schedule(task, context.id);
    } catch (error) {
      throw Object.assign(new Error(`the task could not be queued: ${(error as Error).message}`), {
        status: 503,
      });
    }
    if (scheduled !== 'queued') context.log.debug({ task: taskKey(task) }, scheduled);
  }

  const app = (app: Probot, { addHandler }: Partial<ApplicationFunctionOptions> = {}) => {
    probot = app;
    loaded();
    // Without an HTTP server (probot.receive, a serverless adapter) Probot refuses routes: none are needed.
    if (addHandler) {
      try {
        addHandler(guard);
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
      async (context) => enqueue(context, checkTask(context, context.payload.pull_request)),
    );
    app.on('check_run.rerequested', async (context) =>
      recheck(context, context.payload.check_run.pull_requests, context.payload.check_run.head_sha),
    );
    app.on('check_suite.rerequested', async (context) =>
      recheck(context, context.payload.check_suite.pull_requests, context.payload.check_suite.head_sha),
    );
    app.on('check_run.requested_action', async (context) => {
      // GitHub sends requested_action only to the App that made the check run.
      const explain = context.payload.requested_action?.identifier === 'explain';
      await recheck(
        context,
        context.payload.check_run.pull_requests,
        context.payload.check_run.head_sha,
        explain,
      );
    });
    // A merge queue asks for the required checks on the group's head commit: without this, a required
    // aims-gate check would never report there, and the queue would wait until it timed out.
    app.on('merge_group.checks_requested', async (context) => {
      const group = context.payload.merge_group;
      // GitHub names the group's branch gh-readonly-queue/<base>/pr-<number>-<sha>: its latest pull request.
      const number = /\/pr-(\d+)-[0-9a-f]+$/.exec(group.head_ref)?.[1];
      if (!number) {
        context.log.error(
          { ref: group.head_ref },
          'a merge group whose branch names no pull request: no check',
        );
        return;
      }
      const strip = (ref: string) => ref.replace(/^refs\/heads\//, '');
      await enqueue(context, {
        ...checkTask(context, { number: Number(number), head: { sha: group.head_sha } }),
        mergeGroup: { base: group.base_sha, baseRef: strip(group.base_ref), headRef: strip(group.head_ref) },
      });
    });
    app.on('deployment_protection_rule.requested', async (context) => {
      const { payload } = context;
      const run = /\/actions\/runs\/(\d+)\/deployment_protection_rule/.exec(
        payload.deployment_callback_url ?? '',
      )?.[1];
      if (!run) {
        // Nowhere to answer: GitHub times the deployment out; say so loudly.
        context.log.error(
          { callback: payload.deployment_callback_url },
          'deployment_protection_rule without a usable deployment_callback_url',
        );
        return;
      }
      const commit = payload.deployment?.sha ?? (payload as { sha?: string }).sha;
      await enqueue(context, {
        kind: 'protection',
        ...where(context),
        environment: payload.environment ?? '',
        ...(commit ? { commit } : {}),
        run: Number(run),
        ...(payload.deployment?.id ? { deployment: payload.deployment.id } : {}),
        actor: actorOf(payload.sender),
      });
    });
    app.on(['deployment_review.approved', 'deployment_review.rejected'], async (context) => {
      const { payload } = context;
      await enqueue(context, {
        kind: 'review',
        ...where(context),
        state: payload.action,
        environments: (payload.workflow_job_runs ?? []).flatMap((run) =>
          run.environment ? [run.environment] : [],
        ),
        commit: payload.workflow_run?.head_sha ?? '',
        reviewer: payload.approver?.login
          ? actorOf({ login: payload.approver.login, id: payload.approver.id })
          : actorOf({ login: payload.sender.login }),
        ...(payload.comment ? { comment: payload.comment } : {}),
        run: payload.workflow_run?.id ?? 0,
        ...(payload.workflow_run?.run_attempt ? { attempt: payload.workflow_run.run_attempt } : {}),
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

    if (options.reconcileEvery) {
      void sweep('start');
      timer = setInterval(() => void sweep('schedule'), options.reconcileEvery);
      timer.unref();
    }
  };

  function release(body: Body): void {
    if (bodies.delete(body)) reading -= body.length;
  }

  /**
   * Before Probot reads a webhook: a body over GitHub's limit is refused unread (413), one of unknown length
   * too (411; GitHub always sends Content-Length). Also `/health`: queue depth and whether its store answers.
   */
  async function guard(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'POST' && path === WEBHOOK_PATH) {
      watch(req, res);
      const length = Number(req.headers['content-length']);
      if (req.headers['content-length'] === undefined || !Number.isSafeInteger(length) || length < 0)
        return refuse(res, 411, 'a webhook must say its Content-Length');
      if (length > MAX_WEBHOOK_BYTES)
        return refuse(res, 413, `a webhook body is at most ${MAX_WEBHOOK_BYTES} bytes (GitHub's limit)`);
      // Bodies are read whole before their signature can be checked: bound what all of them hold at once.
      // Anyone can declare a large body and send nothing: when the budget is spent, a body arriving slower
      // than SLOWEST_BODY gives its share up, so that stalled connections cannot keep GitHub's out.
      if (reading + length > bodyBudget) {
        const now = Date.now();
        for (const body of bodies) {
          if (reading + length <= bodyBudget) break;
          const seconds = (now - body.start) / 1000;
          if (seconds >= 0.1 && body.req.socket.bytesRead - body.from < seconds * SLOWEST_BODY) {
            release(body);
            body.req.socket.destroy();
          }
        }
      }
      if (reading + length > bodyBudget)
        return refuse(res, 503, 'too many webhook bodies are being read; redeliver this webhook later');
      const body = { req, length, start: Date.now(), from: req.socket.bytesRead };
      bodies.add(body);
      reading += length;
      res.once('close', () => release(body));
      return false;
    }
    // HEAD as GET (Node sends no body for it): some load balancers' health checks use it.
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (path === '/health/live') {
      // The process answers: nothing else, so a Redis outage does not get every replica restarted.
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return true;
    }
    if (path === '/health/ready' || path === '/health') {
      const health = await queue.health();
      const problems = [
        ...(closing ? ['shutting down'] : []),
        ...(health.store.reachable ? [] : [`the queue's store does not answer: ${health.store.error}`]),
        // Stuck: a task waiting long while none finished for as long. A long backlog worked through steadily
        // (700 pull requests at a write a second) is not: every replica unready at once would be an outage.
        ...(health.queue.oldestSeconds > stuckAfter && (Date.now() - lastFinished) / 1000 > stuckAfter
          ? [
              `a task has waited ${Math.round(health.queue.oldestSeconds)} s and none finished in ${Math.round((Date.now() - lastFinished) / 1000)} s: work is not progressing`,
            ]
          : []),
      ];
      res.writeHead(problems.length ? 503 : 200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          status: problems.length ? 'unavailable' : 'ok',
          ...(problems.length ? { problems } : {}),
          ...health,
          limiter: { writes: 'paced in this process', reads: 'paced in this process' },
        }),
      );
      return true;
    }
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(await metrics.registry.metrics());
      return true;
    }
    return false;
  }

  /**
   * Every webhook refused (4xx, 5xx) is logged once, at warn, with its delivery id, event and the reason
   * given to GitHub (the webhooks library's own error line, which carried the payload, is dropped: app/log.ts).
   */
  function watch(req: IncomingMessage, res: ServerResponse): void {
    let reason = '';
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.end = ((...args: unknown[]) => {
      if (res.statusCode >= 400 && (typeof args[0] === 'string' || Buffer.isBuffer(args[0])))
        reason = String(args[0]).slice(0, 500);
      return end(...args);
    }) as typeof res.end;
    res.once('finish', () => {
      // The event as the header names it only once the request was taken: anyone can send any header, and
      // each new value would be a series of its own, without bound.
      const event = String(req.headers['x-github-event'] ?? '');
      metrics.webhooks.inc({
        event: res.statusCode < 400 && /^[a-z_]{1,64}$/.test(event) ? event : 'refused',
        status: String(res.statusCode),
      });
      if (res.statusCode < 400) return;
      let said = reason;
      try {
        said = JSON.parse(reason).error ?? reason;
      } catch {}
      probot?.log.warn(
        {
          id: req.headers['x-github-delivery'],
          webhook: req.headers['x-github-event'],
          status: res.statusCode,
          reason: said,
        },
        `webhook refused (${res.statusCode}): ${said}`,
      );
    });
  }

  /** One check task per pull request; the handler keeps only what the task needs, never the event. */
  function checkTask(
    context: Context,
    pr: { number: number; head: { sha: string } },
    explain = false,
  ): CheckTask {
    return {
      kind: 'check',
      ...where(context),
      pullRequest: pr.number,
      head: pr.head.sha,
      ...(explain ? { explain } : {}),
      actor: context.payload.sender ? actorOf(context.payload.sender) : { login: 'aims-gate' },
    };
  }

  /**
   * Re-runs for the pull requests a check run or suite belongs to. GitHub lists none for a pull request from a
   * fork: those are found among the open pull requests by their head.
   */
  async function recheck(context: Context, prs: { number: number }[], head: string, explain = false) {
    const github = context.octokit as unknown as GitHub;
    // GitHub names no pull request for a fork's head: they are listed here, before the webhook is answered,
    // within 5 s. Probot answers 202 once a handler has run 9 s, and a listing that failed after that would
    // leave the re-run dropped behind a delivery GitHub shows as done; failed sooner, the delivery shows failed.
    let numbers = prs.map((p) => p.number);
    if (!prs.length) {
      const open = await withTimeout(
        github.paginate(github.rest.pulls.list, { ...context.repo(), state: 'open', per_page: 100 }),
        LISTING_MS,
        'GitHub did not list the open pull requests',
      );
      numbers = open.filter((p) => p.head.sha === head).map((p) => p.number);
    }
    for (const number of numbers)
      await enqueue(context, checkTask(context, { number, head: { sha: head } }, explain));
  }

  /** A sweep started by the App itself: counted, and its failure logged (the next one tries again). */
  async function sweep(trigger: 'start' | 'schedule' | 'data-loss'): Promise<void> {
    try {
      await reconcileNow(trigger);
    } catch (error) {
      probot?.log.error({ err: error }, 'reconciliation failed');
    }
  }

  /**
   * One sweep at a time: a slow one is not overtaken by the next. Each first queues again the tasks a dead
   * process left stored without a job (Redis), then asks GitHub what webhooks missed.
   */
  let sweeping: ReturnType<typeof reconcile> | undefined;
  async function reconcileNow(trigger = 'request') {
    await ready;
    sweeping ??= (async () => {
      const orphans = (await queue.requeueOrphans?.()) ?? 0;
      if (orphans) probot!.log.warn({ orphans }, `requeued ${orphans} tasks left without a job`);
      return reconcile({ probot: probot!, queue, log: probot!.log });
    })().then(
      (done) => {
        metrics.reconciliations.inc({ trigger, result: done.errors.length ? 'partial' : 'ok' });
        return done;
      },
      (error) => {
        metrics.reconciliations.inc({ trigger, result: 'failed' });
        throw error;
      },
    );
    void sweeping
      .finally(() => {
        sweeping = undefined;
      })
      .catch(() => {});
    return sweeping;
  }

  /** Stops sweeping and taking tasks; those under way get `grace` ms, then go back to the queue (Redis). */
  async function close(grace = options.shutdownGrace ?? 60_000): Promise<void> {
    closing = true;
    if (timer) clearInterval(timer);
    await queue.close(grace);
  }

  return Object.assign(app, { queue, reconcile: reconcileNow, close });
}

function where(context: Context): { installation: number; owner: string; repo: string; delivery: string } {
  const installation = (context.payload as { installation?: { id: number } }).installation?.id;
  if (!installation)
    throw new Error('the event names no installation: aims-gate acts only as an installed App');
  const { owner, repo } = context.repo();
  return { installation, owner, repo, delivery: context.id };
}

/** A webhook's user: GitHub signed the payload that names them. */
const actorOf = (user: { login: string; id?: number }): Actor => ({
  login: user.login,
  ...(user.id ? { id: user.id } : {}),
  via: 'github',
});

function refuse(res: ServerResponse, status: number, message: string): true {
  res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
  res.end(JSON.stringify({ error: message }));
  return true;
}

const isoToday = () => new Date().toISOString().slice(0, 10);

export default aimsGateApp();
