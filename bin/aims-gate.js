#!/usr/bin/env node
// CommonJS (bin/package.json says so): an ES module entry costs Node its ESM loader, some 10 ms of every start.

// Node 22.1 and later keep V8's compiled code of the bundle on disk between runs (in the temporary folder, or
// NODE_COMPILE_CACHE; NODE_DISABLE_COMPILE_CACHE=1 turns it off); older Nodes compile it at each start, and are
// spared loading node:module (and the source-map support it loads), which only has enableCompileCache from 22.1.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major > 22 || (major === 22 && minor >= 1)) require('node:module').enableCompileCache();

// The bundle is minified; a stack trace (AIMS_GATE_DEBUG) names the sources' files and lines through the source
// map beside each file, read only then.
if (process.env.AIMS_GATE_DEBUG) process.setSourceMapsEnabled(true);

// The CLI as one file (`npm run build`, scripts/build-cli.js). No fallback: a missing or broken bundle is an
// error that names it, not a slower CLI that hides a broken build.
const { main } = require('../lib/cli.cjs');

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
