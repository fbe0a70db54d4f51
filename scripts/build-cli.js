// Bundles the CLI into CommonJS files in lib/ (part of `npm run build`, after tsc), which bin/aims-gate.js
// requires: loading some 250 modules one by one cost most of a short command's time, and so did compiling
// one bundle of every command's code (1.8 MB, ASN.1 and the auditor's report included) for a check of three
// systems. So:
//   lib/cli.cjs          the entry: arguments, usage, the error boundary (src/cli/main.ts), a few KiB;
//   lib/cli-check.cjs    what check, validate, test and explain need, required when one of them runs;
//   lib/cli-log.cjs      the audit log's commands (record, verify, log, keygen, anchor, nonconformity,
//                        inventory, report), init and merge-log;
//   lib/cli-ajv.cjs      Ajv, required only to compile a schema that is not precompiled (a repository's own);
//   lib/cli-errors.cjs   the error classes, one copy, so that `instanceof` holds across the files.
// Each command's file carries the core it needs; one process loads one of them.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { asciiOnly, lazy } from './bundling.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = `${ROOT}src/`;

/** The file each dynamically imported module of src/ is bundled into (main.ts imports each command so). */
const CHUNK_OF = {
  'cli/check.ts': 'cli-check',
  'cli/validate.ts': 'cli-check',
  'cli/test.ts': 'cli-check',
  'cli/explain.ts': 'cli-check',
  'version.ts': 'cli-check',
  'cli/init.ts': 'cli-log',
  'cli/merge-log.ts': 'cli-log',
  'cli/audit.ts': 'cli-log',
  'cli/anchor.ts': 'cli-log',
  'cli/report.ts': 'cli-log',
  'cli/inventory.ts': 'cli-log',
  'cli/nonconformity.ts': 'cli-log',
  'cli/export.ts': 'cli-log',
  'schema-compiler.ts': 'cli-ajv',
};
/** Modules whose one copy every file shares (their classes are tested with instanceof). */
const SHARED = { 'errors.ts': 'cli-errors' };

const entryOf = (chunk) =>
  Object.entries({ ...CHUNK_OF, ...SHARED })
    .filter(([, name]) => name === chunk)
    .map(([module]) => module);

/** Imports of another file's modules become require()s of that file, wherever they are written. */
const chunks = (own) => ({
  name: 'chunks',
  setup(builder) {
    builder.onResolve({ filter: /^\.\.?\// }, async (args) => {
      if (args.pluginData === 'resolved' || !args.importer.startsWith(SRC)) return undefined;
      const resolved = await builder.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        pluginData: 'resolved',
      });
      const module = resolved.path.slice(SRC.length);
      // A command added to main.ts must be given its file here, or it would be bundled into the entry.
      if (args.kind === 'dynamic-import' && args.importer.endsWith('cli/main.ts') && !CHUNK_OF[module])
        throw new Error(`scripts/build-cli.js: ${module} is imported by main.ts but has no file in CHUNK_OF`);
      const chunk = SHARED[module] ?? (args.kind === 'dynamic-import' ? CHUNK_OF[module] : undefined);
      if (!chunk || chunk === own) return undefined;
      return { path: `./${chunk}.cjs`, external: true };
    });
  },
});

async function bundle(name, entry) {
  const result = await build({
    ...entry,
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
    // Less to read and compile at each start. Stack traces (AIMS_GATE_DEBUG) name the sources' files, lines and
    // functions through the source map beside each file, which Node reads only then (bin/aims-gate.js).
    minify: true,
    sourcemap: 'linked',
    sourcesContent: false,
    outfile: `${ROOT}lib/${name}.cjs`,
    write: false,
    // import() of a Node module would start Node's ES module loader too: require() it instead.
    supported: { 'dynamic-import': false },
    plugins: [chunks(name), lazy],
  });
  for (const file of result.outputFiles)
    writeFileSync(file.path, file.path.endsWith('.map') ? file.text : asciiOnly(file.text));
}

/** A file of several modules: one entry re-exporting each, so its importers find every export by name. */
const reexporting = (chunk) => ({
  stdin: {
    contents: entryOf(chunk)
      .map((module) => `export * from './${module.replace(/\.ts$/, '.js')}';`)
      .join('\n'),
    resolveDir: SRC,
    sourcefile: `${chunk}.ts`,
    loader: 'ts',
  },
});

await Promise.all([
  bundle('cli', { entryPoints: [`${SRC}cli/main.ts`] }),
  ...[...new Set([...Object.values(CHUNK_OF), ...Object.values(SHARED)])].map((chunk) =>
    bundle(chunk, reexporting(chunk)),
  ),
]);
