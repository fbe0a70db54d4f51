import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Probot } from 'probot';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppOctokit } from '../app/index.js';
import { createGitHub } from '../src/github/octokit.js';
import { READ_LIMITS } from '../src/github/read-limiter.js';
import { privateKey } from './probot.js';

// GraphQL reads are paced by GitHub's limits for reads (at most READ_LIMITS.maxConcurrent at a time), not a
// second apart as the throttling plugin paces writes; mutations keep that pacing. Observed at the server:
// how many requests of each kind were in flight at once, and with which credentials.
let server: Server;
let url: string;
let seen: { kind: 'query' | 'mutation'; authorization: string | undefined }[];
const inFlight = { query: 0, mutation: 0 };
const most = { query: 0, mutation: 0 };
let failNext = 0;

beforeEach(async () => {
  seen = [];
  Object.assign(inFlight, { query: 0, mutation: 0 });
  Object.assign(most, { query: 0, mutation: 0 });
  server = createServer(async (req: IncomingMessage, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    if (req.url?.endsWith('/access_tokens')) {
      res.writeHead(201, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ token: 'ghs_installation', expires_at: '2099-01-01T00:00:00Z' }));
    }
    const kind = /^\s*mutation/.test(JSON.parse(body).query) ? 'mutation' : 'query';
    seen.push({ kind, authorization: req.headers.authorization });
    if (failNext > 0) {
      failNext--;
      res.writeHead(502, { 'content-type': 'application/json' });
      return res.end('{"message":"Bad Gateway"}');
    }
    inFlight[kind]++;
    most[kind] = Math.max(most[kind], inFlight[kind]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    inFlight[kind]--;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ data: { viewer: { login: 'aims-gate' } } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(() => new Promise((resolve) => server.close(resolve)));

const QUERY = 'query { viewer { login } }';
const MUTATION = 'mutation { addStar(input: {starrableId: "x"}) { clientMutationId } }';

describe('the read limiter (throttling on, as in production)', () => {
  it('the Action’s client: reads run side by side, within the limit; mutations stay one at a time', async () => {
    const github = createGitHub({ token: 'ghs_action', baseUrl: url });
    await Promise.all([
      ...Array.from({ length: 20 }, () => github.graphql(QUERY)),
      ...Array.from({ length: 2 }, () => github.graphql(MUTATION)),
    ]);
    expect(most.query).toBeGreaterThan(1);
    expect(most.query).toBeLessThanOrEqual(READ_LIMITS.maxConcurrent);
    expect(most.mutation).toBe(1);
    expect(new Set(seen.map((s) => s.authorization))).toEqual(new Set(['token ghs_action']));
  });

  it('the App’s client: reads carry the installation token, and are retried on a 5xx', async () => {
    const probot = new Probot({ appId: 1, privateKey, baseUrl: url, Octokit: AppOctokit });
    const github = await probot.auth(1);
    failNext = 1;
    await Promise.all(Array.from({ length: 10 }, () => github.graphql(QUERY)));
    expect(most.query).toBeGreaterThan(1);
    expect(seen.filter((s) => s.kind === 'query')).toHaveLength(11); // one failed and was retried
    expect(new Set(seen.map((s) => s.authorization))).toEqual(new Set(['token ghs_installation']));
  });
});
