// Builds the Action's single ESM file, dist/index.js, that action.yml runs on node24 runners.
// `npm test` rebuilds it in memory and compares (test/integration/dist.test.ts), so the committed bundle is never stale.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { asciiOnly, lazy } from './bundling.js';

export const OUTFILE = fileURLToPath(new URL('../dist/index.js', import.meta.url));

/**
 * @actions/core imports @actions/http-client, and with it undici (some 400 KiB), for getIDToken alone, which
 * the Action never calls: Octokit calls GitHub with Node's own fetch. Neither package declares itself free of
 * side effects, so esbuild keeps them unless told: told here, it drops what nothing uses.
 */
const unusedHttpClient = {
  name: 'unused-http-client',
  setup(build) {
    build.onResolve(
      { filter: /^@actions\/http-client(\/|$)/ },
      async ({ path, kind, resolveDir, pluginData }) => {
        if (pluginData === unusedHttpClient) return undefined;
        const resolved = await build.resolve(path, { kind, resolveDir, pluginData: unusedHttpClient });
        return { ...resolved, sideEffects: false };
      },
    );
  },
};

/**
 * The Ajv standalone validators and parsed data files of generated/precompiled.js (some 480 KiB) spare the
 * CLI most of its start-up; the Action, run once per job, compiles the schemas it meets with Ajv instead
 * (the same validators: test/generated.test.ts) and stays within 1 MiB.
 */
const nothingPrecompiled = {
  name: 'nothing-precompiled',
  setup(build) {
    build.onResolve({ filter: /\/generated\/precompiled\.js$/ }, () => ({
      path: 'precompiled',
      namespace: 'nothing-precompiled',
    }));
    build.onLoad({ filter: /.*/, namespace: 'nothing-precompiled' }, () => ({
      contents: 'export const assets = {};',
      loader: 'js',
    }));
  },
};

/** The bundle's text, built in memory. */
export async function bundle() {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('../action/main.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    // Less to read and compile at each cold start on a runner; error messages are the code's own strings.
    minify: true,
    legalComments: 'none',
    // The modules' paths are in the bundle: as a fresh clone has them, even where node_modules is a symlink.
    preserveSymlinks: true,
    plugins: [unusedHttpClient, nothingPrecompiled, lazy],
    write: false,
    logLevel: 'warning',
    // Some dependencies are CommonJS and call require(): give the ESM bundle one.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
  });
  return asciiOnly(result.outputFiles[0].text);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = await bundle();
  writeFileSync(OUTFILE, text);
  console.log(`dist/index.js: ${(Buffer.byteLength(text) / 1024).toFixed(0)} KiB`);
}
