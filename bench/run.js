// npm run bench [-- NAME…] [-- --node VERSION]: prints figures and ratios; targets are aims, not assertions
// (machines are shared and noisy). Each bench is a module NAME.bench.js beside this file that exports its `title`
// and `run()`; a new one is one file and one line in BENCHES. Without names, all run, in this order.
// --node VERSION (`24`, `22.12`…) runs the timed processes, both sides of each ratio, on that Node, installed from
// the npm registry into .bench/ the first time; AIMS_BENCH_NODE=/path/to/node does the same with a binary at hand.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCHES = ['startup', 'check', 'audit-log', 'action', 'card-parser', 'hostile-yaml', 'app'];
const WORK = fileURLToPath(new URL('../.bench', import.meta.url));

/** Node VERSION's binary, from the registry's node-<platform>-<arch> package, installed into .bench/node-VERSION. */
function installNode(version) {
  const prefix = join(WORK, `node-${version}`);
  const pkg = `node-${process.platform}-${process.arch}`;
  const binary = join(prefix, 'node_modules', pkg, 'bin', 'node');
  if (existsSync(binary)) return binary;
  const result = spawnSync(
    'npm',
    ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', `${pkg}@${version}`],
    { stdio: 'inherit', shell: process.platform === 'win32' },
  );
  if (result.status !== 0 || !existsSync(binary)) {
    console.error(`could not install ${pkg}@${version} into ${prefix} (npm exited ${result.status})`);
    process.exit(2);
  }
  return binary;
}

const args = process.argv.slice(2);
const at = args.indexOf('--node');
if (at !== -1) {
  const [, version] = args.splice(at, 2);
  if (!version || !/^\d+(\.\d+){0,2}$/.test(version)) {
    console.error('--node takes a Node version: 24, 22.12 or 24.11.1');
    process.exit(2);
  }
  process.env.AIMS_BENCH_NODE = installNode(version);
}
const unknown = args.filter((name) => !BENCHES.includes(name));
if (unknown.length) {
  console.error(`unknown bench ${unknown.join(', ')}; the benches are: ${BENCHES.join(', ')}`);
  process.exit(2);
}

// Imported once the Node to time is known: lib.js reads AIMS_BENCH_NODE.
const { describeEnvironment } = await import('./lib.js');
console.log(describeEnvironment());
for (const name of args.length ? args : BENCHES) {
  const { title, run } = await import(`./${name}.bench.js`);
  console.log(`\n${title}`);
  await run();
}
