import { type Task, taskKey } from './tasks.js';

/** What `schedule` did with a task: queued it, merged it into one waiting for the same key, or ignored a replay. */
export type Scheduled = 'queued' | 'coalesced' | 'duplicate';

export interface QueueHealth {
  /** Tasks running (here) and waiting (everywhere the queue reaches). */
  queue: { running: number; waiting: number; oldestSeconds: number };
  /** Where the queue lives, and whether it answers. */
  store: { kind: 'memory' | 'redis'; reachable: boolean; error?: string };
}

/**
 * Where the App's tasks wait. Two kinds: `MemoryQueue` in one process (the default), and `RedisQueue`
 * (app/redis-queue.ts) shared by several processes, which loses nothing on a restart. Both coalesce tasks by
 * key, ignore a delivery seen before, retry a failed task with backoff, and keep small facts (`remember`)
 * that a retried task needs, such as the decision already given for a deployment.
 */
export interface WorkQueue {
  /** Throws when the task cannot be kept: the webhook then fails and GitHub can redeliver it. */
  schedule(task: Task, delivery?: string): Promise<Scheduled>;
  health(): Promise<QueueHealth>;
  /** Resolves when no task runs or waits (for tests and benchmarks). */
  idle(): Promise<void>;
  /**
   * Stops taking tasks and lets those under way finish for `grace` ms; the rest stay queued and those still
   * running are handed back (Redis), or are dropped (memory: reconciliation finds them again).
   */
  close(grace?: number): Promise<void>;
  /** Whether a task with this key (app/tasks.ts) waits or runs: a sweep leaves what is under way alone. */
  has(key: string): Promise<boolean>;
  /** Tasks a dead process left stored without a job, queued again (Redis); how many. */
  requeueOrphans?(): Promise<number>;
  remember(key: string, value: string, seconds: number): Promise<void>;
  recall(key: string): Promise<string | undefined>;
}

export interface QueueOptions {
  /** Tasks at a time in this process. */
  concurrency: number;
  /** Milliseconds before each retry of a failed task; its length is the number of retries. */
  retryDelays?: number[];
  /** A task that failed every try: logged where operators look (reconciliation picks it up later). */
  onGiveUp?: (task: Task, error: unknown) => void;
}

/** Runs a task; `attempt` is 0 the first time, and counts the retries after a failure. */
export type RunTask = (task: Task, attempt: number) => Promise<void>;

export const RETRY_DELAYS = [1_000, 5_000, 30_000, 120_000];

/** Deliveries remembered to ignore a replay: GitHub redelivers with the same id. */
const DELIVERIES_KEPT = 10_000;

/**
 * The embedded queue: bounded, in this process. A burst of events for one pull request runs at most two
 * checks: the one running and the latest waiting. At most `capacity` keys wait; beyond that `schedule`
 * throws, so the webhook answers with an error and GitHub can redeliver it.
 */
export class MemoryQueue implements WorkQueue {
  private readonly running = new Set<string>();
  /** Waiting tasks by key, in arrival order of their key; a later task for a key replaces the earlier. */
  private readonly waiting = new Map<string, { task: Task; attempt: number; at: number }>();
  private readonly retrying = new Set<ReturnType<typeof setTimeout>>();
  private readonly deliveries = new Set<string>();
  private readonly facts = new Map<string, { value: string; until: number }>();
  private idleWaiters: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly run: RunTask,
    private readonly options: QueueOptions & { capacity: number },
  ) {}

  async schedule(task: Task, delivery?: string): Promise<Scheduled> {
    if (this.closed) throw new Error('aims-gate is shutting down; redeliver this webhook later');
    // One delivery may ask for several tasks (a check suite of several pull requests): each is one delivery.
    const seen = delivery && `${delivery} ${taskKey(task)}`;
    if (seen && this.deliveries.has(seen)) return 'duplicate';
    const scheduled = this.enqueue(task, 0);
    if (seen) this.seen(seen);
    return scheduled;
  }

  async has(key: string): Promise<boolean> {
    return this.waiting.has(key) || this.running.has(key);
  }

  async health(): Promise<QueueHealth> {
    return {
      queue: {
        running: this.running.size,
        waiting: this.waiting.size + this.retrying.size,
        oldestSeconds: this.oldest ? (Date.now() - this.oldest) / 1000 : 0,
      },
      store: { kind: 'memory', reachable: true },
    };
  }

  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(grace = 60_000): Promise<void> {
    this.closed = true;
    for (const timer of this.retrying) clearTimeout(timer);
    this.retrying.clear();
    this.waiting.clear();
    if (this.running.size)
      await Promise.race([this.idle(), new Promise((resolve) => setTimeout(resolve, grace).unref())]);
  }

  /** When the task waiting longest was queued (tasks wait in arrival order of their key). */
  private get oldest(): number | undefined {
    return this.waiting.values().next().value?.at;
  }

  async remember(key: string, value: string, seconds: number): Promise<void> {
    this.facts.set(key, { value, until: Date.now() + seconds * 1000 });
  }

  async recall(key: string): Promise<string | undefined> {
    const fact = this.facts.get(key);
    if (fact && fact.until < Date.now()) this.facts.delete(key);
    return fact && fact.until >= Date.now() ? fact.value : undefined;
  }

  private enqueue(task: Task, attempt: number): Scheduled {
    const key = taskKey(task);
    const replaced = this.waiting.delete(key);
    if (!replaced && this.waiting.size >= this.options.capacity)
      throw new Error(
        `aims-gate is busy: ${this.waiting.size} tasks are waiting; redeliver this webhook later`,
      );
    this.waiting.set(key, { task, attempt, at: Date.now() });
    this.pump();
    return replaced ? 'coalesced' : 'queued';
  }

  private seen(delivery: string): void {
    this.deliveries.add(delivery);
    if (this.deliveries.size > DELIVERIES_KEPT) {
      this.deliveries.delete(this.deliveries.values().next().value!);
    }
  }

  private isIdle(): boolean {
    return this.running.size === 0 && this.waiting.size === 0 && this.retrying.size === 0;
  }

  private pump(): void {
    for (const [key, { task, attempt }] of this.waiting) {
      if (this.running.size >= this.options.concurrency) break;
      if (this.running.has(key)) continue; // one task per key at a time; the latest waits its turn
      this.waiting.delete(key);
      this.running.add(key);
      this.run(task, attempt)
        .catch((error) => this.failed(key, task, attempt, error))
        .finally(() => {
          this.running.delete(key);
          this.pump();
          if (this.isIdle()) for (const resolve of this.idleWaiters.splice(0)) resolve();
        });
    }
  }

  /** Tries again after the next delay, unless a newer task for the key has arrived meanwhile. */
  private failed(key: string, task: Task, attempt: number, error: unknown): void {
    const delays = this.options.retryDelays ?? RETRY_DELAYS;
    if (attempt >= delays.length || this.closed) {
      this.options.onGiveUp?.(task, error);
      // Given up: GitHub's redelivery of its webhook (an operator's, from the App's settings) runs it anew.
      if (task.delivery) this.deliveries.delete(`${task.delivery} ${key}`);
      return;
    }
    const timer = setTimeout(() => {
      this.retrying.delete(timer);
      try {
        if (!this.waiting.has(key) && !this.closed) this.enqueue(task, attempt + 1);
      } catch (busy) {
        this.options.onGiveUp?.(task, busy);
      }
      if (this.isIdle()) for (const resolve of this.idleWaiters.splice(0)) resolve();
    }, delays[attempt]);
    this.retrying.add(timer);
  }
}
