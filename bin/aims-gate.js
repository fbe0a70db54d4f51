#!/usr/bin/env node
// CommonJS (bin/package.json says so): an ES module entry costs Node its ESM loader, some 10 ms of every start.
const { loadMain } = require('../lib/cli/load.cjs');

// A reader that stops early (`aims-gate log | head -2`) is not an error: end quietly, as other tools do.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

loadMain()
  .then((main) => main(process.argv.slice(2)))
  .then((code) => {
    process.exitCode = code;
  });
