// Bundles the CLI into lib/cli.cjs and writes V8's code cache of it, lib/cli.cjs.cache (part of `npm run build`,
// after tsc). bin/aims-gate.js loads both through lib/cli/load.js: one file, compiled ahead, starts in a
// fraction of the time of its modules one by one. The cache is made on the machine that runs it, never committed.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { BUNDLE, bundleHash, bundleScript, CODE_CACHE, runBundle } from '../lib/cli/load.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const result = await build({
  entryPoints: [`${ROOT}src/cli/main.ts`],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  legalComments: 'none',
  // Less to read, hash and compile at each start; names are kept, for stack traces (AIMS_GATE_DEBUG).
  minifyWhitespace: true,
  minifySyntax: true,
  write: false,
  logLevel: 'warning',
  // import() of a Node module would stay import(), which a vm.Script cannot run: require() it instead.
  supported: { 'dynamic-import': false },
  // The data files are found from the module's own location (src/assets.ts), which CommonJS has as __filename.
  define: { 'import.meta.url': 'importMetaUrl' },
  banner: { js: "const importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
});
// esbuild leaves a few characters beyond ASCII in regular expressions; one is enough for V8 to hold the whole
// source two bytes a character, slower to decode and read. Escaped, they mean the same.
const code = Buffer.from(
  result.outputFiles[0].text.replace(
    /[^\x00-\x7f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  ),
);
writeFileSync(BUNDLE, code);
rmSync(CODE_CACHE, { force: true });

// V8 caches the functions compiled so far: run the README's example check first, so those it calls are in it.
const script = bundleScript(code);
const { main } = runBundle(script);
const example = `${ROOT}examples/ml-platform`;
if (existsSync(example)) {
  const quiet = { out() {}, err() {}, color: false };
  await main(['check', example, '--today', '2026-11-01'], quiet);
}
writeFileSync(CODE_CACHE, Buffer.concat([bundleHash(code), script.createCachedData()]));
