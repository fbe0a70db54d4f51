// Bundles the CLI into one CommonJS file, lib/cli.cjs (part of `npm run build`, after tsc), which
// bin/aims-gate.js requires: loading some 250 modules one by one cost most of a short command's time.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const result = await build({
  entryPoints: [`${ROOT}src/cli/main.ts`],
  bundle: true,
  // Node's CommonJS, so that Node need not start its ES module loader; the module's own location where ES
  // modules have import.meta.url.
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  define: { 'import.meta.url': 'importMetaUrl' },
  banner: { js: "const importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  legalComments: 'none',
  logLevel: 'warning',
  // Less to read and compile at each start; names are kept, for stack traces (AIMS_GATE_DEBUG).
  minifyWhitespace: true,
  minifySyntax: true,
  write: false,
  // import() of a Node module would start Node's ES module loader too: require() it instead.
  supported: { 'dynamic-import': false },
});
// esbuild leaves a few characters beyond ASCII in regular expressions; one is enough for V8 to hold the whole
// source two bytes a character, slower to decode and read. Escaped, they mean the same.
writeFileSync(
  `${ROOT}lib/cli.cjs`,
  result.outputFiles[0].text.replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  ),
);
