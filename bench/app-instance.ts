// One App process for bench/app-redis.ts: the App on Redis behind its real HTTP server, GitHub at
// GITHUB_API. Prints {"url": …} once it listens. Writes are not paced a second apart (GitHub's guard, not the
// App's cost, as in bench/app.ts); everything else is as in production.
import pino from 'pino';
import { Probot } from 'probot';
import { AppOctokit, aimsGateApp } from '../app/index.js';
import { startServer } from '../app/server.js';

const env = process.env;
const Octokit = AppOctokit.defaults((options: { throttle?: object }) => ({
  ...options,
  throttle: { ...options.throttle, enabled: false },
}));
const probot = new Probot({
  appId: 1,
  privateKey: env.PRIVATE_KEY!,
  secret: env.WEBHOOK_SECRET!,
  baseUrl: env.GITHUB_API!,
  log: pino({ level: 'silent' }),
  Octokit,
});
const app = aimsGateApp({
  today: () => '2026-11-01',
  redisUrl: env.REDIS_URL!,
  queueName: env.QUEUE_NAME!,
  concurrency: 4,
  lockDuration: 5_000,
});
const { url } = await startServer(app, probot, { port: 0, host: '127.0.0.1' });
console.log(JSON.stringify({ url }));
