import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const DIST = join(import.meta.dirname, '..', 'dist', 'index.js');

export interface ActionRun {
  /** The fake GitHub API's URL. */
  api: string;
  /** A scratch folder: the workspace, the event file, the summary and output files. */
  dir: string;
  event: { repository: { full_name: string } } & Record<string, unknown>;
  eventName?: string;
  inputs: Record<string, string>;
  env?: Record<string, string>;
}

/**
 * Runs the committed bundle exactly as a runner does: INPUT_* variables, the event file, the summary and
 * output files. Asynchronous: a fake API answering from the caller's process would deadlock a blocking spawn.
 */
export async function runAction({
  api,
  dir,
  event,
  eventName = 'pull_request',
  inputs,
  env = {},
}: ActionRun) {
  const files = {
    event: join(dir, 'event.json'),
    summary: join(dir, 'summary.md'),
    output: join(dir, 'output.txt'),
  };
  writeFileSync(files.event, JSON.stringify(event));
  writeFileSync(files.summary, '');
  writeFileSync(files.output, '');
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, [DIST], {
    env: {
      PATH: process.env.PATH,
      ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
      GITHUB_EVENT_NAME: eventName,
      GITHUB_EVENT_PATH: files.event,
      GITHUB_REPOSITORY: event.repository.full_name,
      // As a runner sets them: the run the gate's decisions name as their writer.
      GITHUB_RUN_ID: '4242',
      GITHUB_ACTIONS: 'true',
      GITHUB_API_URL: api,
      GITHUB_GRAPHQL_URL: `${api}/graphql`,
      GITHUB_STEP_SUMMARY: files.summary,
      GITHUB_OUTPUT: files.output,
      GITHUB_WORKSPACE: dir,
      // The fake API has no secondary rate limits: writes need not wait GitHub's second apart.
      AIMS_GATE_WRITE_INTERVAL_MS: '0',
      ...env,
    },
  });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const [code] = (await once(child, 'close')) as [number];
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const outputs: Record<string, string> = {};
  for (const m of readFileSync(files.output, 'utf8').matchAll(/^(\S+)<<(\S+)\n([\s\S]*?)\n\2$/gm))
    outputs[m[1]!] = m[3]!;
  return { code, stdout, summary: readFileSync(files.summary, 'utf8'), outputs, ms };
}
