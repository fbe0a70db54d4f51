// Bundles the GitHub App into app/lib/app.js (part of `npm run build`). The core (src/) and the libraries it
// shares with the CLI are bundled in; the App's own dependencies, those app/package.json lists (Probot, the
// queue, the logger, metrics), stay imports, installed with the App package. Its data files (policies/,
// schemas/, reference/) come from the aims-gate package it depends on, found above the bundle (src/assets.ts).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const APP = fileURLToPath(new URL('../app/', import.meta.url));
const { dependencies } = JSON.parse(readFileSync(`${APP}package.json`, 'utf8'));

await build({
  entryPoints: [`${APP}main.ts`],
  outfile: `${APP}lib/app.js`,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  legalComments: 'none',
  logLevel: 'warning',
  // smee-client is optional (a development dependency that app/main.ts imports when it is installed).
  external: [...Object.keys(dependencies).filter((name) => name !== 'aims-gate'), 'smee-client'],
  // Bundled CommonJS libraries (ajv, yaml) call require(): give the ES module one.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
});
