import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { freePort } from './probot.js';

/**
 * A real redis-server (Debian's package, installed by .ci/run) on a free port of 127.0.0.1, keeping nothing
 * on disk. Fails with what to install when there is none: a queue test never passes without its Redis.
 * `restart` kills it and starts it again on the same port: empty, as a Redis without persistence restarts.
 */
export async function startRedis(): Promise<{
  url: string;
  stop: () => Promise<void>;
  restart: () => Promise<void>;
}> {
  if (spawnSync('redis-server', ['--version']).error)
    throw new Error('redis-server is not installed: apt-get install redis-server (.ci/run does)');
  const port = await freePort();
  let child = await serve(port);
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  return {
    url: `redis://127.0.0.1:${port}`,
    stop,
    restart: async () => {
      await stop();
      child = await serve(port);
    },
  };
}

async function serve(port: number): Promise<ChildProcess> {
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      if (out.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited ${code}: ${out}`)));
  });
  return child;
}
