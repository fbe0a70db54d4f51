// The App: signed webhooks through its real HTTP server, then several processes sharing one redis-server.
import { bundled, json } from './lib.js';

export const title =
  'GitHub App (Probot, real HTTP server on 127.0.0.1, GitHub answered by nock with no latency)';

const ms = (p) => `p50 ${p.p50.toFixed(0)} ms, p99 ${p.p99.toFixed(0)} ms`;

export async function run() {
  const app = json([await bundled('app')]);
  console.log(
    `  ${app.webhooks.toLocaleString('en')} pull_request webhooks, ${app.evaluations.toLocaleString('en')} evaluations in ${app.seconds.toFixed(1)} s: ${app.perSecond.toFixed(1)} evaluations/s (4 at a time)`,
  );
  console.log(`  delivery → completed check run, queueing included: ${ms(app.endToEnd)}`);
  console.log(
    `  GitHub requests per evaluation: ${app.requestsPerEvaluation.toFixed(2)}; peak RSS ${app.peakRssMiB.toFixed(0)} MiB (nock keeps every request it intercepts)`,
  );
  const memory = json(['--expose-gc', await bundled('app-memory')]);
  console.log(
    `  heap in use after GC every 250 of ${memory.evaluations.toLocaleString('en')} check runs against the fake GitHub over HTTP: ${memory.heapMiB.join(', ')} MiB (flat is the aim)`,
  );
  const unsigned = json([await bundled('app-unsigned')]);
  console.log(
    `  ${unsigned.bodies} unsigned ${unsigned.bodyMiB} MB webhook bodies at once at app/lib/app.js: RSS ${unsigned.rssMiB.start} → peak ${unsigned.rssMiB.peak} → ${unsigned.rssMiB.after} MiB after; ${unsigned.logBytes.toLocaleString('en')} bytes logged (aim: under 1 MiB); answers ${unsigned.answers.join(' ')}`,
  );

  // The App as several instances run it: 2 processes on one redis-server, one killed half-way.
  console.log('\nGitHub App on Redis: 2 processes sharing one redis-server, GitHub faked on 127.0.0.1');
  const shared = json([await bundled('app-redis'), await bundled('app-instance')]);
  console.log(
    `  ${shared.webhooks.toLocaleString('en')} webhooks, one process killed (SIGKILL) half-way: ${shared.completed.toLocaleString('en')} completed check runs, ${shared.lost} lost (aim: 0), ${shared.redelivered} deliveries cut by the kill redelivered`,
  );
  console.log(
    `  ${shared.perSecond.toFixed(1)} evaluations/s over ${shared.seconds.toFixed(1)} s (4 at a time per process); delivery → completed check run ${ms(shared.endToEnd)}`,
  );
  console.log(
    `  GitHub requests per evaluation: ${shared.requestsPerEvaluation.toFixed(2)}; peak RSS ${shared.peakRssMiB.killed.toFixed(0)} MiB (killed), ${shared.peakRssMiB.survivor.toFixed(0)} MiB (survivor)`,
  );
  const paced = json([await bundled('app-pacing')]);
  const pacing = (p) =>
    `${p.perSecond.toFixed(2)} evaluations/s, ${p.requestsPerEvaluation.toFixed(1)} GitHub requests and ${p.writesPerEvaluation.toFixed(1)} writes per evaluation`;
  console.log(
    `  one installation, ${paced.pullRequests} pull requests, GitHub's write pacing ON (what operators see): ${pacing(paced.pacingOn)} (aim: at least 0.9/s)`,
  );
  console.log(`  the same with write pacing OFF (the App's own ceiling): ${pacing(paced.pacingOff)}`);
  const limiter = json([await bundled('app-limiter')]);
  console.log(
    `  ${limiter.pullRequests} pull requests of one installation, throttling on (writes a second apart): ${limiter.v1.seconds.toFixed(1)} s with GraphQL reads paced as writes (v1), ${limiter.limiter.seconds.toFixed(1)} s with the read limiter: ${(limiter.v1.seconds / limiter.limiter.seconds).toFixed(1)}× faster`,
  );
}
