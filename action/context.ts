import { readFileSync } from 'node:fs';

/**
 * What the runner says about the workflow run, from the variables it sets (docs.github.com, "Variables
 * reference") and the event it writes to GITHUB_EVENT_PATH. The same facts as @actions/github's `context`,
 * read here so that the bundle does not carry that package's HTTP client (undici) for a client it never uses:
 * Octokit calls GitHub with Node's own fetch.
 */
export interface RunContext {
  /** The webhook event that triggered the run, as the runner wrote it ({} when there is none). */
  payload: Record<string, unknown>;
  eventName: string | undefined;
  sha: string | undefined;
  ref: string | undefined;
  /** Who started the run: every runner sets GITHUB_ACTOR (typed as @actions/github types it). */
  actor: string;
  /** NaN when the runner set no GITHUB_RUN_ID, as @actions/github gives it. */
  runId: number;
  serverUrl: string;
  repo: { owner: string; repo: string };
}

export function runContext(env: NodeJS.ProcessEnv = process.env): RunContext {
  const payload = env.GITHUB_EVENT_PATH ? readEvent(env.GITHUB_EVENT_PATH) : {};
  return {
    payload,
    eventName: env.GITHUB_EVENT_NAME,
    sha: env.GITHUB_SHA,
    ref: env.GITHUB_REF,
    actor: env.GITHUB_ACTOR as string,
    runId: Number.parseInt(env.GITHUB_RUN_ID ?? '', 10),
    serverUrl: env.GITHUB_SERVER_URL ?? 'https://github.com',
    get repo() {
      return repository(env, payload);
    },
  };
}

function readEvent(path: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`cannot read the run's event (GITHUB_EVENT_PATH ${path}): ${(error as Error).message}`);
  }
}

/** owner/repo from GITHUB_REPOSITORY, else from the event; asked for only where a run needs it. */
function repository(env: NodeJS.ProcessEnv, payload: Record<string, unknown>) {
  if (env.GITHUB_REPOSITORY) {
    const [owner = '', repo = ''] = env.GITHUB_REPOSITORY.split('/');
    return { owner, repo };
  }
  const from = payload.repository as { owner?: { login?: string }; name?: string } | undefined;
  if (from?.owner?.login && from.name) return { owner: from.owner.login, repo: from.name };
  throw new Error('the runner set no GITHUB_REPOSITORY (owner/repo), and the event names no repository');
}
