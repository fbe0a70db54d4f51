import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisQueue } from '../../app/redis-queue.js';
import { type CheckTask, taskKey } from '../../app/tasks.js';
import { startRedis } from '../redis.js';

// A process running the queue is killed (SIGKILL) at each step a task goes through on Redis; GitHub then
// redelivers what was not answered, and another process takes over. No task may be lost at any step.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = join(ROOT, 'node_modules/.cache/aims-gate-test/queue-child.mjs');
const TASKS = 3;

let redis: Awaited<ReturnType<typeof startRedis>>;
let client: Redis;
beforeAll(async () => {
  mkdirSync(join(CHILD, '..'), { recursive: true });
  await build({
    entryPoints: [join(ROOT, 'test/queue-child.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile: CHILD,
    logLevel: 'warning',
  });
  redis = await startRedis();
  client = new Redis(redis.url);
});
afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
});

const task = (n: number): CheckTask => ({
  kind: 'check',
  installation: 1,
  owner: 'acme',
  repo: 'ml',
  pullRequest: n,
  head: 'c'.repeat(40),
  actor: { login: 'dev' },
});

describe('a process killed between two queue steps', () => {
  for (const step of ['scheduled', 'ran', 'deleted', 'completed'])
    it(`loses nothing when killed after "${step}"`, async () => {
      const name = `kill-${step}`;
      const child = spawn(process.execPath, [CHILD], {
        env: {
          PATH: process.env.PATH,
          REDIS_URL: redis.url,
          QUEUE_NAME: name,
          KILL_AT: step,
          TASKS: `${TASKS}`,
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      const signal = await new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
      expect(signal).toBe('SIGKILL');

      // The survivor: it requeues what the dead process left, and GitHub redelivers every delivery the dead
      // process may not have answered (an answered one is a duplicate, and is ignored).
      const survivor = new RedisQueue(
        async (t) => {
          await client.sadd(`${name}:ran`, taskKey(t));
        },
        { url: redis.url, name, concurrency: 2, lockDuration: 1_000, retryDelays: [100] },
      );
      try {
        for (let n = 0; n < TASKS; n++) await survivor.schedule(task(n), `delivery-${n}`);
        const all = Array.from({ length: TASKS }, (_, n) => taskKey(task(n))).sort();
        for (let waited = 0; waited < 20_000; waited += 100) {
          if ((await client.scard(`${name}:ran`)) === TASKS) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect((await client.smembers(`${name}:ran`)).sort()).toEqual(all);
        await survivor.idle();
        expect(await client.keys(`${name}:task:*`)).toEqual([]);
      } finally {
        await survivor.close(1_000);
      }
    });
});
