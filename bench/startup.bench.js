// Start-up, like for like: the CLI's check of the example and the Action's cold start, each against
// `node -e 0` run in turns with it, in the same environment.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ENV, ROOT, ratio } from './lib.js';

export const title = 'start-up against `node -e 0` (same environment, paired runs)';

export async function run() {
  const node = { label: 'node -e 0', args: ['-e', '0'] };
  ratio('CLI start-up ratio', {
    floor: node,
    command: {
      label: 'aims-gate check of the 3-system example',
      args: [
        join(ROOT, 'bin/aims-gate.js'),
        'check',
        join(ROOT, 'examples/ml-platform'),
        '--today',
        '2026-11-01',
      ],
    },
    aim: 3,
  });
  // With no token the Action loads, reads its inputs and stops: the cost of starting it on a runner. The
  // runner's variables are those of every other process here, INPUT_MODE on both sides.
  const bundle = join(ROOT, 'dist/index.js');
  ratio('Action cold-start ratio', {
    floor: node,
    command: { label: 'node dist/index.js (load, read inputs, exit)', args: [bundle] },
    options: { env: { ...ENV, INPUT_MODE: 'pr-check', INPUT_TOKEN: '' } },
    aim: 3,
  });
  console.log(
    `  Action bundle: ${(statSync(bundle).size / 1024).toFixed(0)} KiB, one file (aim: at most 1,024 KiB)`,
  );
}
