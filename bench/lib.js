// What every bench module shares: one environment for every process it times, and the ways it times them.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Generated inputs and bundled bench scripts (git-ignored). */
export const WORK = join(ROOT, '.bench');
export const RUNS = Number(process.env.BENCH_RUNS ?? 5);

/**
 * The Node that runs every timed process, both sides of every ratio: this one, or AIMS_BENCH_NODE (set by
 * `npm run bench -- --node 24`), so that a figure can be had for each runtime the CLI and the Action meet.
 */
export const NODE = process.env.AIMS_BENCH_NODE || process.execPath;

/** What NODE is: its version, and whether it has Node's module compile cache (22.1 and later). */
export const RUNTIME = JSON.parse(
  spawnSync(
    NODE,
    [
      '-p',
      "JSON.stringify({version: process.version, compileCache: typeof require('node:module').enableCompileCache === 'function'})",
    ],
    { encoding: 'utf8' },
  ).stdout,
);

/**
 * The environment of every process a bench starts, both sides of every ratio alike. NODE_EXTRA_CA_CERTS is
 * cleared: with it Node reads and parses a bundle of certificates at each start, which made `node -e 0` three
 * times slower here, and a floor slowed so makes any start-up ratio look better than it is.
 */
export const ENV = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => name !== 'NODE_EXTRA_CA_CERTS'),
);

/** One process, timed from spawn to exit. Exit 1 (findings) is a result; anything else is an error. */
export function time(args, { env = ENV, cwd = ROOT } = {}) {
  const start = process.hrtime.bigint();
  const result = spawnSync(NODE, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 30, env });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0 && result.status !== 1)
    throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return { ms, stdout: result.stdout, stderr: result.stderr };
}

/** A JSON-printing bench script's one line, parsed. */
export const json = (args, options) => JSON.parse(time(args, options).stdout);

/**
 * BENCH_INSTRUCTIONS=1: ratios also counted in instructions executed (Valgrind's callgrind, every thread of the
 * process), which a busy shared machine does not change as it changes wall time; some 100 times slower to run.
 */
export const INSTRUCTIONS = process.env.BENCH_INSTRUCTIONS === '1';

/** The instructions one process executes, from spawn to exit, under callgrind. */
export function instructions(args, { env = ENV, cwd = ROOT } = {}) {
  const result = spawnSync(
    'valgrind',
    ['--tool=callgrind', '--callgrind-out-file=/dev/null', NODE, ...args],
    { cwd, encoding: 'utf8', maxBuffer: 1 << 30, env },
  );
  const collected = /Collected : (\d+)/.exec(result.stderr ?? '');
  if (!collected || (result.status !== 0 && result.status !== 1))
    throw new Error(`valgrind ${args.join(' ')} exited ${result.status}: ${result.error ?? result.stderr}`);
  return Number(collected[1]);
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const ms = (value) => `${value.toFixed(0).padStart(6)} ms`;

/** Median wall time of RUNS runs after one to warm the file cache (and Node's compile cache, where it has one). */
export function measure(label, args, options) {
  time(args, options);
  const samples = Array.from({ length: RUNS }, () => time(args, options).ms);
  console.log(
    `  ${label.padEnd(46)} median ${ms(median(samples))}  (min ${Math.min(...samples).toFixed(0)}, max ${Math.max(...samples).toFixed(0)}, ${RUNS} runs)`,
  );
  return median(samples);
}

/**
 * A command against its floor, run in turns (floor, command, floor, command…) with the same environment, so
 * that a busy spell of a shared machine weighs on both alike. Prints both medians and their ratio.
 */
export function ratio(label, { floor, command, options, aim }) {
  // OPTIONS may be made afresh for each pair (a new, empty compile cache), the same for both of its runs.
  const optionsOf = typeof options === 'function' ? options : () => options;
  const warmUp = optionsOf();
  time(floor.args, warmUp);
  time(command.args, warmUp);
  const floors = [];
  const commands = [];
  for (let i = 0; i < RUNS; i++) {
    const pair = optionsOf();
    floors.push(time(floor.args, pair).ms);
    commands.push(time(command.args, pair).ms);
  }
  const value = median(commands) / median(floors);
  console.log(`  ${floor.label.padEnd(46)} median ${ms(median(floors))}`);
  console.log(`  ${command.label.padEnd(46)} median ${ms(median(commands))}`);
  console.log(
    `  ${label}: ${value.toFixed(2)}×  (medians of ${RUNS} paired runs${aim ? `; aim: at most ${aim}` : ''})`,
  );
  if (INSTRUCTIONS) {
    const pair = optionsOf();
    const [base, counted] = [instructions(floor.args, pair), instructions(command.args, pair)];
    console.log(
      `  ${label} in instructions: ${(counted / base).toFixed(2)}×  (${(counted / 1e6).toFixed(0)} M against ${(base / 1e6).toFixed(0)} M, callgrind)`,
    );
  }
  return { floor: median(floors), command: median(commands), ratio: value };
}

/** Bundles a TypeScript bench script (it may share the tests' fake GitHub) into .bench/ and returns its path. */
export async function bundled(name) {
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

/** Where the figures come from: printed first, so that a ratio is never read without its machine. */
export function describeEnvironment() {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
  return [
    `aims-gate ${version} benchmarks · node ${RUNTIME.version} (${process.platform}-${process.arch}${NODE === process.execPath ? '' : `, ${NODE}`}) · ${RUNS} runs each`,
    `machine: ${availableParallelism()} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} at the start`,
    `every timed process: NODE_EXTRA_CA_CERTS ${process.env.NODE_EXTRA_CA_CERTS ? 'cleared (it was set)' : 'not set'}; NODE_OPTIONS ${ENV.NODE_OPTIONS ? `"${ENV.NODE_OPTIONS}"` : 'not set'}; Node's module compile cache ${RUNTIME.compileCache ? 'enabled by bin/aims-gate.js (the start-up bench times its first run apart)' : 'not in this Node (22.1 and later have it): each start compiles'}`,
  ].join('\n');
}
