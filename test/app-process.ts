import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { privateKey } from './probot.js';

const APP = new URL('../app/lib/app.js', import.meta.url).pathname;

/**
 * `node app/lib/app.js` as production runs it, with GitHub at `github` (as GitHub Enterprise Server) and the
 * environment given: on a port the OS chooses, JSON logs. `output()` is all it wrote so far (stdout and stderr).
 */
export function spawnAppProcess(
  github: string,
  env: Record<string, string> = {},
  { app = APP, cwd }: { app?: string; cwd?: string } = {},
): { child: ChildProcess; output: () => string } {
  if (!existsSync(app)) throw new Error(`${app} is missing: npm run build (npm test builds first)`);
  const child = spawn(process.execPath, [app], {
    env: {
      PATH: process.env.PATH,
      APP_ID: '1',
      PRIVATE_KEY: privateKey,
      WEBHOOK_SECRET: 'app-process',
      GHE_HOST: github.replace('http://', ''),
      GHE_PROTOCOL: 'http',
      AIMS_GATE_RECONCILE_MINUTES: '0',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(cwd ? { cwd } : {}),
  });
  let out = '';
  child.stdout!.on('data', (chunk) => {
    out += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    out += chunk;
  });
  return { child, output: () => out };
}

/** spawnAppProcess, resolved once the App listens. */
export async function startAppProcess(
  github: string,
  env: Record<string, string> = {},
  options: { app?: string; cwd?: string } = {},
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const { child, output } = spawnAppProcess(github, env, options);
  const url = await new Promise<string>((resolve, reject) => {
    const look = () => {
      const listening = /aims-gate listening on (http:\/\/[\d.:]+)/.exec(output());
      if (listening) resolve(listening[1]!);
    };
    child.stdout!.on('data', look);
    child.once('exit', (code) => reject(new Error(`the App exited ${code}: ${output()}`)));
  });
  return { child, url, output };
}
