import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
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
}

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
 * another process runs it. A delivery id is stored with NX, so a replayed webhook is ignored everywhere.
 */
export class RedisQueue implements WorkQueue {
  private readonly redis: Redis;
  private readonly queue: Queue;
  private worker?: Worker;
  private readonly prefix: string;
  private running = 0;

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
  }

  async schedule(task: Task, delivery?: string): Promise<Scheduled> {
    // One delivery may ask for several tasks (a check suite of several pull requests): each is one delivery.
    const deliveryKey = `${this.prefix}delivery:${delivery} ${taskKey(task)}`;
    if (delivery && !(await this.redis.set(deliveryKey, '1', 'EX', DELIVERY_SECONDS, 'NX')))
      return 'duplicate';
    try {
      const key = taskKey(task);
      const stored = JSON.stringify({ task, at: Date.now(), nonce: Math.random() });
      const previous = await this.redis.set(this.taskKey(key), stored, 'GET');
      await this.add(key);
      return previous ? 'coalesced' : 'queued';
    } catch (error) {
      // Not kept: forget the delivery, so GitHub's redelivery is taken.
      if (delivery) await this.redis.del(deliveryKey).catch(() => {});
      throw error;
    }
  }

  async health(): Promise<QueueHealth> {
    try {
      const counts = await withTimeout(
        this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized'),
        2_000,
      );
      return {
        queue: {
          running: this.running,
          waiting: (counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0),
        },
        store: { kind: 'redis', reachable: true },
      };
    } catch (error) {
      return {
        queue: { running: this.running, waiting: 0 },
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
   * BullMQ's close waits for the tasks under way; the waiting ones stay in Redis for the other processes. With
   * Redis gone it would wait forever: after `closeWithin` ms (inside a usual 30 s kill grace period) the
   * tasks still held are left to their locks, which expire, and another process takes them over.
   */
  async close(closeWithin = 25_000): Promise<void> {
    const limit = this.redis.status === 'ready' ? closeWithin : 100;
    const within = (promise: Promise<unknown> | undefined) =>
      withTimeout(promise ?? Promise.resolve(), limit).catch(() => {});
    await within(this.worker?.close());
    await within(this.queue.close());
    await within(this.worker?.disconnect());
    await within(this.queue.disconnect());
    this.redis.disconnect();
  }

  async remember(key: string, value: string, seconds: number): Promise<void> {
    await this.redis.set(`${this.prefix}fact:${key}`, value, 'EX', seconds);
  }

  async recall(key: string): Promise<string | undefined> {
    return (await this.redis.get(`${this.prefix}fact:${key}`)) ?? undefined;
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
        const job = await this.queue.getJob(jobId(key));
        if (!job) {
          await this.add(key);
          requeued++;
        }
      }
    } while (cursor !== '0');
    return requeued;
  }

  private taskKey(key: string): string {
    return `${this.prefix}task:${key}`;
  }

  private add(key: string): Promise<Job> {
    const delays = this.options.retryDelays ?? RETRY_DELAYS;
    return this.queue.add(
      'task',
      { key },
      {
        jobId: jobId(key),
        attempts: delays.length + 1,
        backoff: { type: 'aims-gate' },
        removeOnComplete: true,
        removeOnFail: true,
      },
    );
  }

  private startWorker(name: string): void {
    const delays = this.options.retryDelays ?? RETRY_DELAYS;
    const lockDuration = this.options.lockDuration ?? 30_000;
    this.worker = new Worker('tasks', (job: Job<{ key: string }>) => this.process(job), {
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
      void this.redis
        .exists(this.taskKey(job.data.key))
        .then((left) => (left ? this.add(job.data.key) : undefined))
        .catch(() => {});
    });
    this.worker.on('failed', (job, error) => {
      if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) {
        const stored = this.redis.get(this.taskKey(job.data.key));
        void stored
          .then((raw) => raw && this.options.onGiveUp?.(JSON.parse(raw).task, error))
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

  /** Runs the task the key holds, and again while a newer one arrived during the run (at most 10 rounds). */
  private async process(job: Job<{ key: string }>): Promise<void> {
    const stored = this.taskKey(job.data.key);
    for (let round = 0; round < 10; round++) {
      const raw = await this.redis.get(stored);
      if (!raw) return;
      this.running++;
      try {
        await this.run(JSON.parse(raw).task as Task, job.attemptsMade);
      } finally {
        this.running--;
      }
      if (await this.done(stored, raw)) return;
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

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
