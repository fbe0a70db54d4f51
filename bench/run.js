// npm run bench: prints figures and ratios; targets are aims, not assertions (machines are shared and noisy).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateMonorepo } from './generate.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORK = join(ROOT, '.bench');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

function time(args, env = process.env) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 30, env });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0 && result.status !== 1)
    throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return { ms, stdout: result.stdout, stderr: result.stderr };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function measure(label, args, env) {
  time(args, env); // warm the file cache
  const samples = Array.from({ length: RUNS }, () => time(args, env).ms);
  console.log(
    `  ${label.padEnd(44)} median ${median(samples).toFixed(0).padStart(6)} ms  (min ${Math.min(...samples).toFixed(0)}, max ${Math.max(...samples).toFixed(0)}, ${RUNS} runs)`,
  );
  return median(samples);
}

console.log(`aims-gate benchmarks · node ${process.version} · ${RUNS} runs each\n`);

// 1. check on a synthetic monorepo of 2,000 systems (6,000 documents), against reading + YAML-parsing the same files.
const monorepo = join(WORK, 'monorepo-2000');
if (!existsSync(join(monorepo, '.github/aims-gate.yml'))) {
  const documents = generateMonorepo(monorepo, 2000);
  console.log(`generated ${monorepo}: 2,000 systems, ${documents} documents`);
}
console.log('check of a 2,000-system monorepo (6,000 documents)');
const floor = measure('read + YAML-parse the documents (floor)', [join(ROOT, 'bench/baseline.js'), monorepo]);
const check = measure('aims-gate check --format json', [
  join(ROOT, 'bin/aims-gate.js'),
  'check',
  monorepo,
  '--format',
  'json',
  '--today',
  '2026-11-01',
]);
const startup = measure('aims-gate check of the 3-system example', [
  join(ROOT, 'bin/aims-gate.js'),
  'check',
  join(ROOT, 'examples/ml-platform'),
  '--today',
  '2026-11-01',
]);
const nodeStart = measure('node -e 0', ['-e', '0']);
const result = JSON.parse(
  time([join(ROOT, 'bin/aims-gate.js'), 'check', monorepo, '--format', 'json', '--today', '2026-11-01'])
    .stdout,
);
console.log(
  `  evaluated ${result.systems.length} systems, ${result.findings.length} findings, verdict ${result.verdict}`,
);
console.log(`  ratio check / floor: ${(check / floor).toFixed(2)}  (aim: at most 2.0)`);
console.log(
  `  per system: ${((check - startup) / 2000).toFixed(2)} ms beyond start-up; start-up ${startup.toFixed(0)} ms = ${(startup / nodeStart).toFixed(1)}× node -e 0 (aim: at most 3)`,
);

// 1b. Scale: 20,000 systems (60,000 documents), with the open-file limit many machines have (ulimit -n 1024).
const SCALE = Number(process.env.BENCH_SCALE_SYSTEMS ?? 20_000);
const huge = join(WORK, `monorepo-${SCALE}`);
if (!existsSync(join(huge, '.github/aims-gate.yml'))) generateMonorepo(huge, SCALE);
const scaled = spawnSync(
  'sh',
  ['-c', `ulimit -n 1024 && "${process.execPath}" bench/check-scale.js "${huge}"`],
  {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  },
);
if (scaled.status !== 0) throw new Error(`check of ${SCALE} systems failed: ${scaled.stderr}`);
const scale = JSON.parse(scaled.stdout);
console.log(
  `  ${scale.systems.toLocaleString('en')} systems (${(scale.systems * 3).toLocaleString('en')} documents), at most 1,024 open files: ${(scale.ms / 1000).toFixed(1)} s, ${(scale.ms / scale.systems).toFixed(2)} ms per system, peak RSS ${scale.peakRssMiB.toFixed(0)} MiB`,
);

// 2. The audit log: append throughput, and verify of a 1,000,000-entry log against a plain SHA-256 of its bytes.
const LOG_ENTRIES = Number(process.env.BENCH_LOG_ENTRIES ?? 1_000_000);
const step = (...args) => JSON.parse(time([join(ROOT, 'bench/audit-log.js'), ...args]).stdout);
const bigLog = join(WORK, 'audit-1m.jsonl');
const smallLog = join(WORK, 'audit-100k.jsonl');
console.log(`\naudit log`);
const generated = step('generate', bigLog, String(LOG_ENTRIES));
step('generate', smallLog, String(Math.round(LOG_ENTRIES / 10)));
const { statSync, rmSync } = await import('node:fs');
const bytes = statSync(bigLog).size;
console.log(
  `  generated ${LOG_ENTRIES.toLocaleString('en')} entries (${(bytes / 2 ** 20).toFixed(0)} MiB) in ${(generated.ms / 1000).toFixed(1)} s: ${Math.round(LOG_ENTRIES / (generated.ms / 1000)).toLocaleString('en')} entries/s sealed and written in blocks`,
);
const appendLog = join(WORK, 'audit-append.jsonl');
rmSync(appendLog, { force: true });
const appended = step('append', appendLog, '2000');
console.log(
  `  file store append (lock + tail read + write + fsync per entry): ${Math.round(2000 / (appended.ms / 1000)).toLocaleString('en')} entries/s over 2,000 appends`,
);
// Rounds alternate the floor and verify, so that a busy spell of a shared machine weighs on both alike.
const rounds = Array.from({ length: RUNS }, () => {
  const sha = step('sha256', bigLog);
  const verified = step('verify', bigLog);
  return { sha, verified, ratio: verified.ms / sha.ms };
});
const verifyMs = median(rounds.map((r) => r.verified.ms));
const shaMs = median(rounds.map((r) => r.sha.ms));
const ratios = rounds.map((r) => r.ratio);
const small = step('verify', smallLog);
console.log(
  `  verify: ${(verifyMs / 1000).toFixed(2)} s = ${Math.round(LOG_ENTRIES / (verifyMs / 1000)).toLocaleString('en')} entries/s; plain SHA-256 of the bytes ${(shaMs / 1000).toFixed(2)} s`,
);
console.log(
  `  ratio verify / SHA-256 floor: ${(verifyMs / shaMs).toFixed(2)} (medians; per round median ${median(ratios).toFixed(2)}, ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)} over ${RUNS} rounds; load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores)  (aim: at most 4)`,
);
console.log(
  `  peak RSS of verify: ${small.maxRssMiB.toFixed(0)} MiB for ${(LOG_ENTRIES / 10).toLocaleString('en')} entries, ${Math.max(...rounds.map((r) => r.verified.maxRssMiB)).toFixed(0)} MiB for ${LOG_ENTRIES.toLocaleString('en')} (flat is the aim)`,
);

// Signed entries: per entry, in one process on the same entries, against a bare SHA-256 of each line.
const signing = step('signing', '-', String(Number(process.env.BENCH_SIGNED_ENTRIES ?? 20_000)));
console.log(
  `  signed entries (${signing.entries.toLocaleString('en')}, ${signing.lineBytes} bytes a line, Ed25519 in SSHSIG): sign ${signing.signUs.toFixed(1)} µs, verify (chain + signature) ${signing.verifyUs.toFixed(1)} µs, bare SHA-256 of the line ${signing.shaUs.toFixed(2)} µs per entry; ratios sign / SHA-256 ${(signing.signUs / signing.shaUs).toFixed(0)}, verify / SHA-256 ${(signing.verifyUs / signing.shaUs).toFixed(0)}`,
);

const reported = step('report', bigLog);
console.log(
  `  HTML report of the example with the ${LOG_ENTRIES.toLocaleString('en')}-entry log: ${(reported.ms / 1000).toFixed(1)} s, ${(reported.reportBytes / 1024).toFixed(0)} KiB (v1: 258 MB), peak RSS ${reported.maxRssMiB.toFixed(0)} MiB`,
);

// 3. The Action: API requests of one pull-request check, the bundle's size, and its cold start.
console.log('\nGitHub Action (dist/index.js)');
const { build } = await import('esbuild');
/** Bundles a TypeScript bench script (it shares the tests' fake GitHub) into .bench/ and returns its path. */
async function bundled(name) {
  const outfile = join(WORK, `${name}.mjs`);
  await build({
    entryPoints: [join(ROOT, `bench/${name}.ts`)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}
const prCheck = JSON.parse(time([await bundled('action')]).stdout);
console.log(
  `  pr-check of a PR changing ${prCheck.files} files across ${prCheck.systems} systems, 5 reviews: ${prCheck.requests} API requests (aim: at most 8), ${prCheck.ms.toFixed(0)} ms`,
);
for (const [route, n] of Object.entries(prCheck.byRoute))
  console.log(`    ${String(n).padStart(2)} × ${route}`);
const deploy = JSON.parse(time([await bundled('deploy-gate')]).stdout);
// Before signed history and judged config (commit 410d37d), the same decision made 39 requests on the same inputs
// (the organisation's config included): it started from GitHub's deployments, which anyone can create, and did
// not read a log or the default branch's config history.
console.log(
  `  deploy decision for a deployment shipping ${deploy.pullRequests} merged PRs touching ${deploy.systems} systems: ${deploy.decision.requests} API requests (aim: a constant plus at most one per PR; 39 for the same inputs before the signed log and the judged config, goal at most 10% more), ${deploy.decision.ms.toFixed(0)} ms`,
);
for (const [route, n] of Object.entries(deploy.decision.byRoute))
  console.log(`    ${String(n).padStart(2)} × ${route}`);
console.log(
  `  the Action's whole deploy-gate run (decision, then its ${deploy.systems + 1} signed entries written to the log branch): ${deploy.action.requests} API requests, ${deploy.action.writes} of them writes, ${deploy.action.ms.toFixed(0)} ms`,
);
const bundleBytes = statSync(join(ROOT, 'dist/index.js')).size;
console.log(`  bundle: ${(bundleBytes / 1024).toFixed(0)} KiB, one file`);
// With no token the Action loads, parses its inputs and stops: the cost of starting it on a runner.
const cold = measure('node dist/index.js (load, read inputs, exit)', [join(ROOT, 'dist/index.js')], {
  PATH: process.env.PATH,
  INPUT_MODE: 'pr-check',
});
console.log(`  cold start ratio to node -e 0: ${(cold / nodeStart).toFixed(1)}×`);

// 5. Model cards nobody here wrote: adversarial shapes through the card parser, 1 to 5 MB.
console.log('\nmodel-card parser on adversarial input (past the 1 MiB file limit, to show it is linear)');
const parse = JSON.parse(time([await bundled('card-parse')]).stdout);
for (const [shape, bySize] of Object.entries(parse)) {
  const perMb = bySize['5MB'] / 5;
  console.log(
    `  ${shape.padEnd(22)} 1 MB ${bySize['1MB'].toFixed(0).padStart(5)} ms, 5 MB ${bySize['5MB'].toFixed(0).padStart(5)} ms: ${perMb.toFixed(0)} ms per MB, 5 MB / 1 MB = ${(bySize['5MB'] / bySize['1MB']).toFixed(1)} (linear: 5; aim: well under 1,000 ms per MB)`,
  );
}

// 5b. Hostile YAML: alias expansion, nesting and size bounds, each shape in its own process.
console.log(`\n${time([join(ROOT, 'bench/hostile-yaml.js')]).stdout.trimEnd()}`);

// 4. The App: 1,000 signed webhooks through its real HTTP server, GitHub answered at once by nock.
console.log('\nGitHub App (Probot, real HTTP server on 127.0.0.1, GitHub answered by nock with no latency)');
const app = JSON.parse(time([await bundled('app')]).stdout);
const ms = (p) => `p50 ${p.p50.toFixed(0)} ms, p99 ${p.p99.toFixed(0)} ms`;
console.log(
  `  ${app.webhooks.toLocaleString('en')} pull_request webhooks, ${app.evaluations.toLocaleString('en')} evaluations in ${app.seconds.toFixed(1)} s: ${app.perSecond.toFixed(1)} evaluations/s (4 at a time)`,
);
console.log(`  delivery → completed check run, queueing included: ${ms(app.endToEnd)}`);
console.log(
  `  GitHub requests per evaluation: ${app.requestsPerEvaluation.toFixed(2)}; peak RSS ${app.peakRssMiB.toFixed(0)} MiB (nock keeps every request it intercepts)`,
);
const memory = JSON.parse(time(['--expose-gc', await bundled('app-memory')]).stdout);
console.log(
  `  heap in use after GC every 250 of ${memory.evaluations.toLocaleString('en')} check runs against the fake GitHub over HTTP: ${memory.heapMiB.join(', ')} MiB (flat is the aim)`,
);

const unsigned = JSON.parse(time([await bundled('app-unsigned')]).stdout);
console.log(
  `  ${unsigned.bodies} unsigned ${unsigned.bodyMiB} MB webhook bodies at once at app/lib/app.js: RSS ${unsigned.rssMiB.start} → peak ${unsigned.rssMiB.peak} → ${unsigned.rssMiB.after} MiB after; ${unsigned.logBytes.toLocaleString('en')} bytes logged (aim: under 1 MiB); answers ${unsigned.answers.join(' ')}`,
);

// The App as several instances run it: 2 processes on one redis-server, one killed half-way.
console.log('\nGitHub App on Redis: 2 processes sharing one redis-server, GitHub faked on 127.0.0.1');
const shared = JSON.parse(time([await bundled('app-redis'), await bundled('app-instance')]).stdout);
console.log(
  `  ${shared.webhooks.toLocaleString('en')} webhooks, one process killed (SIGKILL) half-way: ${shared.completed.toLocaleString('en')} completed check runs, ${shared.lost} lost (aim: 0), ${shared.redelivered} deliveries cut by the kill redelivered`,
);
console.log(
  `  ${shared.perSecond.toFixed(1)} evaluations/s over ${shared.seconds.toFixed(1)} s (4 at a time per process); delivery → completed check run ${ms(shared.endToEnd)}`,
);
console.log(
  `  GitHub requests per evaluation: ${shared.requestsPerEvaluation.toFixed(2)}; peak RSS ${shared.peakRssMiB.killed.toFixed(0)} MiB (killed), ${shared.peakRssMiB.survivor.toFixed(0)} MiB (survivor)`,
);
const paced = JSON.parse(time([await bundled('app-pacing')]).stdout);
const pacing = (p) =>
  `${p.perSecond.toFixed(2)} evaluations/s, ${p.requestsPerEvaluation.toFixed(1)} GitHub requests and ${p.writesPerEvaluation.toFixed(1)} writes per evaluation`;
console.log(
  `  one installation, ${paced.pullRequests} pull requests, GitHub's write pacing ON (what operators see): ${pacing(paced.pacingOn)} (aim: at least 0.9/s)`,
);
console.log(`  the same with write pacing OFF (the App's own ceiling): ${pacing(paced.pacingOff)}`);
const limiter = JSON.parse(time([await bundled('app-limiter')]).stdout);
console.log(
  `  ${limiter.pullRequests} pull requests of one installation, throttling on (writes a second apart): ${limiter.v1.seconds.toFixed(1)} s with GraphQL reads paced as writes (v1), ${limiter.limiter.seconds.toFixed(1)} s with the read limiter: ${(limiter.v1.seconds / limiter.limiter.seconds).toFixed(1)}× faster`,
);
