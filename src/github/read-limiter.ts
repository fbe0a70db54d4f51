import { setTimeout as sleep } from 'node:timers/promises';
import type { Octokit, OctokitOptions } from '@octokit/core';
import { request as plainRequest } from '@octokit/request';
import Bottleneck from 'bottleneck';

/**
 * GitHub's secondary limits for GraphQL, per installation: at most 100 concurrent requests (shared with
 * REST) and 2,000 points a minute, a query that only reads costing 1 point. aims-gate keeps well inside:
 * 8 at a time, 1,000 points each half minute.
 */
export const READ_LIMITS = { maxConcurrent: 8, pointsPerHalfMinute: 1000 };

/** One limiter per installation (or token), shared by every client made for it in this process. */
const limiters = new Bottleneck.Group({
  maxConcurrent: READ_LIMITS.maxConcurrent,
  reservoir: READ_LIMITS.pointsPerHalfMinute,
  reservoirRefreshAmount: READ_LIMITS.pointsPerHalfMinute,
  reservoirRefreshInterval: 30_000,
});

interface RequestOptions {
  method: string;
  url: string;
  query?: string;
  [key: string]: unknown;
}
interface HttpError {
  status?: number;
  message: string;
  response?: { headers: Record<string, string | undefined> };
}

/**
 * An Octokit plugin: GraphQL queries that only read are paced by a per-installation limiter that respects
 * GitHub's secondary limits, instead of the throttling plugin's one request a second, which is meant for
 * writes (mutations and every non-GET REST call keep it). A read is retried on a 5xx, a dropped connection
 * or a rate limit (waiting as long as GitHub asks, up to a minute), `retries` times.
 */
export function readLimiter(octokit: Octokit, octokitOptions: OctokitOptions): Record<string, never> {
  const { auth, throttle, retry } = octokitOptions as {
    auth?: { installationId?: number | string };
    throttle?: { id?: string };
    retry?: { enabled?: boolean; retries?: number; retryAfterBaseValue?: number };
  };
  const authHook = (octokit.auth as { hook?: (request: unknown, options: unknown) => Promise<unknown> }).hook;
  const key = String(auth?.installationId ?? throttle?.id ?? 'token');
  const retries = retry?.enabled === false ? 0 : (retry?.retries ?? 3);
  const second = retry?.retryAfterBaseValue ?? 1000;
  octokit.hook.wrap('request', async (request, options) => {
    if (!isGraphQLRead(options as RequestOptions) || !authHook) return request(options);
    // Around the other plugins (throttling would pace it as a write), but through the same authentication.
    const direct = { ...options, request: { ...options.request, hook: undefined } };
    const send = () => authHook(plainRequest, direct) as Promise<Awaited<ReturnType<typeof request>>>;
    for (let attempt = 0; ; attempt++) {
      try {
        return await limiters.key(key).schedule(send);
      } catch (error) {
        const wait = retryAfter(error as HttpError, attempt, second);
        if (attempt >= retries || wait === undefined) throw error;
        await sleep(wait);
      }
    }
  });
  return {};
}

function isGraphQLRead(options: RequestOptions): boolean {
  return (
    options.method === 'POST' &&
    /\/graphql$/.test(options.url) &&
    typeof options.query === 'string' &&
    !/^\s*mutation\b/.test(options.query)
  );
}

/** Milliseconds to wait before trying again, or undefined when the error is not worth another try. */
function retryAfter(error: HttpError, attempt: number, second: number): number | undefined {
  const status = error.status ?? 0;
  const headers = error.response?.headers ?? {};
  if (status === 403 || status === 429) {
    const asked = Number(headers['retry-after']);
    const reset = Number(headers['x-ratelimit-reset']);
    const seconds = asked || (reset ? Math.max(0, reset - Date.now() / 1000) + 1 : 0);
    if (!/rate limit/i.test(error.message) && !asked) return undefined;
    return seconds <= 60 ? Math.max(seconds, 1) * second : undefined;
  }
  // 5xx, or no answer at all (status 500 from a dropped connection in @octokit/request).
  if (status >= 500 || status === 0) return 2 ** attempt * (second / 2);
  return undefined;
}
