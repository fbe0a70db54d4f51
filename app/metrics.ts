import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { WorkQueue } from './queue.js';

/**
 * Every answer GitHub gave this process, by method and status (0: no answer), counted where Octokit calls
 * fetch, so each retry is seen (a 403 waited out, then a 200, is two). One for the process: every App's
 * Octokit in it shares it (app/octokit.ts).
 */
export const githubRequests = new Counter({
  name: 'aims_gate_github_requests_total',
  help: 'HTTP requests to GitHub, by method and status (0: no answer)',
  labelNames: ['method', 'status'] as const,
  registers: [],
});

/** The fetch Octokit uses, counting each request into `githubRequests`. */
export function countingFetch(fetch: typeof globalThis.fetch = globalThis.fetch): typeof globalThis.fetch {
  // Probot builds each installation's Octokit from the App's options, whose fetch already counts: once is enough.
  if (counting.has(fetch)) return fetch;
  const counted: typeof globalThis.fetch = async (input, init) => {
    const method = (init?.method ?? 'GET').toUpperCase();
    try {
      const response = await fetch(input, init);
      githubRequests.inc({ method, status: String(response.status) });
      return response;
    } catch (error) {
      githubRequests.inc({ method, status: '0' });
      throw error;
    }
  };
  counting.add(counted);
  return counted;
}
const counting = new WeakSet<typeof globalThis.fetch>();

/** The App's Prometheus metrics (GET /metrics), one registry per App, with Node's own (memory, event loop). */
export function appMetrics(queue: WorkQueue) {
  const registry = new Registry();
  registry.registerMetric(githubRequests);
  collectDefaultMetrics({ register: registry, prefix: 'aims_gate_' });
  const age = new Gauge({
    name: 'aims_gate_queue_oldest_waiting_seconds',
    help: 'How long the task waiting longest has waited',
    registers: [],
  });
  // Registered before `age`, so its collect (one look at the queue) sets both before either is written.
  registry.registerMetric(
    new Gauge({
      name: 'aims_gate_queue_tasks',
      help: 'Tasks waiting (everywhere the queue reaches) and running (in this process)',
      labelNames: ['state'] as const,
      registers: [],
      async collect() {
        const health = await queue.health();
        this.set({ state: 'waiting' }, health.queue.waiting);
        this.set({ state: 'running' }, health.queue.running);
        age.set(health.queue.oldestSeconds);
      },
    }),
  );
  registry.registerMetric(age);
  return {
    registry,
    evaluations: new Counter({
      name: 'aims_gate_evaluations_total',
      help: 'Tasks run, by kind (check, protection, review) and outcome (success, failure, neutral, skipped, approved, rejected, recorded, error)',
      labelNames: ['kind', 'outcome'] as const,
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'aims_gate_evaluation_seconds',
      help: 'Time to run a task, from its start to its check run or answer, by kind',
      labelNames: ['kind'] as const,
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120],
      registers: [registry],
    }),
    webhooks: new Counter({
      name: 'aims_gate_webhooks_total',
      help: 'Webhooks answered, by event and HTTP status (200 queued or ignored; 4xx and 5xx refused)',
      labelNames: ['event', 'status'] as const,
      registers: [registry],
    }),
    reconciliations: new Counter({
      name: 'aims_gate_reconciliations_total',
      help: 'Reconciliation sweeps, by what started them (start, schedule, data-loss, request) and result',
      labelNames: ['trigger', 'result'] as const,
      registers: [registry],
    }),
    dataLoss: new Counter({
      name: 'aims_gate_redis_data_loss_total',
      help: 'Times this process found that Redis had lost its data',
      registers: [registry],
    }),
  };
}
