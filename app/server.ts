import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createNodeMiddleware, type Probot } from 'probot';
import type { aimsGateApp } from './index.js';
import { WEBHOOK_PATH } from './index.js';

/**
 * The App's HTTP server: Node's own, with Probot's middleware for webhooks. Not Probot's `Server`, because
 * its handlers run after the webhook middleware has read the body, and the App's guard (app/index.ts) must
 * refuse an oversized body before anything reads it. Binds `port` (0: one the OS chooses) on `host`.
 */
export async function startServer(
  app: ReturnType<typeof aimsGateApp>,
  probot: Probot,
  { port = 3000, host = '0.0.0.0' }: { port?: number; host?: string } = {},
): Promise<{ server: Server; url: string; stop: (grace?: number) => Promise<void> }> {
  const middleware = await createNodeMiddleware(app, { probot, webhooksPath: WEBHOOK_PATH });
  const server = createServer((req, res) => {
    Promise.resolve(
      middleware(req, res, () => {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      }),
    ).catch((error: unknown) => {
      // A request the middleware could not answer is this request's failure, never the process's (an
      // unhandled rejection would end it, and every task under way with it).
      probot.log.error({ err: error }, 'a request failed before it was answered');
      if (!res.headersSent)
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"internal"}');
      else res.destroy();
    });
  });
  // A client that sends a body slowly holds its share of the body budget (app/index.ts) only this long.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  /**
   * Stops taking connections (and /health/ready says so), lets the tasks under way finish for `grace` ms,
   * hands the rest back to the queue (Redis keeps what waits for the other processes), then closes.
   */
  const stop = async (grace?: number) => {
    // Still listening while the tasks under way finish: /health/ready answers 503 and a webhook 503, so a load
    // balancer (Kubernetes' endpoint removal lags SIGTERM) is told "not ready", not met with a refused connection.
    await app.close(grace);
    const closed = new Promise((resolve) => server.close(resolve));
    server.closeAllConnections();
    await closed;
  };
  return { server, url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`, stop };
}
