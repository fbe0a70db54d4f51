import { createHmac, generateKeyPairSync } from 'node:crypto';
import { type AddressInfo, createServer } from 'node:net';
import Bottleneck from 'bottleneck';
import pino from 'pino';
import { Probot } from 'probot';
import { AppOctokit, type aimsGateApp } from '../app/index.js';
import { startServer } from '../app/server.js';

/** JSON read field by field: request bodies and answers in tests. */
// biome-ignore lint/suspicious/noExplicitAny: JSON read field by field
export type Json = any;

/** An App's private key, made for the test run. */
export const privateKey = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
}).privateKey;

/**
 * Probot's Octokit without retries (a fault is a fault) and without pacing writes a second apart (the
 * throttling plugin's guard for GitHub, not the App's behaviour). A function, because Probot replaces a
 * plain `throttle` option wholesale.
 */
export const TestOctokit = AppOctokit.defaults((options: Json) => ({
  ...options,
  retry: { enabled: false },
  throttle: { ...options.throttle, enabled: false },
}));

/**
 * The App's Octokit as in production (retries, rate limits waited out, writes paced), with a second lasting
 * a millisecond: GitHub's retry-after of 1 s and the pacing of writes take no time in a test.
 */
export const FastOctokit = AppOctokit.defaults((options: Json) => ({
  ...options,
  retry: { ...options.retry, retryAfterBaseValue: 1 },
  throttle: {
    ...options.throttle,
    retryAfterBaseValue: 1,
    write: new Bottleneck.Group({ maxConcurrent: 1, minTime: 1 }),
  },
}));

/**
 * A nock reply function from one taking the JSON body: nock 15.0.2 hands reply functions the Fetch Request
 * (its README still shows `(uri, body)`), and treats a two-parameter function as callback-style.
 */
export const answer =
  (fn: (body: Json, url: string) => unknown): Json =>
  async (request: Request) => {
    const text = await request.text();
    return fn(text ? JSON.parse(text) : undefined, request.url);
  };

/**
 * The App behind its real HTTP server (app/server.ts) on 127.0.0.1, on a port the OS chooses, with webhooks
 * signed by `secret` and GitHub at `baseUrl`. Returns the base URL; webhooks go to `${url}/api/github/webhooks`.
 */
export async function startAppServer(
  app: ReturnType<typeof aimsGateApp>,
  secret: string,
  baseUrl?: string,
  { Octokit = TestOctokit, log = pino({ level: 'silent' }) }: { Octokit?: Json; log?: pino.Logger } = {},
): Promise<{ stop: () => Promise<void>; url: string }> {
  const probot = new Probot({
    appId: 1,
    privateKey,
    secret,
    log,
    Octokit,
    ...(baseUrl ? { baseUrl } : {}),
  });
  const { url, stop } = await startServer(app, probot, { port: 0, host: '127.0.0.1' });
  return { url, stop };
}

/** A webhook as GitHub sends it: JSON, with its event name, delivery id and HMAC signature. */
export function postWebhook(url: string, event: string, delivery: string, body: string, secret: string) {
  return fetch(`${url}/api/github/webhooks`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': delivery,
      'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    },
    body,
  });
}

/** A port no one listens on, from the OS (bound on 0, then released): for processes that take a port number. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
