// Starts the App's HTTP server: `npm run app` (after `npm run build`). Configuration from the environment,
// as every Probot app: APP_ID, PRIVATE_KEY (or PRIVATE_KEY_PATH), WEBHOOK_SECRET, PORT, LOG_LEVEL, WEBHOOK_PROXY_URL.
import { run } from 'probot';
import { aimsGateApp } from './index.js';

const app = aimsGateApp({
  concurrency: Number(process.env.AIMS_GATE_CONCURRENCY ?? 4),
  capacity: Number(process.env.AIMS_GATE_QUEUE ?? 1000),
});
const server = await run(app);

// Graceful shutdown: stop taking webhooks, let the evaluations under way finish (their check runs and
// protection-rule answers must not be left hanging), then exit.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, async () => {
    await server.stop();
    await app.queue.idle();
    process.exit(0);
  });
}
