// The App as several instances run it: 1,000 pull_request webhooks over 2 App processes sharing one
// redis-server, one of them killed (SIGKILL) half-way. GitHub is the fake on 127.0.0.1. Prints one JSON line:
// evaluations per second, delivery → completed check run (p50/p99), GitHub requests per evaluation, each
// process's peak RSS, and how many pull requests never got a completed check run (the aim: 0).
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { appGitHub, openPullRequest } from '../test/app-github.js';
import { conformantRepo } from '../test/helpers.js';
import { postWebhook, privateKey } from '../test/probot.js';
import { startRedis } from '../test/redis.js';

const INSTANCE = process.argv[2]!; // the bundled bench/app-instance.ts
const WEBHOOKS = Number(process.env.BENCH_WEBHOOKS ?? 1000);
const IN_FLIGHT = 20;
const SECRET = 'bench-secret';
const files = { ...conformantRepo(), '.github/aims-gate.yml': 'systems: [models/*]\naudit-log: none\n' };

const redis = await startRedis();
const fake = await appGitHub(files);
const bodies = Array.from({ length: WEBHOOKS }, (_, n) => openPullRequest(fake, n + 1, files));

function start(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [INSTANCE], {
    env: {
      PATH: process.env.PATH,
      PRIVATE_KEY: privateKey,
      WEBHOOK_SECRET: SECRET,
      GITHUB_API: fake.url,
      REDIS_URL: redis.url,
      QUEUE_NAME: 'bench',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', (line) => resolve({ child, url: JSON.parse(String(line)).url }));
    child.once('exit', (code) => reject(new Error(`an App instance exited ${code}`)));
  });
}
/** Peak resident memory of a process, from the kernel (VmHWM), in MiB. */
const peakRss = (pid: number) =>
  Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

const instances = [await start(), await start()];
const delivered = new Map<string, number>();
const completedAt = new Map<string, number>();
const watch = setInterval(() => {
  for (const run of fake.checkRuns.values())
    if (run.status === 'completed' && !completedAt.has(run.head_sha))
      completedAt.set(run.head_sha, performance.now());
}, 10);

let killedPeak = 0;
let redelivered = 0;
const begin = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: IN_FLIGHT }, async () => {
    while (next < WEBHOOKS) {
      const n = next++;
      if (n === WEBHOOKS / 2 && instances.length === 2) {
        // Half-way: one instance dies without warning, with tasks in hand; its webhooks go to the other.
        const [victim] = instances.splice(1, 1);
        killedPeak = peakRss(victim!.child.pid!);
        victim!.child.kill('SIGKILL');
      }
      const { head, body } = bodies[n]!;
      delivered.set(head, performance.now());
      // A delivery cut off by the kill is redelivered, as GitHub's redelivery would, to the instance left.
      for (let attempt = 0; ; attempt++) {
        const target = instances[(n + attempt) % instances.length]!;
        const res = await postWebhook(target.url, 'pull_request', `bench-${n}`, body, SECRET).catch(
          () => undefined,
        );
        if (res?.status === 200) break;
        if (attempt === 3) throw new Error(`webhook ${n}: ${res ? `HTTP ${res.status}` : 'no answer'}`);
        redelivered++;
      }
    }
  }),
);
const deadline = performance.now() + 600_000;
while (completedAt.size < WEBHOOKS && performance.now() < deadline)
  await new Promise((resolve) => setTimeout(resolve, 50));
const seconds = (performance.now() - begin) / 1000;
clearInterval(watch);
const survivorPeak = peakRss(instances[0]!.child.pid!);
for (const { child } of instances) child.kill('SIGKILL');

const latencies = [...delivered]
  .filter(([head]) => completedAt.has(head))
  .map(([head, at]) => completedAt.get(head)! - at)
  .sort((a, b) => a - b);
const at = (q: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
console.log(
  JSON.stringify({
    webhooks: WEBHOOKS,
    instances: 2,
    completed: completedAt.size,
    lost: WEBHOOKS - completedAt.size,
    redelivered,
    checkRuns: fake.checkRuns.size,
    seconds,
    perSecond: completedAt.size / seconds,
    endToEnd: { p50: at(0.5), p99: at(0.99) },
    requestsPerEvaluation: fake.requests.filter((r) => !r.endsWith('/access_tokens')).length / WEBHOOKS,
    peakRssMiB: { killed: killedPeak, survivor: survivorPeak },
  }),
);
await fake.stop();
await redis.stop();
