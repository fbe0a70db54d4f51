// `npm start` and `npm test` build only when a source changed since the last build: lib/.built records when that
// was. In CI, `npm ci`'s prepare has just built, and `npm test` does not build again.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url)); // .pathname keeps %20 for a space
const STAMP = join(ROOT, 'lib/.built');

/** The newest modification time among the files that go into lib/. */
function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

// `npm run build` ends with --stamp: what it built is fresh, whoever ran it (npm ci's prepare, a developer).
if (process.argv.includes('--stamp')) {
  writeFileSync(STAMP, `${new Date().toISOString()}\n`);
  process.exit(0);
}

const inputs = [
  'src',
  'generated',
  'app',
  'scripts/build-app.js',
  'scripts/build-cli.js',
  'scripts/bundling.js',
  'tsconfig.json',
  'tsconfig.build.json',
  'package.json',
  'package-lock.json',
];
const built = existsSync(STAMP) ? statSync(STAMP).mtimeMs : 0;
if (inputs.some((input) => newest(join(ROOT, input)) > built)) {
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
