import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context as actionsContext } from '@actions/github';
import { afterAll, expect, it } from 'vitest';
import { runContext } from '../action/context.js';
import { webhook } from './webhooks.js';

// action/context.ts reads the runner's variables itself, to keep @actions/github's HTTP client out of the bundle;
// what it reads must be what @actions/github's `context` reads from the same runner.
const dir = mkdtempSync(join(tmpdir(), 'aims-context-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Env = Record<string, string | undefined>;
/** @actions/github's Context, constructed anew: it reads process.env when constructed. */
function actions(env: Env) {
  const saved = { ...process.env };
  for (const name of Object.keys(process.env)) if (name.startsWith('GITHUB_')) delete process.env[name];
  Object.assign(process.env, env);
  try {
    const Context = actionsContext.constructor as new () => typeof actionsContext;
    const made = new Context();
    return { ...made, repo: made.repo };
  } finally {
    process.env = saved;
  }
}

it.each([
  [
    'a pull_request run, as a runner sets it',
    'pull_request',
    'opened',
    { GITHUB_REPOSITORY: 'Codertocat/Hello-World' },
  ],
  ['GITHUB_REPOSITORY unset: the event names the repository', 'deployment', 'created', {}],
  [
    'on GitHub Enterprise Server',
    'push',
    undefined,
    { GITHUB_SERVER_URL: 'https://ghe.example.com', GITHUB_REPOSITORY: 'acme/ml' },
  ],
] as const)('reads what @actions/github reads: %s', (_, event, action, extra) => {
  const path = join(dir, `${event}.json`);
  writeFileSync(path, JSON.stringify(webhook(event, action)));
  const env: Env = {
    GITHUB_EVENT_PATH: path,
    GITHUB_EVENT_NAME: event,
    GITHUB_SHA: 'ffac537e6cbbf934b08745a378932722df287a53',
    GITHUB_REF: 'refs/pull/2/merge',
    GITHUB_ACTOR: 'Codertocat',
    GITHUB_RUN_ID: '4242',
    ...extra,
  };
  const theirs = actions(env);
  const ours = runContext(env);
  for (const key of ['payload', 'eventName', 'sha', 'ref', 'actor', 'runId', 'serverUrl', 'repo'] as const)
    expect(ours[key], key).toEqual(theirs[key]);
});
