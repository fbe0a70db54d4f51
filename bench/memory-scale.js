// Memory and scale (issue 24): `check` and `inventory` on Hub-card-shaped repositories of 2,000 and 25,109 systems,
// against a like-for-like floor, and the log readers on a log of 1,000,000 entries. Every run is its own process,
// started with the same environment minus NODE_EXTRA_CA_CERTS (which slows every Node start), with at most 1,024
// files open. Prints figures and ratios; targets are aims, not assertions (machines are shared and noisy).
//   node bench/memory-scale.js                  everything (BENCH_SMALL, BENCH_LARGE, BENCH_LOG_ENTRIES to change sizes)
//   node bench/memory-scale.js floor DIR        read + YAML-parse + Markdown block pass of every card: the floor
//   node bench/memory-scale.js run ARGS…        one aims-gate command in this process, its output counted, not kept
// Each subcommand prints one JSON line: { ms, cpuMs, peakRssMiB, … }.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateHubRepo, HUB_SNAPSHOT_CARDS } from './hub-cards.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORK = join(ROOT, '.bench');
const [command, ...args] = process.argv.slice(2);

const usage = () => ({
  peakRssMiB: process.resourceUsage().maxRSS / 1024,
  cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
});

if (command === 'floor') {
  // What any checker of these cards must do at least: read each file, split off and YAML-parse its front matter
  // and make the Markdown block pass (markdown-it's block rules, as aims-gate runs it). Nothing else.
  const { parse } = await import('yaml');
  const { default: MarkdownIt } = await import('markdown-it');
  const markdown = new MarkdownIt('commonmark');
  markdown.core.ruler.disable(['inline', 'text_join']);
  markdown.enable('table'); // GFM tables, as the Hub renders cards and aims-gate reads them
  const start = performance.now();
  const cpu = process.cpuUsage();
  let files = 0;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(md|ya?ml)$/i.test(entry.name) && !full.includes('/.github/')) {
        const text = readFileSync(full, 'utf8');
        files++;
        if (!/\.md$/i.test(entry.name)) {
          parse(text);
          continue;
        }
        const front = /^\s*?---[ \t]*\n([\s\S]*?)\n(?:---|\.\.\.)[ \t]*(?:\n|$)/.exec(text);
        try {
          if (front) parse(front[1]);
        } catch {
          // A card whose front matter is no YAML costs its parse all the same.
        }
        markdown.parse(front ? text.slice(front[0].length) : text, {});
      }
    }
  };
  walk(args[0]);
  const used = process.cpuUsage(cpu);
  console.log(
    JSON.stringify({
      ms: performance.now() - start,
      cpuMs: (used.user + used.system) / 1000,
      files,
      peakRssMiB: usage().peakRssMiB,
    }),
  );
  process.exit(0);
}

if (command === 'run') {
  const { main } = await import(
    process.env.AIMS_GATE_LIB ? `${process.env.AIMS_GATE_LIB}/cli/main.js` : '../lib/cli/main.js'
  );
  let outBytes = 0;
  const start = performance.now();
  const cpu = process.cpuUsage();
  const code = await main(args, {
    out: (text) => {
      outBytes += Buffer.byteLength(text);
    },
    err: () => {},
    color: false,
  });
  const used = process.cpuUsage(cpu);
  console.log(
    JSON.stringify({
      code,
      ms: performance.now() - start,
      cpuMs: (used.user + used.system) / 1000,
      outBytes,
      peakRssMiB: usage().peakRssMiB,
    }),
  );
  process.exit(0);
}

// The whole bench: each measurement in a child process, like for like.
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;
function child(script, scriptArgs, { nodeArgs = [], extraEnv = {} } = {}) {
  const result = spawnSync(
    'sh',
    ['-c', 'ulimit -n 1024 && exec "$0" "$@"', process.execPath, ...nodeArgs, script, ...scriptArgs],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26, env: { ...env, ...extraEnv } },
  );
  if (result.status !== 0)
    throw new Error(`${script} ${scriptArgs.join(' ')} exited ${result.status}: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1));
}
const hub = (n) => {
  const dir = join(WORK, `hub-${n}`);
  if (!existsSync(join(dir, '.github/aims-gate.yml'))) generateHubRepo(dir, n);
  return dir;
};
const f0 = (n) => n.toFixed(0);
const s1 = (ms) => `${(ms / 1000).toFixed(1)} s`;

const SMALL = Number(process.env.BENCH_SMALL ?? 2000);
const LARGE = Number(process.env.BENCH_LARGE ?? HUB_SNAPSHOT_CARDS);
console.log(
  `memory and scale · node ${process.version} · NODE_EXTRA_CA_CERTS cleared on every side · load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores`,
);
console.log(
  `check of Hub model cards (${readdirSync(join(hub(SMALL), 'models')).length.toLocaleString('en')} and ${LARGE.toLocaleString('en')} systems, one card each)`,
);
const checks = {};
for (const n of [SMALL, LARGE]) {
  const dir = hub(n);
  const floor = child('bench/memory-scale.js', ['floor', dir]);
  const check = child('bench/check-scale.js', [dir]);
  checks[n] = check;
  console.log(
    `  ${n.toLocaleString('en').padStart(6)} systems: check ${s1(check.ms)} (CPU ${s1(check.cpuMs)}), peak RSS ${f0(check.peakRssMiB)} MiB, ${check.findings.toLocaleString('en')} findings; floor (read + YAML + Markdown blocks) ${s1(floor.ms)} (CPU ${s1(floor.cpuMs)})`,
  );
  console.log(
    `          ratio check / floor: ${(check.ms / floor.ms).toFixed(2)} wall, ${(check.cpuMs / floor.cpuMs).toFixed(2)} CPU  (aim: at most 1.6)`,
  );
}
const large = checks[LARGE];
console.log(
  `  peak RSS ${f0(large.peakRssMiB)} MiB at ${LARGE.toLocaleString('en')} systems (aim: at most 400); ${(large.peakRssMiB / checks[SMALL].peakRssMiB).toFixed(2)}× the ${SMALL.toLocaleString('en')}-system figure (aim: at most 1.3, flat)`,
);
// The same checks again, collecting every 64 writes: what the check holds, apart from how far V8 lets its
// heap grow between collections (further, the longer a process runs), which the peak RSS above includes.
const live = Object.fromEntries(
  [SMALL, LARGE].map((n) => [
    n,
    child('bench/check-scale.js', [hub(n)], { nodeArgs: ['--expose-gc'], extraEnv: { BENCH_LIVE: '1' } }),
  ]),
);
console.log(
  `  live heap (after a full collection, the most seen): ${f0(live[SMALL].liveHeapMiB)} MiB at ${SMALL.toLocaleString('en')} systems, ${f0(live[LARGE].liveHeapMiB)} MiB at ${LARGE.toLocaleString('en')}: ${(live[LARGE].liveHeapMiB / live[SMALL].liveHeapMiB).toFixed(2)}×; peak RSS so collected ${f0(live[SMALL].peakRssMiB)} and ${f0(live[LARGE].peakRssMiB)} MiB (${(live[LARGE].peakRssMiB / live[SMALL].peakRssMiB).toFixed(2)}×)`,
);
const inventory = child('bench/check-scale.js', [hub(LARGE), 'inventory']);
console.log(
  `  inventory of ${LARGE.toLocaleString('en')} systems: ${s1(inventory.ms)} (CPU ${s1(inventory.cpuMs)}), peak RSS ${f0(inventory.peakRssMiB)} MiB; ratio to check ${(inventory.ms / large.ms).toFixed(2)} wall, ${(inventory.cpuMs / large.cpuMs).toFixed(2)} CPU  (aim: at most 1.5)`,
);

// The log readers, on the example's documents with a log of a million entries about 2,000 systems.
const ENTRIES = Number(process.env.BENCH_LOG_ENTRIES ?? 1_000_000);
const log = join(WORK, `audit-${ENTRIES}.jsonl`);
if (!existsSync(log)) child('bench/audit-log.js', ['generate', log, String(ENTRIES)]);
const example = join(ROOT, 'examples/ml-platform');
console.log(
  `\nlog readers on ${ENTRIES.toLocaleString('en')} entries (${f0(statSync(log).size / 2 ** 20)} MiB), the example's documents (aim: at most 200 MiB each)`,
);
for (const [label, cli] of [
  ['log', ['log', example, '--log', log]],
  ['nc list --all', ['nc', 'list', example, '--log', log, '--all', '--today', '2026-11-01']],
  ['inventory', ['inventory', example, '--log', log, '--today', '2026-11-01']],
  ['report (HTML)', ['report', example, '--log', log, '-f', 'html', '--today', '2026-11-01']],
]) {
  const run = child('bench/memory-scale.js', ['run', ...cli]);
  console.log(
    `  ${label.padEnd(14)} peak RSS ${f0(run.peakRssMiB).padStart(5)} MiB, ${s1(run.ms)} (exit ${run.code}, ${f0(run.outBytes / 1024)} KiB out)`,
  );
}
