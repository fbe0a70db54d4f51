import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import Bottleneck from 'bottleneck/light.js';
import { readLimiter } from './read-limiter.js';

/**
 * Octokit with the retry plugin (5xx, dropped connections), the throttling plugin (rate limits; writes
 * paced a second apart) and the read limiter (GraphQL queries paced by GitHub's limits for reads).
 */
const GitHubClient = Octokit.plugin(retry, throttling, readLimiter, wholeJson);
/**
 * An Octokit plugin: an answer that says it is JSON but does not parse (cut short by a proxy, say) is an error.
 * Octokit hands such a body back as a string, and a caller reading `data.state` of a string reads undefined:
 * a pull request "no longer open", and no check run.
 */
export function wholeJson(octokit: {
  hook: {
    after: (
      name: 'request',
      hook: (
        response: { data: unknown; headers: Record<string, unknown> },
        options: { method: string; url: string },
      ) => void,
    ) => void;
  };
}): Record<string, never> {
  octokit.hook.after('request', (response, options) => {
    const type = String(response.headers['content-type'] ?? '');
    if (/\bjson\b/i.test(type) && typeof response.data === 'string' && response.data !== '')
      throw new Error(
        `GitHub's answer to ${options.method} ${options.url} was cut short or is not JSON (${response.data.length} characters)`,
      );
  });
  return {};
}

/** What the adapters use: the REST client (the plugins act on every request without adding methods used here). */
export type GitHub = Octokit;

export interface ClientOptions {
  token?: string;
  /** GITHUB_API_URL on GitHub Enterprise Server or in tests; https://api.github.com otherwise. */
  baseUrl?: string;
  /** How many times a request is retried after a 5xx, a dropped connection or a rate limit. */
  retries?: number;
  /** Milliseconds per second of Retry-After (1000; tests shorten the waits). */
  retryAfterBaseValue?: number;
  /** Extra throttle settings, e.g. a write limiter for tests. */
  throttle?: Record<string, unknown>;
  /**
   * Milliseconds between two writes: GitHub asks for one second (its secondary rate limits), the default. A
   * GitHub Enterprise Server with rate limits turned off, or a test's fake API, may take them faster.
   */
  writeInterval?: number;
}

/**
 * The one way aims-gate builds a GitHub client, for the Action and the App alike. Errors are retried a
 * bounded number of times; after that they surface, and the caller fails closed. The token is passed to
 * Octokit only, which never logs it.
 */
export function createGitHub({
  token,
  baseUrl,
  retries = 3,
  retryAfterBaseValue = 1000,
  throttle = {},
  writeInterval,
}: ClientOptions = {}): GitHub {
  // Wait as long as GitHub asks (Retry-After), a bounded number of times.
  const retryRateLimit = (_retryAfter: number, options: { request: object }) =>
    ((options.request as { retryCount?: number }).retryCount ?? 0) < retries;
  return new GitHubClient({
    auth: token,
    ...(baseUrl ? { baseUrl } : {}),
    userAgent: 'aims-gate',
    retry: { retries, retryAfterBaseValue },
    throttle: {
      onRateLimit: retryRateLimit,
      onSecondaryRateLimit: retryRateLimit,
      retryAfterBaseValue,
      ...(writeInterval === undefined
        ? {}
        : { write: new Bottleneck.Group({ maxConcurrent: 1, minTime: writeInterval }) }),
      ...throttle,
    },
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
}
