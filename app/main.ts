// Starts the App: `npm run app` (after `npm run build`). Configured from the environment (docs/app.md, "Running
// the App in production"): Probot's APP_ID, PRIVATE_KEY or PRIVATE_KEY_PATH, WEBHOOK_SECRET, LOG_LEVEL,
// GHE_HOST; and PORT, HOST, REDIS_URL, AIMS_GATE_CONCURRENCY, AIMS_GATE_QUEUE, AIMS_GATE_RECONCILE_MINUTES,
// AIMS_GATE_QUEUE_NAME, AIMS_GATE_LOCK_MS, AIMS_GATE_SHUTDOWN_SECONDS, LOG_FORMAT, AIMS_GATE_SIGNING_KEY or
// AIMS_GATE_SIGNING_KEY_FILE.
import { existsSync } from 'node:fs';
import { createProbot, run } from 'probot';
import { AppOctokit, aimsGateApp, WEBHOOK_PATH } from './index.js';
import { appLogger } from './log.js';
import { startServer } from './server.js';
import { signerFromEnvironment } from './signing.js';

// What the setup page wrote (APP_ID, PRIVATE_KEY, WEBHOOK_SECRET, WEBHOOK_PROXY_URL); the environment wins.
if (existsSync('.env')) process.loadEnvFile('.env');
const env = process.env;
/** smee-client, when installed (a development dependency): a public URL that forwards webhooks here. */
const smee = async () => (await import('smee-client').catch(() => undefined))?.SmeeClient;

if (!env.APP_ID) {
  // Not registered yet: Probot's setup page registers the App from app.yml and writes .env. GitHub sends
  // webhooks to WEBHOOK_URL (this App's public address), or to a new smee.io channel that forwards them
  // here when smee-client is installed; say which, since a webhook URL GitHub cannot reach loses them all.
  const SmeeClient = env.WEBHOOK_URL ? undefined : await smee();
  if (env.WEBHOOK_URL) {
    const hook = new URL(WEBHOOK_PATH, env.WEBHOOK_URL).href;
    process.env.WEBHOOK_PROXY_URL = hook; // where Probot's manifest takes the webhook URL from
    console.log(`aims-gate setup: GitHub will send webhooks to ${hook} (WEBHOOK_URL)`);
  } else if (SmeeClient) {
    console.log('aims-gate setup: GitHub will send webhooks to a new smee.io channel, forwarded here');
  } else {
    process.env.NO_SMEE_SETUP = 'true';
    console.warn(
      "aims-gate setup: set WEBHOOK_URL to the App's public address (https://…), or install smee-client for a proxy: without either GitHub cannot reach this App",
    );
  }
  await run(() => {}, {
    env: { ...process.env, WEBHOOK_PROXY_URL: undefined },
    ...(SmeeClient ? { SmeeClient } : {}),
  });
  // As PID 1 in a container, a process that sets no handler ignores SIGTERM until it is killed.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => process.exit(0));
  await new Promise(() => {});
}
// Probot would pace writes through Bottleneck on REDIS_URL; that limiter fails for good once Redis restarts
// empty (ERR UNKNOWN_CLIENT, SGrondin/bottleneck#212). Writes are paced in each process instead.
const log = await appLogger({
  level: oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
  format: oneOf('LOG_FORMAT', ['json', 'pretty'], 'pretty'),
});
const probot = createProbot({ overrides: { Octokit: AppOctokit, redisConfig: undefined, log } });
/** One of `values` from the environment, or its default; anything else stops the App with what to set. */
function oneOf(name: string, values: string[], fallback: string): string {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  if (values.includes(text)) return text;
  // A JSON log pipeline fed pretty lines takes none of them, silently: said at start instead.
  console.error(`aims-gate: ${name} must be one of ${values.join(', ')}, not "${text}"`);
  process.exit(2);
}

/** A whole number from the environment, or its default; anything else stops the App with what to set. */
function whole(name: string, fallback: number, least = 1): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < least) {
    console.error(`aims-gate: ${name} must be a whole number of at least ${least}, not "${text}"`);
    process.exit(2);
  }
  return value;
}

let signer: ReturnType<typeof signerFromEnvironment>;
try {
  signer = signerFromEnvironment(env);
} catch (error) {
  console.error(`aims-gate: ${(error as Error).message}`);
  process.exit(2);
}
const app = aimsGateApp({
  ...(signer ? { signer } : {}),
  concurrency: whole('AIMS_GATE_CONCURRENCY', 4),
  capacity: whole('AIMS_GATE_QUEUE', 1000),
  ...(env.REDIS_URL ? { redisUrl: env.REDIS_URL } : {}),
  ...(env.AIMS_GATE_QUEUE_NAME ? { queueName: env.AIMS_GATE_QUEUE_NAME } : {}),
  lockDuration: whole('AIMS_GATE_LOCK_MS', 30_000, 1_000),
  reconcileEvery: whole('AIMS_GATE_RECONCILE_MINUTES', 5, 0) * 60_000,
});
const { url, stop } = await startServer(app, probot, {
  port: whole('PORT', 3000, 0),
  host: env.HOST ?? '0.0.0.0',
});
probot.log.info(`aims-gate listening on ${url} (queue: ${env.REDIS_URL ? 'Redis' : 'in this process'})`);
// Said once the logger is up (Probot sets it up with the server).
if (!signer)
  probot.log.warn(
    "no AIMS_GATE_SIGNING_KEY: the App's entries are written unsigned, and no deployment decision (the App's nor the Action's) will trust them; aims-gate keygen --role app makes a key",
  );

// A smee.io channel from the setup page (development): forward its webhooks to this process.
if (env.WEBHOOK_PROXY_URL?.startsWith('https://smee.io/')) {
  const SmeeClient = await smee();
  if (SmeeClient)
    await new SmeeClient({
      source: env.WEBHOOK_PROXY_URL,
      target: `${url}${WEBHOOK_PATH}`,
      logger: probot.log,
    }).start();
  else
    probot.log.warn(
      'WEBHOOK_PROXY_URL is a smee.io channel, but smee-client is not installed: npm install smee-client',
    );
}

// Graceful shutdown: stop taking webhooks, give the tasks under way AIMS_GATE_SHUTDOWN_SECONDS to finish,
// hand the rest back to the queue (on Redis another instance takes them at once); the waiting ones stay.
const grace = whole('AIMS_GATE_SHUTDOWN_SECONDS', 60, 0) * 1000;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, async () => {
    probot.log.info(`${signal}: finishing the tasks under way (at most ${grace / 1000} s)`);
    await stop(grace);
    probot.log.info('stopped');
    process.exit(0);
  });
}
