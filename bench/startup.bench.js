// Start-up, like for like: the CLI's check of the example and the Action's cold start, each against
// `node -e 0` run in turns with it, with the same Node binary (NODE: `--node 24`) and the same environment.
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ENV, ROOT, RUNTIME, ratio, WORK } from './lib.js';

export const title = 'start-up against `node -e 0` (same Node, same environment, paired runs)';

const node = { label: 'node -e 0', args: ['-e', '0'] };
const check = {
  label: 'aims-gate check of the 3-system example',
  args: [
    join(ROOT, 'bin/aims-gate.js'),
    'check',
    join(ROOT, 'examples/ml-platform'),
    '--today',
    '2026-11-01',
  ],
};
// Where the compile cache goes is the bench's to say, not the caller's shell.
const BASE = Object.fromEntries(
  Object.entries(ENV).filter(
    ([name]) => name !== 'NODE_COMPILE_CACHE' && name !== 'NODE_DISABLE_COMPILE_CACHE',
  ),
);

export async function run() {
  console.log(`  on Node ${RUNTIME.version}`);
  if (!RUNTIME.compileCache) {
    ratio('CLI start-up ratio (no compile cache in this Node)', {
      floor: node,
      command: check,
      options: { env: BASE },
      aim: 3,
    });
  } else {
    // bin/aims-gate.js turns Node's compile cache on. Its first run compiles and writes the cache; the runs after
    // it read V8's code from there. Both are timed, apart: a fresh, empty cache folder for each pair, then one
    // folder filled by a run before the timed ones. NODE_COMPILE_CACHE is the same for `node -e 0`.
    const dirs = [];
    // .bench/ is made by `--node VERSION`'s install, not by AIMS_BENCH_NODE=/path/to/node.
    mkdirSync(WORK, { recursive: true });
    const fresh = () => {
      dirs.push(mkdtempSync(join(WORK, 'compile-cache-')));
      return { env: { ...BASE, NODE_COMPILE_CACHE: dirs.at(-1) } };
    };
    try {
      ratio('CLI start-up ratio, first run (empty compile cache)', {
        floor: node,
        command: check,
        options: fresh,
        aim: 3,
      });
      ratio('CLI start-up ratio, later runs (compile cache filled)', {
        floor: node,
        command: check,
        options: fresh(),
        aim: 3,
      });
    } finally {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  }
  // With no token the Action loads, reads its inputs and stops: the cost of starting it on a runner, a fresh
  // machine with no compile cache (dist/index.js turns none on). The runner's variables are those of every other
  // process here, INPUT_MODE on both sides.
  const bundle = join(ROOT, 'dist/index.js');
  ratio('Action cold-start ratio', {
    floor: node,
    command: { label: 'node dist/index.js (load, read inputs, exit)', args: [bundle] },
    options: { env: { ...BASE, INPUT_MODE: 'pr-check', INPUT_TOKEN: '' } },
    aim: 3,
  });
  console.log(
    `  Action bundle: ${(statSync(bundle).size / 1024).toFixed(0)} KiB, one file (aim: at most 1,024 KiB)`,
  );
}
