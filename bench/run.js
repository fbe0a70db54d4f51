// npm run bench [-- NAME…]: prints figures and ratios; targets are aims, not assertions (machines are shared
// and noisy). Each bench is a module NAME.bench.js beside this file that exports its `title` and `run()`;
// a new one is one file and one line in BENCHES. Without names, all run, in this order.
import { describeEnvironment } from './lib.js';

const BENCHES = ['startup', 'check', 'audit-log', 'action', 'card-parser', 'hostile-yaml', 'app'];

const names = process.argv.slice(2);
const unknown = names.filter((name) => !BENCHES.includes(name));
if (unknown.length) {
  console.error(`unknown bench ${unknown.join(', ')}; the benches are: ${BENCHES.join(', ')}`);
  process.exit(2);
}

console.log(describeEnvironment());
for (const name of names.length ? names : BENCHES) {
  const { title, run } = await import(`./${name}.bench.js`);
  console.log(`\n${title}`);
  await run();
}
