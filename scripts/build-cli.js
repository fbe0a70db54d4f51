// Bundles the CLI into lib/cli.cjs and writes V8's code cache of it, lib/cli.cjs.cache (part of `npm run build`,
// after tsc). bin/aims-gate.js loads both through lib/cli/load.cjs: one file, compiled ahead, starts in a
// fraction of the time of its modules one by one. The cache is made on the machine that runs it, never committed.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** What both builds do: Node's CommonJS, with the module's own location where ES modules have import.meta.url. */
const COMMONJS = {
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  legalComments: 'none',
  logLevel: 'warning',
  define: { 'import.meta.url': 'importMetaUrl' },
  banner: { js: "const importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
};

// The loader, for bin/aims-gate.js, which is CommonJS so that Node need not start its ES module loader.
await build({ ...COMMONJS, entryPoints: [`${ROOT}src/cli/load.ts`], outfile: `${ROOT}lib/cli/load.cjs` });
const { BUNDLE, bundleScript, CODE_CACHE, runBundle, sealedCache } = await import('../lib/cli/load.cjs');

const result = await build({
  entryPoints: [`${ROOT}src/cli/main.ts`],
  ...COMMONJS,
  bundle: true,
  // Less to read, hash and compile at each start; names are kept, for stack traces (AIMS_GATE_DEBUG).
  minifyWhitespace: true,
  minifySyntax: true,
  write: false,
  // import() of a Node module would stay import(), which a vm.Script cannot run: require() it instead.
  supported: { 'dynamic-import': false },
});
// esbuild leaves a few characters beyond ASCII in regular expressions; one is enough for V8 to hold the whole
// source two bytes a character, slower to decode and read. Escaped, they mean the same.
const code = Buffer.from(
  result.outputFiles[0].text.replace(
    /[\u0080-\uffff]/g,
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
writeFileSync(CODE_CACHE, sealedCache(code, script.createCachedData()));
