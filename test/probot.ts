import { generateKeyPairSync } from 'node:crypto';
import { ProbotOctokit } from 'probot';

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
export const TestOctokit = ProbotOctokit.defaults((options: Json) => ({
  ...options,
  retry: { enabled: false },
  throttle: { ...options.throttle, enabled: false },
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
