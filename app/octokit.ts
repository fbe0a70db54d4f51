import { setTimeout as sleep } from 'node:timers/promises';
import type { Octokit } from '@octokit/core';
import type { Logger } from 'pino';
import { ProbotOctokit } from 'probot';
import { wholeJson } from '../src/github/octokit.js';
import { readLimiter } from '../src/github/read-limiter.js';
import { countingFetch } from './metrics.js';

/** Tries of one request that GitHub asked to retry later (a secondary limit, a 429). */
const RATE_LIMIT_RETRIES = 3;
/** The longest wait for a rate limit's reset inside a task; past it the task fails and the queue retries it. */
const LONGEST_WAIT_SECONDS = 60;

interface HttpError {
  status?: number;
  response?: { headers?: Record<string, string | undefined> };
}

/**
 * A 429 the throttling plugin does not recognise (it acts on "secondary rate limit" in the message and on
 * x-ratelimit-remaining: 0): waited for as long as `retry-after` says, as GitHub asks. Each error has one
 * retry layer: the throttling plugin for rate limits, this for the other 429s, the retry plugin for 5xx.
 */
function retryAfter429(octokit: Octokit, options: { retry?: { retryAfterBaseValue?: number } }) {
  const second = options.retry?.retryAfterBaseValue ?? 1000;
  octokit.hook.wrap('request', async (request, options) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await request(options);
      } catch (error) {
        const { status, response } = error as HttpError;
        const asked = Number(response?.headers?.['retry-after']);
        if (status !== 429 || attempt >= RATE_LIMIT_RETRIES || !(asked <= LONGEST_WAIT_SECONDS)) throw error;
        await sleep(Math.max(asked, 1) * second);
      }
    }
  });
  return {};
}

/**
 * An installation token GitHub revoked (the installation suspended and restored, secret scanning finding the
 * token) is answered 401 until it expires; auth-app keeps it cached for 59 minutes and only retries a 401 in
 * the first 5 s of a token's life (GitHub's replication delay). So a 401 gets a new token, once, and the
 * request is sent again with it. The App's own JWT requests (`/app/…`) are not an installation's.
 */
function refreshRevokedToken(octokit: Octokit) {
  octokit.hook.wrap('request', async (request, options) => {
    try {
      return await request(options);
    } catch (error) {
      if ((error as HttpError).status !== 401 || String(options.url).startsWith('/app')) throw error;
      const renewed = await octokit.auth({ type: 'installation', refresh: true }).catch(() => undefined);
      if (!renewed) throw error;
      (octokit.log as unknown as Logger).warn(
        { request: `${options.method} ${options.url}` },
        'GitHub refused the installation token (401): trying again with a new one',
      );
      return request(options);
    }
  });
  return {};
}

type ThrottleOptions = { method: string; url: string };

/**
 * Probot's Octokit as the App uses it. Writes are paced a second apart per installation (in this process:
 * app/main.ts keeps the limiter out of Redis). A secondary rate limit (403 or 429) and a primary one are
 * waited out as `retry-after` and `x-ratelimit-reset` say, up to a minute, three times; Probot's own handler
 * does not retry a secondary limit, which turned GitHub's "slow down" into red checks. 5xx and dropped
 * connections are the retry plugin's (three tries); 429 is taken out of its hands, so no error is retried
 * by two layers. GraphQL reads go around the write pacing, through src/github/read-limiter.ts.
 */
export const AppOctokit = ProbotOctokit.plugin(
  readLimiter,
  retryAfter429,
  wholeJson,
  refreshRevokedToken,
).defaults(
  // biome-ignore lint/suspicious/noExplicitAny: Octokit's options, as Probot passes them
  (options: any) => ({
    ...options,
    // Probot gives auth-app a request without the API's address: a token it asks for outside a request (a
    // refresh) would go to api.github.com, not to GitHub Enterprise Server.
    ...(options.baseUrl && options.auth?.request
      ? { auth: { ...options.auth, request: options.auth.request.defaults({ baseUrl: options.baseUrl }) } }
      : {}),
    request: { ...options.request, fetch: countingFetch(options.request?.fetch) },
    retry: { ...options.retry, doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451] },
    throttle: {
      ...options.throttle,
      onSecondaryRateLimit: (seconds: number, request: ThrottleOptions, octokit: Octokit, retries: number) =>
        waitOut('secondary', seconds, request, octokit, retries),
      onRateLimit: (seconds: number, request: ThrottleOptions, octokit: Octokit, retries: number) =>
        waitOut('primary', seconds, request, octokit, retries),
    },
  }),
);

function waitOut(
  kind: 'primary' | 'secondary',
  seconds: number,
  request: ThrottleOptions,
  octokit: Octokit,
  retries: number,
): boolean {
  const retry = retries < RATE_LIMIT_RETRIES && seconds <= LONGEST_WAIT_SECONDS;
  (octokit.log as unknown as Logger).warn(
    { limit: kind, retryAfter: seconds, retries, request: `${request.method} ${request.url}` },
    retry
      ? `GitHub's ${kind} rate limit: trying again in ${seconds} s`
      : `GitHub's ${kind} rate limit: not trying again (the task is retried later)`,
  );
  return retry;
}
