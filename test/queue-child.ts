// A process running the App's Redis queue, for test/integration/app-queue-kill.test.ts: it schedules TASKS tasks (one
// delivery each), runs them (a task's run is recorded in the Redis set `<QUEUE_NAME>:ran`), and kills itself
// with SIGKILL at the first time a task reaches the step KILL_AT. Bundled by the test with esbuild.
import { Redis } from 'ioredis';
import { RedisQueue } from '../app/redis-queue.js';
import { type CheckTask, taskKey } from '../app/tasks.js';

const env = process.env;
const name = env.QUEUE_NAME!;
const redis = new Redis(env.REDIS_URL!);
const queue = new RedisQueue(
  async (task) => {
    await redis.sadd(`${name}:ran`, taskKey(task));
  },
  {
    url: env.REDIS_URL!,
    name,
    concurrency: 2,
    lockDuration: 1_000,
    retryDelays: [100],
    step: (step) => {
      if (step === env.KILL_AT) process.kill(process.pid, 'SIGKILL');
    },
  },
);
for (let n = 0; n < Number(env.TASKS); n++) await queue.schedule(task(n), `delivery-${n}`);

export function task(n: number): CheckTask {
  return {
    kind: 'check',
    installation: 1,
    owner: 'acme',
    repo: 'ml',
    pullRequest: n,
    head: 'c'.repeat(40),
    actor: { login: 'dev' },
  };
}
