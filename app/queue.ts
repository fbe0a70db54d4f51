/**
 * A bounded in-process queue that keeps only the latest task per key. A burst of webhooks for one pull
 * request runs the first task at once and, after it, only the last one that arrived: N events, at most two
 * evaluations. At most `concurrency` tasks run at a time; at most `capacity` keys wait, and beyond that
 * `schedule` refuses, so the webhook answers with an error and GitHub can redeliver it.
 */
export class LatestQueue {
  private readonly running = new Set<string>();
  /** Waiting tasks by key, in arrival order of their key; a later task for a key replaces the earlier. */
  private readonly waiting = new Map<string, () => Promise<void>>();
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly options: {
      concurrency: number;
      capacity: number;
      onError: (key: string, error: unknown) => void;
    },
  ) {}

  get size(): { running: number; waiting: number } {
    return { running: this.running.size, waiting: this.waiting.size };
  }

  /** Returns false when the task replaced one already waiting for the same key (coalesced). */
  schedule(key: string, task: () => Promise<void>): boolean {
    const replaced = this.waiting.delete(key);
    if (!replaced && this.waiting.size >= this.options.capacity)
      throw new Error(
        `aims-gate is busy: ${this.waiting.size} evaluations are waiting; redeliver this webhook later`,
      );
    this.waiting.set(key, task);
    this.pump();
    return !replaced;
  }

  /** Resolves when nothing runs and nothing waits: for graceful shutdown and tests. */
  idle(): Promise<void> {
    if (this.running.size === 0 && this.waiting.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    for (const [key, task] of this.waiting) {
      if (this.running.size >= this.options.concurrency) break;
      if (this.running.has(key)) continue; // one evaluation per key at a time; the latest waits its turn
      this.waiting.delete(key);
      this.running.add(key);
      task()
        .catch((error) => this.options.onError(key, error))
        .finally(() => {
          this.running.delete(key);
          this.pump();
          if (this.running.size === 0 && this.waiting.size === 0) {
            for (const resolve of this.idleWaiters.splice(0)) resolve();
          }
        });
    }
  }
}
