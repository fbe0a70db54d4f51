// Builds the Action's single ESM file, dist/index.js, that action.yml runs on node24 runners.
// `npm test` rebuilds it in memory and compares (test/dist.test.ts), so the committed bundle is never stale.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const OUTFILE = fileURLToPath(new URL('../dist/index.js', import.meta.url));

/** The bundle's text, built in memory. */
export async function bundle() {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('../action/main.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    legalComments: 'none',
    // The modules' paths are in the bundle: as a fresh clone has them, even where node_modules is a symlink.
    preserveSymlinks: true,
    write: false,
    logLevel: 'warning',
    // Some dependencies are CommonJS and call require(): give the ESM bundle one.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
  });
  return result.outputFiles[0].text;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = await bundle();
  writeFileSync(OUTFILE, text);
  console.log(`dist/index.js: ${(Buffer.byteLength(text) / 1024).toFixed(0)} KiB`);
}
