import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Job, Queue, WaitingError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { withTimeout } from './deadline.js';
import {
  type QueueHealth,
  type QueueOptions,
  RETRY_DELAYS,
  type RunTask,
  type Scheduled,
  type WorkQueue,
} from './queue.js';
import { type Task, taskKey } from './tasks.js';

export interface RedisQueueOptions extends QueueOptions {
  /** redis://… as REDIS_URL gives it. */
  url: string;
  /** Keys under this prefix: two Apps may share a Redis under different names. */
  name?: string;
  /** Milliseconds a running task holds its lock; a process that dies hands its tasks back after this. */
  lockDuration?: number;
  /** Set false to enqueue only (a process that answers webhooks and runs nothing). */
  work?: boolean;
  /**
   * Called at each step of a task's way through Redis, in order: `scheduled` (the delivery, the task and its
   * job are stored), `ran` (the task ran), `deleted` (the task that ran is deleted), `completed` (its job is
   * removed). Tests kill a process there to show no step loses a task.
   */
  step?: (name: 'scheduled' | 'ran' | 'deleted' | 'completed', key: string) => void;
  /** Redis lost its data (restarted without persistence, flushed, failed over to an empty replica). */
  onDataLoss?: () => void;
}

/**
 * Marks the delivery seen (NX: a replay anywhere is ignored) and stores the task, run inside the same MULTI as
 * the job's creation, so a process killed at any point leaves all three or none. A duplicate stores nothing.
 */
const SCHEDULE = `if ARGV[1] ~= '' and not redis.call('set', KEYS[1], '1', 'EX', ARGV[2], 'NX') then return 'duplicate' end
if redis.call('set', KEYS[2], ARGV[3], 'GET') then return 'coalesced' end
return 'queued'`;

/** Deletes a key only while it still holds the value read: a newer task stored meanwhile stays. */
const DELETE_IF_UNCHANGED = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;

/** How long a delivery id is remembered: GitHub keeps deliveries for redelivery for 3 days. */
const DELIVERY_SECONDS = 7 * 24 * 3600;

/**
 * The durable queue: BullMQ on Redis, shared by every App process that points at the same REDIS_URL.
 *
 * The latest task for a key is kept in Redis beside one BullMQ job for the key (its id is derived from the
 * key, so a second add while it waits or runs is a no-op). The job runs whatever task the key holds when it
 * starts, and again if a newer one arrived while it ran, so a burst coalesces across instances. The task is
 * deleted only after it ran, so a process killed mid-task hands it back: BullMQ sees the stalled job and
 * another process runs it. A delivery id is stored with NX, so a replayed webhook is ignored everywhere; the
 * delivery id, the task and the job are written in one MULTI, so no crash leaves one without the others.
 */
export class RedisQueue implements WorkQueue {
  private readonly redis: Redis;
  private readonly queue: Queue;
  private worker?: Worker;
  private readonly prefix: string;
  private running = 0;
  /** The data-loss marker as this process last read it (see checkMarker). */
  private marker?: string;
  private readonly watch: ReturnType<typeof setInterval>;
  /** Resolves when shutdown's grace period is over: the tasks still running are handed back. */
  private handBack!: () => void;
  private readonly handedBack = new Promise<'handed back'>((resolve) => {
    this.handBack = () => resolve('handed back');
  });

  constructor(
    private readonly run: RunTask,
    private readonly options: RedisQueueOptions,
  ) {
    const name = options.name ?? 'aims-gate';
    this.prefix = `${name}:`;
    // Commands fail fast while Redis is away: the webhook then fails and GitHub can redeliver it.
    this.redis = connect(options.url, 1);
    this.queue = new Queue('tasks', {
      connection: connect(options.url, 1),
      prefix: name,
    });
    this.queue.on('error', () => {});
    if (options.work !== false) this.startWorker(name);
    // At start and after each reconnection: tasks a dead process left without a job, and lost data.
    const look = () => {
      void this.checkMarker().catch(() => {});
      if (options.work !== false) void this.requeueOrphans().catch(() => {});
    };
    this.redis.on('ready', look);
    this.watch = setInterval(() => void this.checkMarker().catch(() => {}), 5_000);
    this.watch.unref();
  }

  async schedule(task: Task, delivery?: string): Promise<Scheduled> {
    const key = taskKey(task);
    // One delivery may ask for several tasks (a check suite of several pull requests): each is one delivery.
    const deliveryKey = `${this.prefix}delivery:${delivery} ${key}`;
    const stored = JSON.stringify({ task, at: Date.now(), nonce: Math.random() });
    // With Redis away, BullMQ's client waits for it without end: fail at once (the webhook gets 503).
    if (['reconnecting', 'close', 'end'].includes(this.redis.status))
      throw new Error(`Redis is not reachable (${this.redis.status})`);
    const client = await answered(this.queue.backend.client, 2_000);
    // The job is added in the same transaction even for a duplicate: adding it again is a no-op while it
    // exists (its id is the key's), a job for a task already done finds nothing and ends, and one for a
    // task stored without a job (left by an older version) runs it.
    const multi = (client as unknown as Redis).multi();
    multi.eval(SCHEDULE, 2, deliveryKey, this.taskKey(key), delivery ? '1' : '', DELIVERY_SECONDS, stored);
    // Its error, if any, is the transaction's, read below (and caught now, in case exec times out first).
    const added = this.job(key)
      .addJob(multi as never)
      .catch(() => {});
    const results = await answered(multi.exec(), 5_000);
    await added;
    if (!results) throw new Error('Redis discarded the transaction that queues the task');
    for (const [error] of results) if (error) throw error;
    this.options.step?.('scheduled', key);
    return results[0]![1] as Scheduled;
  }

  async has(key: string): Promise<boolean> {
    // The task is deleted only after it ran: stored means waiting or running.
    return (await this.redis.exists(this.taskKey(key))) === 1;
  }

  /** Reachable and writable (a key written and expired), the depth, and how long the oldest task has waited. */
  async health(): Promise<QueueHealth> {
    try {
      const [counts, oldest] = await answered(
        Promise.all([
          this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized'),
          this.queue.getJobs(['wait', 'prioritized'], 0, 0, true),
          this.redis.set(`${this.prefix}health`, String(Date.now()), 'PX', 10_000),
        ]),
        2_000,
      );
      const since = oldest[0]?.timestamp;
      return {
        queue: {
          running: this.running,
          waiting: (counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0),
          oldestSeconds: since ? Math.max(0, (Date.now() - since) / 1000) : 0,
        },
        store: { kind: 'redis', reachable: true },
      };
    } catch (error) {
      return {
        queue: { running: this.running, waiting: 0, oldestSeconds: 0 },
        store: { kind: 'redis', reachable: false, error: (error as Error).message },
      };
    }
  }

  async idle(): Promise<void> {
    for (;;) {
      const counts = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      if (Object.values(counts).every((n) => n === 0)) return;
      await sleep(50);
    }
  }

  /**
   * Stops taking tasks and lets those under way finish for `grace` ms; a task still running then is handed
   * back to the queue at once (its job moved back to waiting; its task was never deleted), so another process
   * runs it without waiting for its lock to expire. The waiting tasks stay in Redis for the other processes.
   * With Redis gone nothing can be handed back: the locks expire and another process takes the tasks over.
   */
  async close(grace = 60_000): Promise<void> {
    const reachable = this.redis.status === 'ready';
    const within = (promise: Promise<unknown> | undefined, ms: number) =>
      answered(promise ?? Promise.resolve(), ms).catch(() => {});
    const closing = this.worker?.close();
    if (reachable) await within(closing, grace);
    this.handBack();
    await within(closing, reachable ? 5_000 : 100);
    clearInterval(this.watch);
    await within(this.queue.close(), reachable ? 5_000 : 100);
    await within(this.worker?.disconnect(), 1_000);
    await within(this.queue.disconnect(), 1_000);
    this.redis.disconnect();
  }

  /** Keys whose task is stored but has no job: left by a process that died between two steps. */
  async requeueOrphans(): Promise<number> {
    let requeued = 0;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}task:*`, 'COUNT', 500);
      cursor = next;
      for (const stored of keys) {
        const key = stored.slice(`${this.prefix}task:`.length);
        if (!(await this.queue.getJob(jobId(key)))) {
          await this.add(key);
          requeued++;
        }
      }
    } while (cursor !== '0');
    return requeued;
  }

  /**
   * Whether Redis lost its data since this process last looked: a marker written once (NX) is gone, or
   * another process has written a new one. Checked at start, after each reconnection and every few seconds;
   * a loss is reported to `onDataLoss` (the App logs it and reconciles at once).
   */
  async checkMarker(): Promise<boolean> {
    const key = `${this.prefix}marker`;
    const fresh = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
    await this.redis.set(key, fresh, 'NX');
    const now = await this.redis.get(key);
    const lost = this.marker !== undefined && now !== this.marker;
    this.marker = now ?? undefined;
    if (lost) this.options.onDataLoss?.();
    return lost;
  }

  async remember(key: string, value: string, seconds: number): Promise<void> {
    await this.redis.set(`${this.prefix}fact:${key}`, value, 'EX', seconds);
  }

  async recall(key: string): Promise<string | undefined> {
    return (await this.redis.get(`${this.prefix}fact:${key}`)) ?? undefined;
  }

  private taskKey(key: string): string {
    return `${this.prefix}task:${key}`;
  }

  /** The one job of a key: its id derives from the key, so adding it while it waits or runs is a no-op. */
  private job(key: string): Job {
    const delays = this.options.retryDelays ?? RETRY_DELAYS;
    return new Job(
      this.queue,
      'task',
      { key },
      {
        jobId: jobId(key),
        attempts: delays.length + 1,
        backoff: { type: 'aims-gate' },
        removeOnComplete: true,
        removeOnFail: true,
      },
      jobId(key),
    );
  }

  private async add(key: string): Promise<void> {
    await this.job(key).addJob((await this.queue.backend.client) as never);
  }

  private startWorker(name: string): void {
    const delays = this.options.retryDelays ?? RETRY_DELAYS;
    const lockDuration = this.options.lockDuration ?? 30_000;
    this.worker = new Worker('tasks', (job: Job<{ key: string }>, token) => this.process(job, token), {
      connection: connect(this.options.url, null),
      prefix: name,
      concurrency: this.options.concurrency,
      lockDuration,
      stalledInterval: Math.max(1_000, lockDuration / 2),
      // A task that stalled this often killed its process each time: give up on it rather than loop.
      maxStalledCount: 3,
      settings: { backoffStrategy: (attempts: number) => delays[attempts - 1] ?? delays.at(-1) ?? 1_000 },
    });
    this.worker.on('error', () => {});
    // A task stored after the job's last read and before its removal would have no job: add one now.
    this.worker.on('completed', (job) => {
      this.options.step?.('completed', job.data.key);
      void this.redis
        .exists(this.taskKey(job.data.key))
        .then((left) => (left ? this.add(job.data.key) : undefined))
        .catch(() => {});
    });
    this.worker.on('failed', (job, error) => {
      if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) {
        const { key } = job.data;
        void this.redis
          .get(this.taskKey(key))
          .then(async (raw) => {
            if (!raw) return;
            const { task } = JSON.parse(raw) as { task: Task };
            this.options.onGiveUp?.(task, error);
            // Given up for good: the stored task goes (else every sweep and process start would find it an
            // orphan and run its tries again), unless a newer one came; and its delivery is forgotten, so that
            // GitHub's redelivery of the webhook runs it anew.
            await this.redis.eval(DELETE_IF_UNCHANGED, 1, this.taskKey(key), raw);
            if (task.delivery) await this.redis.del(`${this.prefix}delivery:${task.delivery} ${key}`);
          })
          .catch(() => {});
      }
    });
  }

  /**
   * Deletes the task that ran unless a newer one was stored meanwhile (then returns false). Redis going
   * away here must not fail the job: its retry would run a finished task again. So: a few tries, then the
   * task stays stored and runs once more (a second check run, never a lost one).
   */
  private async done(stored: string, raw: string): Promise<boolean> {
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        return Boolean(await this.redis.eval(DELETE_IF_UNCHANGED, 1, stored, raw));
      } catch {
        await sleep(500 * (attempt + 1));
      }
    }
    return true;
  }

  /**
   * Runs the task the key holds, and again while a newer one arrived during the run (at most 10 rounds). At
   * shutdown, a task still running after the grace period is handed back: its job goes back to waiting (the
   * task itself is deleted only after it ran), and BullMQ is told the job moved on its own.
   */
  private async process(job: Job<{ key: string }>, token?: string): Promise<void> {
    const stored = this.taskKey(job.data.key);
    for (let round = 0; round < 10; round++) {
      const raw = await this.redis.get(stored);
      if (!raw) return;
      this.running++;
      try {
        const ran = this.run(JSON.parse(raw).task as Task, job.attemptsMade).then(() => 'ran' as const);
        if ((await Promise.race([ran, this.handedBack])) === 'handed back') {
          ran.catch(() => {}); // the process is stopping; the task runs again elsewhere
          await job.moveToWait(token);
          throw new WaitingError();
        }
      } finally {
        this.running--;
      }
      this.options.step?.('ran', job.data.key);
      const deleted = await this.done(stored, raw);
      this.options.step?.('deleted', job.data.key);
      if (deleted) return;
    }
  }
}

/** A Redis client whose errors are reported by health(), not thrown: ioredis reconnects by itself. */
function connect(url: string, maxRetriesPerRequest: number | null): Redis {
  // A command sent just before Redis went away would otherwise wait for it without end (the worker's
  // blocking connection excepted, whose commands wait by design).
  const client = new Redis(url, {
    maxRetriesPerRequest,
    ...(maxRetriesPerRequest === null ? {} : { commandTimeout: 5_000 }),
  });
  client.on('error', () => {});
  return client;
}

/** BullMQ job ids may not contain ':'; a digest of the key is short and safe. */
const jobId = (key: string) => createHash('sha256').update(key).digest('hex').slice(0, 32);

/** A Redis command's answer, or an error once `ms` have passed without one. */
const answered = <T>(promise: Promise<T>, ms: number) => withTimeout(promise, ms, 'no answer from Redis');
